#!/usr/bin/env python3
"""Tandem's Python package on a GPU (part of scripts/gpu-check.sh): PyTorch CUDA tensors
in and out through DLPack, the kernels running on the GPU (the verbose log's device
column), results as CUDA torch.Tensors on the same device, against torch itself:
relu identical, matmul and linear within 2 K u (|A| |B|) of torch.matmul with TF32 off.

Usage: PYTHONPATH=<staged python dir> python_gpu_check.py [--json OUT.json]; exits 1 if
a check fails, 2 without a GPU.
"""

import argparse
import json
import os
import sys
import tempfile

U = 2.0**-24


def run_logged(call):
    """call() with Tandem's verbose log on; returns (result, the log's device column)."""
    import tandem

    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+") as captured:
        os.dup2(captured.fileno(), 2)
        tandem.set_verbose(True)
        try:
            result = call()
        finally:
            tandem.set_verbose(False)
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
        captured.seek(0)
        lines = [l for l in captured.read().splitlines() if l and not l.startswith("op,")]
    return result, [l.split(",")[1] for l in lines]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--json")
    args = parser.parse_args()
    import torch

    import tandem

    if not torch.cuda.is_available():
        print("python_gpu_check: no GPU for PyTorch", file=sys.stderr)
        return 2
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")
    g = torch.Generator(device="cuda").manual_seed(1)
    x = torch.randn(1000, 777, device="cuda", generator=g)
    w = torch.randn(777, 555, device="cuda", generator=g)
    b = torch.randn(555, device="cuda", generator=g)
    checks = []

    def check(name, passed, **details):
        checks.append({"check": name, "passed": bool(passed), **details})
        print(json.dumps(checks[-1]))

    def on_gpu(t):
        return isinstance(t, torch.Tensor) and t.is_cuda

    y, devices = run_logged(lambda: tandem.relu(x))
    check("relu", on_gpu(y) and devices == ["cuda:0"] and torch.equal(y, torch.relu(x)),
          devices=devices)
    for impl in ["cuda.tiled", "cuda.cublas"]:
        c, devices = run_logged(lambda: tandem.matmul(x, w, implementation=impl))
        bound = 2 * 777 * U * (x.abs() @ w.abs())
        ratio = ((c - x @ w).abs() / bound.clamp_min(1e-30)).max().item() if on_gpu(c) else None
        check(f"matmul {impl}", on_gpu(c) and devices == ["cuda:0"] and ratio <= 1.0,
              devices=devices, error_over_bound=ratio)
        l = tandem.linear(x, w, b, "relu", implementation=impl)
        expected = torch.relu(x @ w + b)
        lbound = bound + 2 * U * expected.abs()
        lratio = ((l - expected).abs() / lbound.clamp_min(1e-30)).max().item() if on_gpu(l) else None
        check(f"linear relu {impl}", on_gpu(l) and lratio <= 1.0, error_over_bound=lratio)
    z = x.clone()
    result = tandem.relu(z, out=z)
    check("relu in place (out=)", result is z and torch.equal(z, torch.relu(x)))
    try:
        tandem.add(x, x.cpu())
        check("mixed devices refused", False)
    except tandem.DeviceError as e:
        check("mixed devices refused", "device" in str(e).lower(), message=str(e))
    report = {"torch": torch.__version__, "gpu": torch.cuda.get_device_name(0),
              "tandem": tandem.__version__, "checks": checks,
              "passed": all(c["passed"] for c in checks)}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)
    print(f"python_gpu_check: {sum(c['passed'] for c in checks)} of {len(checks)} checks passed")
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
