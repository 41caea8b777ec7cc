"""The teaching module's API (TinyTorch's "kernels" module, in NumPy) on Tandem.

Code written against the module runs unchanged: the same names, signatures, return
types, dict keys and errors (``../shared/seed-api.md`` in the project's notes, and the
README's seed table). What differs, on purpose:

- The kernels are Tandem's, in float32. Inputs of other real dtypes (float64, integer,
  bool arrays, lists) are converted to a C-contiguous float32 copy first, explicitly
  and only when exact enough to be honest: integers beyond 2**24, finite floats beyond
  float32's range, and integer matmuls whose sums could pass 2**24 raise
  tandem.ArgumentError (a ValueError) instead of returning a silently rounded result.
  Results are float32 arrays.
- ``quantized_matmul(bits=16)`` is exact for every K (64-bit sums), where the module
  accumulates in int32 and wraps for K > 2 at full range.
- Errors are tandem.Error subclasses that are also the module's exception types:
  ShapeError and ArgumentError are ValueErrors, DTypeError is a TypeError.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, Optional, Tuple, Union

import numpy as np

from . import _tandem
from ._tandem import ArgumentError, DTypeError

__all__ = [
    "time_kernel",
    "matmul_baseline",
    "cache_friendly_matmul",
    "vectorized_relu",
    "vectorized_operations",
    "parallel_relu",
    "parallel_batch_processing",
    "quantized_matmul",
    "quantized_relu",
]

# Integers up to 2**24 in magnitude, and sums that stay there, are exact in float32.
_F32_EXACT_INTEGER = 2**24
_F32_MAX = float(np.finfo(np.float32).max)
# The module's threshold below which parallel_relu does not split the work.
_PARALLEL_MIN_ELEMENTS = 10000


def _largest_magnitude(a: np.ndarray) -> int:
    return max(abs(int(a.max())), abs(int(a.min()))) if a.size else 0


def _as_float32(func: str, name: str, x: Any) -> np.ndarray:
    """x as a C-contiguous float32 array: itself when it already is one, else a copy,
    refused when float32 cannot hold its values exactly enough (see the module doc)."""
    a = np.asarray(x)
    if a.dtype == np.float32:
        return np.asarray(a, order="C")  # (ascontiguousarray would make 0-d 1-d)
    kind = a.dtype.kind
    if kind not in "biuf":
        raise DTypeError(f"{func}: {name} has dtype {a.dtype}; expected real numbers")
    if kind in "iu" and _largest_magnitude(a) > _F32_EXACT_INTEGER:
        raise ArgumentError(
            f"{func}: {name} holds integers beyond 2**24 ({_largest_magnitude(a)}), which "
            "float32 cannot represent exactly; pass float arrays"
        )
    if kind == "f" and a.dtype.itemsize > 4 and a.size:
        finite = a[np.isfinite(a)]
        if finite.size and float(np.abs(finite).max()) > _F32_MAX:
            raise ArgumentError(
                f"{func}: {name} holds finite values beyond float32's range "
                f"({float(np.abs(finite).max()):g}); they would become inf"
            )
    return np.asarray(a, dtype=np.float32, order="C")


def _matmul_operands(func: str, A: Any, B: Any) -> Tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(A), np.asarray(B)
    if a.ndim == 2 and b.ndim == 2 and a.dtype.kind in "biu" and b.dtype.kind in "biu":
        # Every partial sum is bounded by max|A| * max|B| * K: exact below 2**24.
        bound = _largest_magnitude(a) * _largest_magnitude(b) * a.shape[1]
        if bound > _F32_EXACT_INTEGER:
            raise ArgumentError(
                f"{func}: integer inputs {list(a.shape)} x {list(b.shape)} can sum past 2**24 "
                f"(bound {bound}), beyond float32's exact integers; pass float arrays"
            )
    return _as_float32(func, "A", a), _as_float32(func, "B", b)


def time_kernel(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Tuple[Any, float]:
    """One warm-up call, then one call timed with time.perf_counter: (its result, the
    microseconds it took). tandem.time_kernel repeats and returns statistics."""
    func(*args, **kwargs)
    start = time.perf_counter()
    result = func(*args, **kwargs)
    return result, (time.perf_counter() - start) * 1e6


def matmul_baseline(A: Any, B: Any) -> np.ndarray:
    """A @ B for 2-D A [M, K] and B [K, N]: float32 [M, N]. ValueError (tandem.ShapeError)
    when the inner dimensions differ."""
    a, b = _matmul_operands("matmul_baseline", A, B)
    return _tandem.matmul(a, b)


def cache_friendly_matmul(A: Any, B: Any, block_size: int = 64) -> np.ndarray:
    """A @ B computed in block_size x block_size x block_size cache blocks (Tandem's packed
    GEMM with mc = kc = nc = block_size, each capped at its dimension). Any block_size >= 1
    gives the same result; below 1 is a ValueError."""
    if not isinstance(block_size, (int, np.integer)) or isinstance(block_size, bool):
        raise DTypeError(f"cache_friendly_matmul: block_size must be an int, got {block_size!r}")
    if block_size < 1:
        raise ArgumentError(f"cache_friendly_matmul: block_size must be >= 1, got {block_size}")
    a, b = _matmul_operands("cache_friendly_matmul", A, B)
    size = int(block_size)
    return _tandem.matmul(a, b, blocking=(size, size, size))


def vectorized_relu(x: Any) -> np.ndarray:
    """max(0, x) element-wise, any shape: float32, x's shape."""
    return _tandem.relu(_as_float32("vectorized_relu", "x", x))


