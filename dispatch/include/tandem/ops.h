// The operations, on Tensors on any device. Inputs are checked before anything runs:
// a refused call throws (ShapeError, DTypeError, DeviceError, ArgumentError) with a
// message naming the operation and the shapes, and leaves every output untouched.
//
// Each call is dispatched (dispatcher.cpp): Options say where and how it runs, and
// by default the dispatcher chooses. Outputs live where the inputs live; every
// operand of a call must be on one device. Calls are synchronous and thread-safe.
//
// Empty tensors are valid: a matmul with K = 0 gives zeros, a reduction over no
// elements gives 0. No broadcasting: element-wise operands have equal shapes.
#pragma once

#include <cstdint>
#include <functional>

#include <tandem/epilogue.h>
#include <tandem/options.h>
#include <tandem/tensor.h>
#include <tandem/transpose.h>

namespace tandem {

// ---- Matrix multiplication (f32) ----------------------------------------------------
// [m, k] x [k, n] -> [m, n].
Tensor matmul(const Tensor& a, const Tensor& b, const Options& options = {});
// Into an existing [m, n] f32 output on the same device, which may not overlap a or b.
void matmul(const Tensor& a, const Tensor& b, Tensor& out, const Options& options = {});

// C = alpha * op(A) * op(B) + beta * C on rank-2 tensors, in place on C. beta == 0
// never reads C. C may not share storage with A or B.
void gemm(Transpose trans_a, Transpose trans_b, float alpha, const Tensor& a, const Tensor& b,
          float beta, Tensor& c, const Options& options = {});

// The same on raw row-major storage with leading dimensions (BLAS semantics), host
// or device pointers: all three on one device, found by asking CUDA where they are.
// C may not overlap A or B.
void gemm(Transpose trans_a, Transpose trans_b, std::int64_t m, std::int64_t n, std::int64_t k,
          float alpha, const float* a, std::int64_t lda, const float* b, std::int64_t ldb,
          float beta, float* c, std::int64_t ldc, const Options& options = {});

// ---- Layers (f32) ---------------------------------------------------------------------
// y = act(x @ w + bias), as an inference engine runs a fully connected layer: x [m, k],
// w [k, n], bias [n] or an undefined Tensor for none, all on one device. The bias and
// the activation (tandem/epilogue.h) are applied by the GEMM's store as it writes y,
// never as another pass over y: y[i][j] = act(float(x @ w)[i][j] + bias[j]).
Tensor linear(const Tensor& x, const Tensor& w, const Tensor& bias = {},
              Activation activation = Activation::none, const Options& options = {});
// Into an existing [m, n] f32 output on the same device, which may not overlap an input.
void linear(const Tensor& x, const Tensor& w, const Tensor& bias, Activation activation,
            Tensor& out, const Options& options = {});

// ---- Element-wise (f32, equal shapes) ------------------------------------------------
Tensor relu(const Tensor& x, const Options& options = {});  // NaN propagates
Tensor add(const Tensor& x, const Tensor& y, const Options& options = {});
Tensor multiply(const Tensor& x, const Tensor& y, const Options& options = {});
Tensor squared_difference(const Tensor& x, const Tensor& y, const Options& options = {});

// Into an existing output: f32, the inputs' shape and device. out may be an input
// itself (in place) but may not partly overlap one.
void relu(const Tensor& x, Tensor& out, const Options& options = {});
void add(const Tensor& x, const Tensor& y, Tensor& out, const Options& options = {});
void multiply(const Tensor& x, const Tensor& y, Tensor& out, const Options& options = {});
void squared_difference(const Tensor& x, const Tensor& y, Tensor& out, const Options& options = {});

// ---- Reductions over all elements (f32, equal shapes) ---------------------------------
double dot(const Tensor& x, const Tensor& y, const Options& options = {});
double euclidean_distance(const Tensor& x, const Tensor& y, const Options& options = {});
// 0 for a zero vector.
double cosine_similarity(const Tensor& x, const Tensor& y, const Options& options = {});

// ---- Quantization (per tensor: symmetric int8/int16, asymmetric uint8) ------------------
// values stand for scale * (values - zero_point): i8 or i16 with zero_point 0
// (symmetric), or u8 with a zero point in [0, 255] (asymmetric).
struct QuantizedTensor {
  Tensor values;  // i8, i16 or u8
  float scale = 1.0f;
  std::int32_t zero_point = 0;
  int bits() const { return values.dtype() == DType::i16 ? 16 : 8; }
};

// scale = max|x| / (2^(bits-1) - 1) (1 for all zeros); NaN/Inf is an ArgumentError.
QuantizedTensor quantize(const Tensor& x, int bits = 8, const Options& options = {});
Tensor dequantize(const QuantizedTensor& q, const Options& options = {});
// x (f32, host) to asymmetric uint8 (PyTorch's quint8): the range [min(x, 0), max(x, 0)]
// over 256 codes, scale = range / 255, zero_point = round(-min / scale) (0 for
// non-negative x: all 256 codes for its magnitude, twice int8's), q = clamp(round(x /
// scale) + zero_point, 0, 255) (tandem/quantization_rules.h). NaN/Inf is an
// ArgumentError; a GPU tensor a DeviceError (the uint8 ops run on the CPU so far).
QuantizedTensor quantize_asymmetric(const Tensor& x, const Options& options = {});

// quantize both, multiply with exact integer sums, dequantize. At 8 bits the sums are
// int32 (K above 133144 could overflow them: an ArgumentError); at 16 bits the CPU
// kernels sum in int64, exact for any K, while the GPU's sum in int32: K > 2 at 16 bits
// runs on the CPU, and asking for a GPU there is an ArgumentError.
Tensor quantized_matmul(const Tensor& a, const Tensor& b, int bits = 8,
                        const Options& options = {});
Tensor quantized_relu(const Tensor& x, int bits = 8, const Options& options = {});
// relu on quantized data, int8 (or int16) in and out with x's scale: max(q, 0); uint8
// (host) max(q, zero_point). A quarter (half) of f32's memory traffic and storage; the
// values are exactly those quantized_relu of the tensor x stands for would give.
QuantizedTensor quantized_relu(const QuantizedTensor& x, const Options& options = {});

// ---- Batch apply -------------------------------------------------------------------------
// An element-wise function on one contiguous run of n floats.
using RowFunction = std::function<void(const float* x, float* y, std::int64_t n)>;

// op over a host batch (f32, rank >= 1, rows along dimension 0) split into `workers`
// row blocks run in parallel; the result equals op over the whole batch at once.
Tensor batch_apply(const Tensor& batch, const RowFunction& op, int workers,
                   const Options& options = {});

}  // namespace tandem
