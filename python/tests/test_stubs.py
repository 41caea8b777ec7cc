"""The type stubs cover the extension, and a type checker accepts correct calls and
rejects wrong ones with them."""

import ast
import pathlib
import subprocess
import sys
import textwrap

import pytest

import tandem
from tandem import _tandem

STUB = pathlib.Path(tandem.__file__).with_name("_tandem.pyi")


def stub_names():
    tree = ast.parse(STUB.read_text())
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.AnnAssign, ast.Assign)):
            targets = [node.target] if isinstance(node, ast.AnnAssign) else node.targets
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def test_every_public_name_of_the_extension_has_a_stub():
    public = {n for n in dir(_tandem) if not n.startswith("__") or n == "__version__"}
    missing = public - stub_names()
    assert not missing, f"no stub for {sorted(missing)}"


def test_a_type_checker_accepts_good_calls_and_flags_bad_ones(tmp_path):
    pytest.importorskip("mypy", reason="mypy is not installed")
    program = tmp_path / "program.py"
    program.write_text(textwrap.dedent("""
        import numpy as np
        import tandem
        x = np.ones((2, 3), np.float32)
        tandem.relu(x, threads=2, device="cpu", blocking=(8, 8, 8))
        q: tandem.QuantizedTensor = tandem.quantized_relu(tandem.quantize(x, 16))
        w = tandem.QuantizedWeights.prepare(np.ones((3, 4), np.float32), 8, "per_tensor")
        h: tandem.QuantizedTensor = tandem.quantized_linear(x, w, None, "relu", 0.5)
        s: float = tandem.dot(x, x)
        result, stats = tandem.time_kernel(tandem.relu, x)
        median: float = stats.median_us
        tandem.relu(x, thread=3)
        tandem.linear(x, x, None, "gelu")
    """))
    env = {"PATH": "/usr/bin:/bin"}
    if "site-packages" not in STUB.parts:  # the build tree's package (an installed one
        env["MYPYPATH"] = str(STUB.parent.parent)  # is found where mypy's Python looks)
    run = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "cache"),
                          str(program)],
                         capture_output=True, text=True, cwd=tmp_path, env=env)
    errors = [l for l in run.stdout.splitlines() if ": error:" in l]
    assert len(errors) == 2, run.stdout + run.stderr
    assert 'Unexpected keyword argument "thread"' in errors[0]
    assert "'gelu'" in errors[1] and 'to "linear"' in errors[1]
