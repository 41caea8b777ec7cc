#!/usr/bin/env python3
"""Plot a `tandem analyze` report.json: per target, the roofline (one panel per thread
count, a roof per memory level and per SIMD path), the bandwidth sweep with its levels,
matmul scaling, thread scaling and the quantization trade-offs. Prints the paths written,
one per line; notes about skipped plots go to stderr. Unstable measurements are drawn
with hollow markers.

usage: plot_report.py REPORT_JSON OUT_DIR
"""
import json
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")  # files only, no display needed
import matplotlib.pyplot as plt
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator, ScalarFormatter


def note(message):
    print(f"plot_report: {message}", file=sys.stderr)


def size_label(b):
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if b >= scale:
            return f"{b / scale:g} {unit}"
    return f"{b} B"


def series(ax, points, label, color, marker="o"):
    """points: (x, y, unstable). A line through them, each marker hollow when unstable."""
    points = sorted(points)
    ax.plot([p[0] for p in points], [p[1] for p in points], "-", color=color, label=label)
    for x, y, unstable in points:
        ax.plot(x, y, marker, color=color, mfc="none" if unstable else color)


def group(entries, key):
    groups = {}
    for entry in entries:
        groups.setdefault(key(entry), []).append(entry)
    return groups.items()


def finish(ax, title, xlabel, ylabel, unstable_any, legend_outside=False):
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.grid(True, which="both", alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    if unstable_any:  # explain the hollow markers once
        handles.append(Line2D([], [], marker="o", ls="", color="gray", mfc="none"))
        labels.append("unstable (hollow)")
    if handles:
        if legend_outside:
            ax.legend(handles, labels, fontsize="x-small", loc="upper left",
                      bbox_to_anchor=(1.02, 1.0), borderaxespad=0)
        else:
            ax.legend(handles, labels, fontsize="small")


def thread_counts(target):
    return sorted({level["threads"] for level in target["ceilings"]["bandwidth_levels"]})


def levels_at(target, threads):
    """The level rows of the largest measured thread count not above `threads`."""
    counts = [t for t in thread_counts(target) if t <= threads] or thread_counts(target)[:1]
    return [l for l in target["ceilings"]["bandwidth_levels"] if l["threads"] == max(counts)]


def nearby(points, within=0.06):
    """Points grouped where they would overlap on log-log axes (closer than `within`
    decades on both axes to a group's first point)."""
    clusters = []
    for p in sorted(points, key=lambda p: (p["intensity"], p["gflops"])):
        for c in clusters:
            if (abs(math.log10(p["intensity"] / c[0]["intensity"])) < within and
                    abs(math.log10(p["gflops"] / c[0]["gflops"])) < within):
                c.append(p)
                break
        else:
            clusters.append([p])
    return clusters


def roofline_panel(ax, target, threads, points, number):
    """Roofs for one thread count: a slanted roof per memory level, a flat one per path."""
    fma = [r for r in target["ceilings"]["fma_peak"] if r["threads"] == threads]
    levels = levels_at(target, threads)
    xs = [p["intensity"] for p in points] or [1.0]
    peaks = [r["gflops"]["median"] for r in fma] or [max(p["gflops"] for p in points)]
    roofs = [l["roof_gbps"] for l in levels]
    lo = min(xs + [max(peaks) / max(roofs) if roofs else 1.0]) / 8
    hi = max(xs + [max(peaks) / min(roofs) if roofs else 1.0]) * 4
    top = max(peaks)
    for i, level in enumerate(levels):
        x_end = min(hi, top / level["roof_gbps"])
        ax.plot([lo, x_end], [level["roof_gbps"] * lo, level["roof_gbps"] * x_end], "--",
                color=f"C{i}", lw=1, label=f"{level['level']} roof {level['roof_gbps']:.0f} GB/s")
    for j, row in enumerate(sorted(fma, key=lambda r: -r["gflops"]["median"])):
        ax.axhline(row["gflops"]["median"], color="black", lw=1, ls=["-", "-.", ":"][j % 3],
                   label=f"{row['implementation']} FMA peak {row['gflops']['median']:.0f} GFLOP/s")
    for cluster in nearby(points):
        for p in cluster:
            ax.plot(p["intensity"], p["gflops"], "o", color="tab:red", ms=4)
        # One label per group of coinciding points ("11,12,13"), never stacked numbers.
        ax.annotate(",".join(str(i) for i in sorted(number[p["kernel"]] for p in cluster)),
                    (cluster[0]["intensity"], cluster[0]["gflops"]), textcoords="offset points",
                    xytext=(4, 4), fontsize="x-small")
    ax.set(xscale="log", yscale="log", xlim=(lo, hi))
    finish(ax, f"{threads} thread(s)", "arithmetic intensity (FLOP/byte)",
           "GFLOP/s (median)", False)


def roofline(fig, target):
    points = target["roofline"]
    counts = sorted({p["threads"] for p in points})
    number = {p["kernel"]: i + 1 for i, p in enumerate(points)}
    axes = fig.subplots(1, len(counts), squeeze=False)[0]
    for ax, threads in zip(axes, counts):
        roofline_panel(ax, target, threads, [p for p in points if p["threads"] == threads], number)
    # The points' names once, below the panels: coinciding points stay readable.
    key = "\n".join(f"{number[p['kernel']]}: {p['kernel']} ({p['level'] or '-'}, "
                    f"{100 * p['gflops'] / p['ceiling_gflops']:.0f}% of its roof)" for p in points)
    fig.text(0.01, -0.02, key, va="top", fontsize="x-small", family="monospace")
    fig.suptitle(f"Roofline: {target['name']} (each point against the level its data lives in)")


def bandwidth(ax, target):
    sweep = target["ceilings"]["bandwidth_sweep"]
    for i, (threads, rows) in enumerate(group(sweep, lambda r: r["threads"])):
        series(ax, [(r["working_set_bytes"], r["gbps"]["median"], r["gbps"]["unstable"])
                    for r in rows], f"read, {threads} thread(s)", f"C{i}")
        series(ax, [(r["working_set_bytes"], r["copy_gbps"]["median"], r["copy_gbps"]["unstable"])
                    for r in rows], f"copy, {threads} thread(s)", f"C{i}", marker="x")
        for level in (l for l in target["ceilings"]["bandwidth_levels"] if l["threads"] == threads):
            ax.plot([level["from_bytes"], level["to_bytes"]], [level["gbps"]] * 2, "-",
                    color=f"C{i}", lw=6, alpha=0.25)
            ax.annotate(level["level"], (level["from_bytes"], level["gbps"]),
                        textcoords="offset points", xytext=(0, 6), fontsize="x-small",
                        color=f"C{i}")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    # cpuinfo's sizes as marks at the bottom of the axes (axes coordinates in y, so the
    # log scale set above cannot move them out of view).
    caches = target["ceilings"].get("caches", {}).get("cpuinfo", {})
    for name, key in (("L1", "l1d_bytes"), ("L2", "l2_bytes"), ("L3", "l3_bytes")):
        if caches.get(key):
            ax.axvline(caches[key], color="gray", ls=":", lw=1)
            ax.annotate(f"cpuinfo {name}", (caches[key], 0.02), xycoords=("data", "axes fraction"),
                        rotation=90, fontsize="x-small", color="gray", textcoords="offset points",
                        xytext=(2, 0), va="bottom")
    ticks = sorted({r["working_set_bytes"] for r in sweep})[::2]
    ax.set_xticks(ticks, [size_label(t) for t in ticks], rotation=45, ha="right",
                  fontsize="x-small")
    finish(ax, f"Bandwidth sweep: {target['name']} (bands: the levels found)",
           "working set per thread", "GB/s (median)",
           any(r["gbps"]["unstable"] for r in sweep))


def matmul_scaling(ax, target):
    entries = target["matmul_scaling"]
    for i, (impl, rows) in enumerate(group(entries, lambda e: e["implementation"])):
        series(ax, [(e["n"], e["percent_of_peak"], e["time_us"]["unstable"]) for e in rows],
               impl, f"C{i}")
    ax.set_xscale("log", base=2)
    ax.xaxis.set_major_formatter(ScalarFormatter())  # 256, not 2^8
    ax.set_ylim(0, 100)
    finish(ax, f"matmul n x n x n: {target['name']}", "n",
           "% of the measured FMA peak (its path, its threads)",
           any(e["time_us"]["unstable"] for e in entries))


def thread_scaling(ax, target):
    entries = target["threads"]
    for i, ((op, shape), rows) in enumerate(group(entries, lambda e: (e["op"], e["shape"]))):
        series(ax, [(e["threads"], e["speedup"], e["time_us"]["unstable"]) for e in rows],
               f"{op} ({shape})", f"C{i}")
        for e in rows:
            if e["flag"]:  # not a claim: crossed out
                ax.plot(e["threads"], e["speedup"], "x", color="black", ms=9)
    most = max(e["threads"] for e in entries)
    ax.plot([1, most], [1, most], ":", color="gray", label="ideal")
    if any(e["flag"] for e in entries):
        ax.plot([], [], "x", color="black", label="flagged: not split or super-linear")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    finish(ax, f"Thread scaling: {target['name']}", "threads", "speedup over 1 thread",
           any(e["time_us"]["unstable"] for e in entries))


def quantization(fig, target):
    entries = target["quantization"]
    labels = [f"{e['op']} {e['bits']}-bit" for e in entries]
    axes = fig.subplots(1, 3)
    ops = sorted({e["op"] for e in entries})
    colors = [f"C{ops.index(e['op'])}" for e in entries]
    panels = ((axes[0], [e["time_us"]["median"] for e in entries], "median time",
               lambda v: f"{v:.0f} us"),
              (axes[1], [e["stored_bytes"] for e in entries], "bytes stored (the result)",
               size_label),
              (axes[2], [e["max_rel_error"] for e in entries], "max relative error",
               lambda v: f"{v:.1e}" if v > 0 else "exact"))
    for ax, values, title, text in panels:
        errors = ax is axes[2]
        shown = [v if v > 0 or not errors else float("nan") for v in values]
        ax.barh(range(len(entries)), shown, color=colors, alpha=0.85)
        for i, v in enumerate(values):  # the value at the bar's end: no tick to read
            unstable = not errors and ax is axes[0] and entries[i]["time_us"]["unstable"]
            ax.annotate(text(v) + (" (!)" if unstable else ""), (v if v > 0 else 0, i),
                        textcoords="offset points", xytext=(3, 0), va="center",
                        fontsize="x-small")
        ax.set_yticks(range(len(entries)), labels if ax is axes[0] else [""] * len(entries),
                      fontsize="small")
        ax.invert_yaxis()
        if errors:
            ax.set_xscale("log")  # errors span decades; exact rows carry no bar
        ax.set_xlim(right=(max(v for v in values if v > 0) * (30 if errors else 1.35)))
        ax.tick_params(axis="x", labelsize="x-small")
        ax.set_title(title, fontsize="small")
        ax.grid(True, axis="x", alpha=0.3)
    fig.suptitle(f"Quantization: {target['name']} (shapes: "
                 + ", ".join(sorted({f"{e['op']} {e['shape']}" for e in entries}))
                 + "; bytes as stored, not as the call moves them)", fontsize="small")


# (name, the target's section it needs, draw, figure size, draws on the whole figure)
PLOTS = [("roofline", "roofline", roofline, (13, 6), True),
         ("bandwidth", "ceilings", bandwidth, (9, 5.5), False),
         ("matmul_scaling", "matmul_scaling", matmul_scaling, (8, 5.5), False),
         ("thread_scaling", "threads", thread_scaling, (8, 5.5), False),
         ("quantization", "quantization", quantization, (13, 4.5), True)]


def plot_target(target, out_dir):
    tag = target["device"].replace(":", "_")
    for name, section, draw, size, whole_figure in PLOTS:
        if not target.get(section):
            note(f"{target['device']}: no {section} data, {name}_{tag}.png skipped")
            continue
        path = os.path.join(out_dir, f"{name}_{tag}.png")
        fig = plt.figure(figsize=size)
        try:
            if whole_figure:
                draw(fig, target)
                fig.tight_layout()
            else:
                draw(fig.add_subplot(), target)
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
