"""Shared helpers: NumPy is the oracle; integer-valued inputs make f32 results exact."""

import numpy as np
import pytest

import tandem


@pytest.fixture
def rng():
    return np.random.default_rng(20261207)


def integer_valued(rng, shape, low=-8, high=8, dtype=np.float32):
    """Small integers as floats: every f32 product and sum of a test matmul is exact."""
    return rng.integers(low, high + 1, size=shape).astype(dtype)


def cpu_implementations(op):
    """The implementations of `op` that can run here, from the kernel registry."""
    return [
        k["implementation"]
        for k in tandem.info()["kernels"]
        if k["op"] == op and k["device"] == "cpu" and k["available"]
    ]


def quantize_oracle(x, bits):
    """tandem's symmetric per-tensor rule in NumPy float32 arithmetic (exact)."""
    qmax = np.float32(2 ** (bits - 1) - 1)
    max_abs = np.float32(np.abs(x).max()) if x.size else np.float32(0)
    scale = np.float32(1) if max_abs == 0 else np.maximum(max_abs / qmax, np.finfo(np.float32).tiny)
    inv = np.float32(1) / np.float32(scale)
    lo, hi = (-128, 127) if bits == 8 else (-32768, 32767)
    q = np.clip(np.rint(x.astype(np.float32) * inv), lo, hi)
    return q.astype(np.int8 if bits == 8 else np.int16), np.float32(scale)
