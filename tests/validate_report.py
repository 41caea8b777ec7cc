#!/usr/bin/env python3
"""Validate a `tandem analyze` report.json against its JSON Schema. The invariants a schema
cannot express (nothing beats its measured ceiling, farther levels are never faster, ...)
are checked by `tandem analyze` itself before it writes a report (analyzer/src/invariants.cpp):
a report on disk has passed them. Exits non-zero naming the first failure.

usage: validate_report.py REPORT_JSON SCHEMA_JSON
"""
import json
import sys

try:
    import jsonschema
except ImportError:
    sys.exit("validate_report: the jsonschema module is missing "
             "(Debian: apt-get install python3-jsonschema)")


def load(path):
    def reject(constant):  # NaN/Infinity are not JSON; a writer emitting them is broken
        raise ValueError(f"non-standard JSON constant {constant}")
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f, parse_constant=reject)
    except (OSError, ValueError) as e:
        sys.exit(f"validate_report: cannot read {path}: {e}")


def measurements(node):
    """Yields every measurement object under node."""
    if isinstance(node, dict):
        if "median" in node:  # after schema validation, only measurements have "median"
            yield node
            return
        for value in node.values():
            yield from measurements(value)
    elif isinstance(node, list):
        for value in node:
            yield from measurements(value)


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__.strip().splitlines()[-1])
    report, schema = load(argv[1]), load(argv[2])

    validator = jsonschema.Draft202012Validator(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(report))
    if error is not None:
        sys.exit(f"validate_report: {argv[1]}: schema violation at {error.json_path}: {error.message}")

    targets = report["targets"]
    all_measurements = [m for t in targets for m in measurements(t)]
    unstable = sum(m["unstable"] for m in all_measurements)
    roofline = sum(len(t.get("roofline", [])) for t in targets)
    levels = [f"{l['level']}@{l['threads']}t" for t in targets for l in t["ceilings"]["bandwidth_levels"]]
    print(f"report ok: {len(targets)} target(s) ({', '.join(t['device'] for t in targets)}), "
          f"{len(all_measurements)} measurements ({unstable} unstable), levels {' '.join(levels)}, "
          f"{roofline} roofline points, {len(report['roadmap'])} roadmap entries")


if __name__ == "__main__":
    main(sys.argv)
