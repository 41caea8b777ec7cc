"""Type stubs of tandem._tandem, the extension over Tandem's dispatcher (re-exported by
tandem). Every operation takes, after its own arguments, the keyword options of
``Options``: device, implementation, threads, blocking."""

from typing import Any, Callable, Literal, Optional, Sequence, Tuple, TypeVar, overload

from typing_extensions import TypedDict, Unpack

import numpy as np
import numpy.typing as npt

__version__: str

# An array Tandem can see without a copy: a C-contiguous NumPy array, anything with the
# buffer protocol, or a DLPack producer (a PyTorch tensor, on the CPU or a GPU).
ArrayLike = Any
# What an operation returns: a NumPy array for NumPy (and buffer) inputs, a torch.Tensor
# for PyTorch inputs.
Array = Any
Activation = Literal["none", "relu"]
Granularity = Literal["per_channel", "per_tensor"]

class Options(TypedDict, total=False):
    device: Optional[str]  # "cpu", "cuda", "cuda:N"; None: the dispatcher chooses
    # "reference", "cpu.amx", "cpu.avx512", "cpu.avx2_vnni", "cpu.avx2", "cuda.tiled", ...
    implementation: Optional[str]
    threads: int  # CPU threads; 0 is OpenMP's default
    blocking: Optional[Tuple[int, int, int]]  # the CPU GEMMs' (mc, kc, nc) in elements

class Error(Exception): ...
class ShapeError(Error, ValueError): ...
class DTypeError(Error, TypeError): ...
class DeviceError(Error, RuntimeError): ...
class ArgumentError(Error, ValueError): ...

def matmul(a: ArrayLike, b: ArrayLike, *, out: Optional[ArrayLike] = None,
           **options: Unpack[Options]) -> Array:
    """a @ b for float32 a [m, k] and b [k, n]: a new [m, n] array, or written into out."""

def gemm(a: ArrayLike, b: ArrayLike, c: ArrayLike, *, alpha: float = 1.0, beta: float = 0.0,
         trans_a: bool = False, trans_b: bool = False, **options: Unpack[Options]) -> None:
    """c = alpha * op(a) @ op(b) + beta * c in place on c (beta == 0 never reads c)."""

def linear(x: ArrayLike, w: ArrayLike, bias: Optional[ArrayLike] = None,
           activation: Activation = "none", *, out: Optional[ArrayLike] = None,
           **options: Unpack[Options]) -> Array:
    """activation(x @ w + bias), the bias and activation applied in the GEMM's store."""

def relu(x: ArrayLike, *, out: Optional[ArrayLike] = None, **options: Unpack[Options]) -> Array:
    """max(x, 0) element-wise (NaN propagates); out may be x."""

def add(x: ArrayLike, y: ArrayLike, *, out: Optional[ArrayLike] = None,
        **options: Unpack[Options]) -> Array: ...
def multiply(x: ArrayLike, y: ArrayLike, *, out: Optional[ArrayLike] = None,
             **options: Unpack[Options]) -> Array: ...
def squared_difference(x: ArrayLike, y: ArrayLike, *, out: Optional[ArrayLike] = None,
                       **options: Unpack[Options]) -> Array: ...
def dot(x: ArrayLike, y: ArrayLike, **options: Unpack[Options]) -> float: ...
def euclidean_distance(x: ArrayLike, y: ArrayLike, **options: Unpack[Options]) -> float: ...
def cosine_similarity(x: ArrayLike, y: ArrayLike, **options: Unpack[Options]) -> float: ...

class QuantizedTensor:
    """Quantized values and what they stand for, (q - zero_point) * scale: int8 or int16
    (zero point 0), or uint8 with a zero point in [0, 255]."""

    def __init__(self, values: ArrayLike, scale: float, zero_point: int = 0) -> None: ...
    @property
    def values(self) -> npt.NDArray[np.int8] | npt.NDArray[np.int16] | npt.NDArray[np.uint8]: ...
    @property
    def scale(self) -> float: ...
    @property
    def zero_point(self) -> int: ...
    @property
    def bits(self) -> Literal[8, 16]: ...

def quantize(x: ArrayLike, bits: int = 8, **options: Unpack[Options]) -> QuantizedTensor:
    """Symmetric per-tensor quantization: scale = max|x| / (2^(bits-1) - 1)."""

def quantize_asymmetric(x: ArrayLike, **options: Unpack[Options]) -> QuantizedTensor:
    """Asymmetric uint8 (PyTorch's quint8): scale = (max - min) / 255 over x's range with 0."""

def dequantize(q: QuantizedTensor, **options: Unpack[Options]) -> npt.NDArray[np.float32]: ...
def quantized_matmul(a: ArrayLike, b: ArrayLike, bits: int = 8,
                     **options: Unpack[Options]) -> Array:
    """Quantize a and b per tensor, exact integer sums, dequantize (16 bits past K = 2:
    int64 sums, on the CPU only)."""

@overload
def quantized_relu(x: QuantizedTensor, bits: int = 8,
                   **options: Unpack[Options]) -> QuantizedTensor: ...
@overload
def quantized_relu(x: ArrayLike, bits: int = 8,
                   **options: Unpack[Options]) -> Array: ...

class QuantizedWeights:
    """W quantized and packed once; immutable, shared by threads."""

    @staticmethod
    def prepare(w: ArrayLike, bits: int = 8, granularity: Granularity = "per_channel",
                **options: Unpack[Options]) -> QuantizedWeights: ...
    @property
    def bits(self) -> Literal[8, 16]: ...
    @property
    def k(self) -> int: ...
    @property
    def n(self) -> int: ...
    @property
    def granularity(self) -> Granularity: ...
    @property
    def scales(self) -> list[float]: ...
    @property
    def implementation(self) -> str: ...
    @property
    def stored_bytes(self) -> int: ...

@overload
def quantized_linear(x: ArrayLike | QuantizedTensor, w: QuantizedWeights,
                     bias: Optional[ArrayLike] = None, activation: Activation = "none",
                     output_scale: None = None, output_zero_point: None = None,
                     **options: Unpack[Options]) -> Array: ...
@overload
def quantized_linear(x: ArrayLike | QuantizedTensor, w: QuantizedWeights,
                     bias: Optional[ArrayLike], activation: Activation, output_scale: float,
                     output_zero_point: Optional[int] = None,
                     **options: Unpack[Options]) -> QuantizedTensor: ...

class TimingOptions:
    warmups: int
    min_repetitions: int
    min_seconds: float
    max_repetitions: int
    def __init__(self, *, warmups: int = 2, min_repetitions: int = 5, min_seconds: float = 0.05,
                 max_repetitions: int = 1000000) -> None: ...

class TimingStats:
    """Per-call times in microseconds."""

    @property
    def min_us(self) -> float: ...
    @property
    def median_us(self) -> float: ...
    @property
    def mean_us(self) -> float: ...
    @property
    def stddev_us(self) -> float: ...
    @property
    def max_us(self) -> float: ...
    @property
    def repetitions(self) -> int: ...

_R = TypeVar("_R")

def time_kernel(fn: Callable[..., _R], *args: Any, timing: Optional[TimingOptions] = None,
                **kwargs: Any) -> Tuple[_R, TimingStats]: ...
def timer_overhead_us() -> float: ...
def batch_apply(batch: ArrayLike, fn: Callable[[npt.NDArray[np.float32]], npt.ArrayLike],
                workers: int, **options: Unpack[Options]) -> Array: ...
def set_verbose(on: bool) -> None: ...
def verbose() -> bool: ...
def _info_json() -> str: ...
def _info_text() -> str: ...
