#!/usr/bin/env python3
"""Compares what tandem_gpu_parity wrote (DIR/cases.json and its .npy files) with PyTorch
on the same GPU and the same inputs: torch.matmul with TF32 off (and in float64, the
exact reference), torch.relu, torch._int_mm. Part of scripts/gpu-check.sh.

f32 results pass when |tandem - torch| <= 2 K u (|A| |B|)_ij (+ 2 u |y| with a bias), u =
2^-24: each side's error is within K u (|A||B|)_ij of the exact product, TF32's is not;
both are also checked against float64. relu and the int8 GEMM must be identical.

Usage: torch_parity.py DIR [--json OUT.json]; exits 1 if a case fails, 2 without a GPU.
"""

import argparse
import json
import pathlib
import sys

import numpy as np

U = 2.0**-24


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("dir", type=pathlib.Path)
    parser.add_argument("--json", type=pathlib.Path)
    args = parser.parse_args()
    import torch

    if not torch.cuda.is_available():
        print("torch_parity: no GPU for PyTorch", file=sys.stderr)
        return 2
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")
    dev = torch.device("cuda")

    def load(name):
        return torch.from_numpy(np.load(args.dir / f"{name}.npy")).to(dev)

    results = []
    for case in json.loads((args.dir / "cases.json").read_text()):
        op, impl = case["op"], case["implementation"]
        out = load(case["out"])
        row = {"op": op, "implementation": impl, "shape": list(out.shape)}
        if op in ("matmul", "linear_relu"):
            a, b, k = load(case["a"]), load(case["b"]), case["k"]
            bound = 2 * k * U * (a.abs() @ b.abs())
            exact = a.double() @ b.double()
            ours = torch.matmul(a, b)
            if op == "linear_relu":
                bias = load(case["bias"])
                ours, exact = torch.relu(ours + bias), torch.relu(exact + bias.double())
                bound = bound + 2 * U * exact.abs().float()
            ratio_torch = ((out - ours).abs() / bound.clamp_min(1e-30)).max().item()
            ratio_exact = ((out.double() - exact).abs() / bound.double().clamp_min(1e-30)).max().item()
            row.update({"max_abs_vs_torch": (out - ours).abs().max().item(),
                        "error_over_bound_vs_torch": ratio_torch,
                        "error_over_bound_vs_float64": ratio_exact,
                        "passed": ratio_torch <= 1.0 and ratio_exact <= 1.0})
        elif op == "relu":
            x = load(case["x"])
            mismatches = int((out != torch.relu(x)).sum().item())
            row.update({"mismatches": mismatches, "passed": mismatches == 0})
        elif op == "int_mm":
            a, b = load(case["a"]), load(case["b"])
            theirs = torch._int_mm(a, b)
            mismatches = int((out != theirs).sum().item())
            row.update({"mismatches": mismatches, "passed": mismatches == 0})
        else:
            row.update({"passed": False, "error": f"unknown op {op}"})
        results.append(row)
        print(json.dumps(row))
    report = {"torch": torch.__version__, "gpu": torch.cuda.get_device_name(0),
              "tf32": torch.backends.cuda.matmul.allow_tf32, "cases": results,
              "passed": all(r["passed"] for r in results)}
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"torch_parity: {sum(r['passed'] for r in results)} of {len(results)} cases passed "
          f"(PyTorch {torch.__version__} on {report['gpu']})")
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
