"""Tandem from Python: the operations of Tandem's C++ dispatcher on NumPy arrays (and on
anything with the buffer protocol or DLPack, PyTorch tensors among them), without copies.

Every operation takes C-contiguous arrays of the dtype it computes in (float32 for the
float ops; int8/int16 inside QuantizedTensor) and refuses anything else with a
tandem.Error that names the operation and the argument: it never converts silently.
Results are new arrays that own Tandem's storage (NumPy for NumPy inputs, PyTorch for
PyTorch inputs), or are written into ``out=``. Kernels run without the GIL.

The keyword arguments every operation takes after its own (tandem::Options):

- ``device``: "cpu", "cuda", "cuda:N", or None (the dispatcher chooses).
- ``implementation``: force one ("reference", "cpu.amx", "cpu.avx512", "cpu.avx2_vnni",
  "cpu.avx2", "cpu.baseline", "cuda.tiled", "cuda.cublas", ...; ``info()["kernels"]``
  lists them), or "".
- ``threads``: CPU threads, 0 for OpenMP's default.
- ``blocking``: the CPU GEMMs' cache blocks ``(mc, kc, nc)`` in elements, or None.

``tandem.seed`` is the NumPy teaching module's API (TinyTorch's kernels module) on Tandem.
"""

from __future__ import annotations

import json as _json
from typing import Any, Union

from ._tandem import (
    ArgumentError,
    DeviceError,
    DTypeError,
    Error,
    QuantizedTensor,
    QuantizedWeights,
    ShapeError,
    TimingOptions,
    TimingStats,
    __version__,
    add,
    batch_apply,
    cosine_similarity,
    dequantize,
    dot,
    euclidean_distance,
    gemm,
    linear,
    matmul,
    multiply,
    quantize,
    quantize_asymmetric,
    quantized_linear,
    quantized_matmul,
    quantized_relu,
    relu,
    set_verbose,
    squared_difference,
    time_kernel,
    timer_overhead_us,
    verbose,
)
from . import _tandem
from . import seed


def info(as_text: bool = False) -> Union[dict[str, Any], str]:
    """What ``tandem info`` reports: the CPU and its SIMD paths, the GPUs (or why there
    are none), every registered kernel and whether it can run here, the cost model's
    source and the timer's overhead. A dict, or the command's text with as_text=True."""
    if as_text:
        return _tandem._info_text()
    return _json.loads(_tandem._info_json())


__all__ = [
    "ArgumentError",
    "DTypeError",
    "DeviceError",
    "Error",
    "QuantizedTensor",
    "QuantizedWeights",
    "ShapeError",
    "TimingOptions",
    "TimingStats",
    "__version__",
    "add",
    "batch_apply",
    "cosine_similarity",
    "dequantize",
    "dot",
    "euclidean_distance",
    "gemm",
    "info",
    "linear",
    "matmul",
    "multiply",
    "quantize",
    "quantize_asymmetric",
    "quantized_linear",
    "quantized_matmul",
    "quantized_relu",
    "relu",
    "seed",
    "set_verbose",
    "squared_difference",
    "time_kernel",
    "timer_overhead_us",
    "verbose",
]