def vectorized_operations(x: Any, y: Any) -> Dict[str, Union[np.ndarray, float]]:
    """The module's element-wise and reduction suite on two arrays of the same shape:
    element_wise_add, element_wise_multiply, squared_difference (float32 arrays) and
    euclidean_distance, dot_product, cosine_similarity (floats, over the flattened
    arrays). ValueError (tandem.ShapeError) when the shapes differ."""
    a = _as_float32("vectorized_operations", "x", x)
    b = _as_float32("vectorized_operations", "y", y)
    if a.shape != b.shape:
        raise _tandem.ShapeError(
            f"vectorized_operations: shapes differ: {list(a.shape)} and {list(b.shape)}"
        )
    return {
        "element_wise_add": _tandem.add(a, b),
        "element_wise_multiply": _tandem.multiply(a, b),
        "squared_difference": _tandem.squared_difference(a, b),
        "euclidean_distance": _tandem.euclidean_distance(a, b),
        "dot_product": _tandem.dot(a, b),
        "cosine_similarity": _tandem.cosine_similarity(a, b),
    }


def parallel_relu(x: Any, num_workers: int = 4) -> np.ndarray:
    """max(0, x) on num_workers threads (Tandem's OpenMP relu); below 10000 elements,
    vectorized_relu. num_workers < 1 is a ValueError."""
    if num_workers < 1:
        raise ArgumentError(f"parallel_relu: num_workers must be >= 1, got {num_workers}")
    a = _as_float32("parallel_relu", "x", x)
    if a.size < _PARALLEL_MIN_ELEMENTS:
        return _tandem.relu(a)
    return _tandem.relu(a, threads=int(num_workers))


def parallel_batch_processing(
    batch_data: Any,
    operation: Optional[Callable[[Any], Any]] = None,
    num_workers: int = 4,
) -> np.ndarray:
    """operation (default vectorized_relu) on batch_data split along axis 0 into
    num_workers parts run on a thread pool, the parts' results concatenated along axis 0:
    the same as operation on the whole batch. With fewer samples than workers, one call.
    Tandem's own operations release the GIL, so their parts run in parallel."""
    if num_workers < 1:
        raise ArgumentError(
            f"parallel_batch_processing: num_workers must be >= 1, got {num_workers}"
        )
    op = vectorized_relu if operation is None else operation
    data = np.asarray(batch_data)
    if data.ndim == 0:
        raise _tandem.ShapeError("parallel_batch_processing: batch_data has no batch axis (0-d)")
    if len(data) < num_workers:
        return np.asarray(op(data))
    parts = np.array_split(data, num_workers, axis=0)
    with ThreadPoolExecutor(max_workers=num_workers) as pool:
        results = list(pool.map(op, parts))
    return np.concatenate([np.asarray(r) for r in results], axis=0)


def _bits_checked(func: str, bits: Any) -> int:
    if bits not in (8, 16):  # True == 1 and "8" are not in it either
        raise ArgumentError(f"{func}: bits must be 8 or 16, got {bits!r}")
    return int(bits)


def quantized_matmul(A: Any, B: Any, bits: int = 8) -> np.ndarray:
    """A and B quantized symmetrically per tensor to bits (8 or 16), multiplied with exact
    integer sums, dequantized: float32 [M, N]. At 16 bits the sums are 64-bit (on the CPU),
    exact for every K (the module's int32 sums wrap for K > 2)."""
    bits = _bits_checked("quantized_matmul", bits)
    a, b = _matmul_operands("quantized_matmul", A, B)
    return _tandem.quantized_matmul(a, b, bits)


def quantized_relu(x: Any, bits: int = 8) -> np.ndarray:
    """x quantized to bits (8 or 16), max(0, q), dequantized: float32, x's shape."""
    bits = _bits_checked("quantized_relu", bits)
    return _tandem.quantized_relu(_as_float32("quantized_relu", "x", x), bits)
