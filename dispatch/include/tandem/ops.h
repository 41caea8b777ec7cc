// The operations, on Tensors. Inputs are checked before anything runs: a refused
// call throws (ShapeError, DTypeError, DeviceError, ArgumentError) with a message
// naming the operation and the shapes, and leaves every output untouched.
//
// Empty tensors are valid: a matmul with K = 0 gives zeros, a reduction over no
// elements gives 0. No broadcasting: element-wise operands have equal shapes.
#pragma once

#include <cstdint>
#include <functional>

#include <tandem/tensor.h>
#include <tandem/transpose.h>

namespace tandem {

// ---- Matrix multiplication (f32) ----------------------------------------------------
// [m, k] x [k, n] -> [m, n].
Tensor matmul(const Tensor& a, const Tensor& b);

// C = alpha * op(A) * op(B) + beta * C on rank-2 tensors, in place on C. beta == 0
// never reads C.
void gemm(Transpose trans_a, Transpose trans_b, float alpha, const Tensor& a, const Tensor& b,
          float beta, Tensor& c);

// ---- Element-wise (f32, equal shapes) ------------------------------------------------
Tensor relu(const Tensor& x);  // NaN propagates
Tensor add(const Tensor& x, const Tensor& y);
Tensor multiply(const Tensor& x, const Tensor& y);
Tensor squared_difference(const Tensor& x, const Tensor& y);

// ---- Reductions over all elements (f32, equal shapes) ---------------------------------
double dot(const Tensor& x, const Tensor& y);
double euclidean_distance(const Tensor& x, const Tensor& y);
double cosine_similarity(const Tensor& x, const Tensor& y);  // 0 for a zero vector

// ---- Quantization (symmetric, per tensor, 8 or 16 bits) --------------------------------
struct QuantizedTensor {
  Tensor values;  // i8 or i16
  float scale = 1.0f;
  int bits() const { return values.dtype() == DType::i8 ? 8 : 16; }
};

// scale = max|x| / (2^(bits-1) - 1) (1 for all zeros); NaN/Inf is an ArgumentError.
QuantizedTensor quantize(const Tensor& x, int bits = 8);
Tensor dequantize(const QuantizedTensor& q);

// quantize both, multiply with int32 accumulation, dequantize. K that could overflow
// int32 (above 133144 at 8 bits, 2 at 16 bits) is an ArgumentError.
Tensor quantized_matmul(const Tensor& a, const Tensor& b, int bits = 8);
Tensor quantized_relu(const Tensor& x, int bits = 8);

// ---- Batch apply -------------------------------------------------------------------------
// An element-wise function on one contiguous run of n floats.
using RowFunction = std::function<void(const float* x, float* y, std::int64_t n)>;

// op over a batch (f32, rank >= 1, rows along dimension 0) split into `workers`
// row blocks run in parallel; the result equals op over the whole batch at once.
Tensor batch_apply(const Tensor& batch, const RowFunction& op, int workers);

}  // namespace tandem
