"""The Python package's costs, measured beside their anchors in one run:

- overhead: a 16-element relu from Python (tandem.relu(x, out=y), and tandem.relu(x),
  which also makes the result array) against the same calls in C++ through the
  dispatcher (tandem_bench's relu/f32/dispatch/16 and relu/f32/dispatch.alloc/16),
  run alternately, ROUNDS times each; the medians and their difference. Target: under
  1 us more than the C++ call.
- matmul: tandem.matmul against numpy.matmul on the same float32 operands (NumPy's BLAS
  is named: numpy.show_config()), each in its own process, ROUNDS alternating runs of
  each: the medians of the runs' best-of-3 per-call times.

Usage: python bench_python.py [--bench build/release/tandem_bench] [--out FILE.json]
(PYTHONPATH must reach the tandem package: build/release/python, or an installed one.)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import timeit

import numpy as np

import tandem

ROUNDS = 7
CPP_CASES = {"relu(x, out=y)": "relu/f32/dispatch/16", "relu(x)": "relu/f32/dispatch.alloc/16"}
MATMUL_SHAPES = [(64, 64, 64), (256, 256, 256), (1024, 1024, 1024), (2048, 2048, 2048)]


def python_call_ns(statement: str, env: dict) -> float:
    """The median over 5 repeats of a statement's time per call, in ns (timeit compiles
    it in place: no lambda around it)."""
    timer = timeit.Timer(statement, globals=env)
    number, _ = timer.autorange()
    number = max(number, 20_000)
    return statistics.median(t / number * 1e9 for t in timer.repeat(5, number))


def cpp_call_ns(bench: str, name: str) -> float:
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run([bench, f"--benchmark_filter=^{name}$", "--benchmark_min_time=0.2",
                        f"--benchmark_out={out.name}", "--benchmark_format=console"],
                       check=True, capture_output=True)
        runs = json.load(open(out.name))["benchmarks"]
    return runs[0]["real_time"] * {"ns": 1, "us": 1e3, "ms": 1e6}[runs[0]["time_unit"]]


def overhead(bench: str) -> list[dict]:
    x = np.random.default_rng(1).standard_normal(16).astype(np.float32)
    env = {"relu": tandem.relu, "x": x, "y": np.empty_like(x)}
    rows = []
    for statement, cpp_name in CPP_CASES.items():
        py, cpp = [], []
        for _ in range(ROUNDS):  # alternate, so that drift hits both alike
            py.append(python_call_ns(statement, env))
            cpp.append(cpp_call_ns(bench, cpp_name))
        rows.append({"python": f"tandem.{statement}", "cpp": cpp_name,
                     "python_ns": statistics.median(py), "cpp_ns": statistics.median(cpp),
                     "extra_ns": statistics.median(py) - statistics.median(cpp)})
    return rows


MATMUL_CHILD = """
import json, sys, timeit
import numpy as np
import tandem
who, shapes = sys.argv[1], json.loads(sys.argv[2])
rng = np.random.default_rng(2)
result = {}
for m, k, n in shapes:
    a = rng.standard_normal((m, k), dtype=np.float32)
    b = rng.standard_normal((k, n), dtype=np.float32)
    out = np.empty((m, n), np.float32)
    call = ((lambda: tandem.matmul(a, b, out=out)) if who == "tandem"
            else (lambda: np.matmul(a, b, out=out)))
    number = max(1, int(2e8 / (2 * m * k * n)))  # ~0.1 s of work per sample
    call()
    result[f"{m}x{k}x{n}"] = min(timeit.repeat(call, number=number, repeat=3)) / number
print(json.dumps(result))
"""


def matmul_vs_numpy() -> list[dict]:
    """Each library in its own process, alternately: in one process, the spinning
    threads one library's pool leaves behind slow the other's (OpenBLAS's and OpenMP's
    workers both busy-wait for a while after a call)."""
    shapes = json.dumps(MATMUL_SHAPES)
    times: dict[str, dict[str, list[float]]] = {"tandem": {}, "numpy": {}}
    for _ in range(ROUNDS):
        for who in times:
            run = subprocess.run([sys.executable, "-c", MATMUL_CHILD, who, shapes], check=True,
                                 capture_output=True, text=True)
            for shape, seconds in json.loads(run.stdout).items():
                times[who].setdefault(shape, []).append(seconds)
    rows = []
    for m, k, n in MATMUL_SHAPES:
        shape, flops = f"{m}x{k}x{n}", 2.0 * m * k * n
        t = statistics.median(times["tandem"][shape])
        npy = statistics.median(times["numpy"][shape])
        rows.append({"shape": shape, "tandem_gflops": flops / t / 1e9,
                     "numpy_gflops": flops / npy / 1e9, "ratio": npy / t})
    return rows


def numpy_blas() -> str:
    try:
        config = np.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
        return f"{blas.get('name')} {blas.get('version', '')}".strip()
    except Exception as error:  # older NumPy: no dict mode
        return f"unknown ({error})"


def cpu_model() -> str:
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", default="build/release/tandem_bench")
    parser.add_argument("--out")
    args = parser.parse_args()
    report = {
        "cpu": cpu_model(), "threads": os.cpu_count(), "python": sys.version.split()[0],
        "numpy": np.__version__, "numpy_blas": numpy_blas(), "tandem": tandem.__version__,
        "overhead": overhead(args.bench), "matmul": matmul_vs_numpy(),
    }
    print(f"CPU: {report['cpu']}, {report['threads']} threads; Python {report['python']}, "
          f"NumPy {report['numpy']} on {report['numpy_blas']}")
    for r in report["overhead"]:
        print(f"{r['python']:<28} {r['python_ns']:8.0f} ns   C++ {r['cpp']:<28} "
              f"{r['cpp_ns']:8.0f} ns   Python adds {r['extra_ns']:6.0f} ns")
    for r in report["matmul"]:
        print(f"matmul {r['shape']:<16} tandem {r['tandem_gflops']:7.1f} GFLOP/s   numpy "
              f"{r['numpy_gflops']:7.1f} GFLOP/s   tandem / numpy {r['ratio']:.2f}x")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(report, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
