#!/usr/bin/env python3
"""Plot a `tandem analyze` report.json: per target, the roofline, matmul scaling, thread
scaling and quantization trade-off. Prints the paths written, one per line; notes about
skipped plots go to stderr. Unstable measurements are drawn with hollow markers.

usage: plot_report.py REPORT_JSON OUT_DIR
"""
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")  # files only, no display needed
import matplotlib.pyplot as plt
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator, ScalarFormatter


def note(message):
    print(f"plot_report: {message}", file=sys.stderr)


def series(ax, points, label, color):
    """points: (x, y, unstable). A line through them, each marker hollow when unstable."""
    points = sorted(points)
    ax.plot([p[0] for p in points], [p[1] for p in points], "-", color=color, label=label)
    for x, y, unstable in points:
        ax.plot(x, y, "o", color=color, mfc="none" if unstable else color)


def group(entries, key):
    groups = {}
    for entry in entries:
        groups.setdefault(key(entry), []).append(entry)
    return groups.items()


def finish(ax, title, xlabel, ylabel, unstable_any):
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.grid(True, which="both", alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    if unstable_any:  # explain the hollow markers once
        handles.append(Line2D([], [], marker="o", ls="", color="gray", mfc="none"))
        labels.append("unstable (hollow)")
    if handles:
        ax.legend(handles, labels, fontsize="small")


def roofline(ax, target):
    points, ceilings = target["roofline"], target["ceilings"]
    compute = ceilings["compute_gflops"]
    intensities = [p["intensity"] for p in points]
    # Span the points and the ridge points, where each memory roof meets the compute ceiling.
    bandwidths = [bw for bw in (ceilings["memory_gbps"], ceilings["top_bandwidth_gbps"]) if bw > 0]
    ridges = [compute / bw for bw in bandwidths] if compute > 0 else []
    lo, hi = min(intensities + ridges) / 4, max(intensities + ridges) * 4
    if compute > 0:  # 0 means not measured (GPU targets): no compute roof to draw
        ax.axhline(compute, color="black", label=f"compute ceiling {compute:g} GFLOP/s (measured)")
    for gbps, name, style in ((ceilings["memory_gbps"], "memory", "--"),
                              (ceilings["top_bandwidth_gbps"], "top bandwidth", ":")):
        if gbps > 0:  # the roof is gbps * intensity until it meets the compute ceiling
            xs = [lo, min(hi, compute / gbps)] if compute > 0 else [lo, hi]
            ax.plot(xs, [gbps * x for x in xs], style, color="black",
                    label=f"{name} {gbps:g} GB/s (measured)")
    for p in points:
        ax.plot(p["intensity"], p["gflops"], "o", color="tab:blue")
        ax.annotate(p["kernel"], (p["intensity"], p["gflops"]), textcoords="offset points",
                    xytext=(4, 4), fontsize="x-small")
    ax.set(xscale="log", yscale="log", xlim=(lo, hi))
    finish(ax, f"Roofline: {target['name']}", "arithmetic intensity (FLOP/byte)", "GFLOP/s", False)


def matmul_scaling(ax, target):
    entries = target["matmul_scaling"]
    for i, (impl, rows) in enumerate(group(entries, lambda e: e["implementation"])):
        series(ax, [(e["n"], e["gflops"], e["time_us"]["unstable"]) for e in rows], impl, f"C{i}")
    ax.set_xscale("log", base=2)
    ax.xaxis.set_major_formatter(ScalarFormatter())  # 256, not 2^8
    finish(ax, f"matmul n x n x n: {target['name']}", "n", "GFLOP/s (from median time)",
           any(e["time_us"]["unstable"] for e in entries))


def thread_scaling(ax, target):
    entries = target["threads"]
    for i, ((op, shape), rows) in enumerate(group(entries, lambda e: (e["op"], e["shape"]))):
        series(ax, [(e["threads"], e["speedup"], e["time_us"]["unstable"]) for e in rows],
               f"{op} ({shape})", f"C{i}")
    most = max(e["threads"] for e in entries)
    ax.plot([1, most], [1, most], ":", color="gray", label="ideal")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    finish(ax, f"Thread scaling: {target['name']}", "threads", "speedup over 1 thread",
           any(e["time_us"]["unstable"] for e in entries))


def quantization(ax, target):
    entries = target["quantization"]
    for i, (op, rows) in enumerate(group(entries, lambda e: e["op"])):
        for e in rows:
            t = e["time_us"]
            ax.plot(t["median"], e["max_rel_error"], "o", color=f"C{i}",
                    mfc="none" if t["unstable"] else f"C{i}")
            ax.annotate(f"{op} {e['bits']}-bit {e['shape']}", (t["median"], e["max_rel_error"]),
                        textcoords="offset points", xytext=(4, 4), fontsize="x-small")
        ax.plot([], [], "o", color=f"C{i}", label=op)
    ax.set_xscale("log")
    # 32-bit rows may have zero error, which a log axis cannot show: go linear near zero.
    errors = [e["max_rel_error"] for e in entries if e["max_rel_error"] > 0]
    ax.set_yscale("symlog", linthresh=min(errors) / 10 if errors else 1e-7)
    ax.set_ylim(0, max(errors, default=1e-7) * 3)  # headroom for the labels
    finish(ax, f"Quantization: {target['name']}", "median time (us)", "max relative error",
           any(e["time_us"]["unstable"] for e in entries))


PLOTS = [("roofline", "roofline", roofline),
         ("matmul_scaling", "matmul_scaling", matmul_scaling),
         ("thread_scaling", "threads", thread_scaling),
         ("quantization", "quantization", quantization)]


def plot_target(target, out_dir):
    tag = target["device"].replace(":", "_")
    for name, section, draw in PLOTS:
        if not target.get(section):
            note(f"{target['device']}: no {section} data, {name}_{tag}.png skipped")
            continue
        path = os.path.join(out_dir, f"{name}_{tag}.png")
        fig, ax = plt.subplots(figsize=(8, 5.5))
        try:
            draw(ax, target)
            fig.savefig(path, dpi=120, bbox_inches="tight")
        finally:
            plt.close(fig)
        print(path)


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__.strip().splitlines()[-1])
    try:
        with open(argv[1], encoding="utf-8") as f:
            report = json.load(f)
    except (OSError, ValueError) as e:
        sys.exit(f"plot_report: cannot read {argv[1]}: {e}")
    try:
        os.makedirs(argv[2], exist_ok=True)
    except OSError as e:
        sys.exit(f"plot_report: cannot create {argv[2]}: {e}")
    try:
        for target in report["targets"]:
            plot_target(target, argv[2])
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        # Malformed but parseable: point at the validator, which names the exact problem.
        sys.exit(f"plot_report: {argv[1]} does not match the report schema ({type(e).__name__}: {e}); "
                 "check it with tests/validate_report.py")


if __name__ == "__main__":
    main(sys.argv)
