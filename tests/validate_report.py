#!/usr/bin/env python3
"""Validate a `tandem analyze` report.json against its schema, then check the invariants
a schema cannot express. Exits non-zero naming the first failure.

usage: validate_report.py REPORT_JSON SCHEMA_JSON [--schema-only]
"""
import json
import sys

try:
    import jsonschema
except ImportError:
    sys.exit("validate_report: the jsonschema module is missing "
             "(Debian: apt-get install python3-jsonschema)")

LEVEL_ORDER = ["L1", "L2", "L3", "memory"]


def load(path):
    def reject(constant):  # NaN/Infinity are not JSON; a writer emitting them is broken
        raise ValueError(f"non-standard JSON constant {constant}")
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f, parse_constant=reject)
    except (OSError, ValueError) as e:
        sys.exit(f"validate_report: cannot read {path}: {e}")


def measurements(node, path):
    """Yields (path, measurement) for every measurement object under node."""
    if isinstance(node, dict):
        if "median" in node:  # after schema validation, only measurements have "median"
            yield path, node
            return
        for key, value in node.items():
            yield from measurements(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from measurements(value, f"{path}[{i}]")


LEVEL_NOISE = 0.05


def failures(report):
    """Yields one message per broken invariant, in document order."""
    for t, target in enumerate(report["targets"]):
        where = f"targets[{t}] ({target['device']})"
        for path, m in measurements(target, where):
            if not m["min"] <= m["median"] <= m["max"]:
                yield f"{path}: min {m['min']} <= median {m['median']} <= max {m['max']} does not hold"
        for i, point in enumerate(target.get("roofline", [])):
            # No slack: the analyzer derives ceiling_gflops from measured ceilings, so a point
            # above it means the ceiling or the point is wrong.
            if point["gflops"] > point["ceiling_gflops"]:
                yield (f"{where}.roofline[{i}] ({point['kernel']}): gflops {point['gflops']} "
                       f"exceeds ceiling_gflops {point['ceiling_gflops']}")
        # Farther from the core is never faster: compare levels in L1..memory order per thread
        # count. Where the core, not the cache, limits a read (L1 and L2 on many x86 cores),
        # two plateaus are equal and their medians differ by noise alone: a level may exceed
        # the one before it by LEVEL_NOISE, no more.
        by_threads = {}
        for level in target["ceilings"]["bandwidth_levels"]:
            by_threads.setdefault(level["threads"], []).append(level)
        for threads, levels in sorted(by_threads.items()):
            levels.sort(key=lambda level: LEVEL_ORDER.index(level["level"]))
            for near, far in zip(levels, levels[1:]):
                if far["gbps"] > near["gbps"] * (1 + LEVEL_NOISE):
                    yield (f"{where}.ceilings.bandwidth_levels: {far['level']} {far['gbps']} GB/s exceeds "
                           f"{near['level']} {near['gbps']} GB/s at {threads} thread(s)")
        for i, entry in enumerate(target.get("threads", [])):
            if not entry["speedup"] > 0:
                yield f"{where}.threads[{i}] ({entry['op']}, {entry['threads']} threads): speedup {entry['speedup']} is not > 0"


def main(argv):
    # --schema-only: the performance invariants do not hold under sanitizers, whose
    # instrumentation slows some kernels more than others; the schema still must.
    schema_only = "--schema-only" in argv
    argv = [a for a in argv if a != "--schema-only"]
    if len(argv) != 3:
        sys.exit(__doc__.strip().splitlines()[-1])
    report, schema = load(argv[1]), load(argv[2])

    validator = jsonschema.Draft202012Validator(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(report))
    if error is not None:
        sys.exit(f"validate_report: {argv[1]}: schema violation at {error.json_path}: {error.message}")

    first = None if schema_only else next(failures(report), None)
    if first is not None:
        sys.exit(f"validate_report: {argv[1]}: {first}")

    targets = report["targets"]
    all_measurements = [m for t in targets for _, m in measurements(t, "")]
    unstable = sum(m["unstable"] for m in all_measurements)
    roofline = sum(len(t.get("roofline", [])) for t in targets)
    print(f"report ok: {len(targets)} target(s) ({', '.join(t['device'] for t in targets)}), "
          f"{len(all_measurements)} measurements ({unstable} unstable), {roofline} roofline points, "
          f"{len(report['roadmap'])} roadmap entries")


if __name__ == "__main__":
    main(sys.argv)
