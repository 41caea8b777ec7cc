// The reference kernels: plain scalar C++, written to be obviously correct rather
// than fast. Every other kernel in Tandem is tested against these.
//
// Conventions: raw pointers, element counts and leading dimensions (in elements),
// row-major storage. Callers validate shapes; these functions validate only what
// depends on the data (NaN/Inf where a scale is derived, int32 overflow bounds) and
// do so before writing any output.
#pragma once

#include <cstdint>
#include <functional>

#include <tandem/epilogue.h>
#include <tandem/quantization_rules.h>
#include <tandem/transpose.h>

namespace tandem::cpu::reference {

// ---- GEMM ------------------------------------------------------------------
// C = alpha * op(A) * op(B) + beta * C with BLAS semantics on row-major storage:
// op(A) is m x k, op(B) is k x n, C is m x n. Products are accumulated in double
// and rounded to float once. beta == 0 never reads C (C may hold NaN). The epilogue
// (epilogue.h) is applied to that float: + bias[j], then the activation.
void gemm(Transpose trans_a, Transpose trans_b, std::int64_t m, std::int64_t n, std::int64_t k,
          float alpha, const float* a, std::int64_t lda, const float* b, std::int64_t ldb,
          float beta, float* c, std::int64_t ldc, const Epilogue& epilogue = {});

// C = A * B for contiguous A (m x k), B (k x n), C (m x n).
void matmul(const float* a, const float* b, float* c, std::int64_t m, std::int64_t n,
            std::int64_t k);

// ---- Element-wise (out-of-place; out may alias an input) -----------------------
// relu(x) = max(x, 0); NaN propagates (relu(NaN) is NaN), as in PyTorch.
void relu(const float* x, float* y, std::int64_t n);
void add(const float* x, const float* y, float* out, std::int64_t n);
void multiply(const float* x, const float* y, float* out, std::int64_t n);
// (x - y)^2, computed as d * d with d = x - y rounded to float.
void squared_difference(const float* x, const float* y, float* out, std::int64_t n);

// ---- Reductions (accumulated in double) ---------------------------------------
double dot(const float* x, const float* y, std::int64_t n);
double squared_distance(const float* x, const float* y, std::int64_t n);  // sum (x - y)^2
double euclidean_distance(const float* x, const float* y, std::int64_t n);
// dot(x, y) / (max(|x|, eps) * max(|y|, eps)) with eps = 1e-8, as PyTorch does, so a
// zero vector gives 0 rather than NaN.
double cosine_similarity(const float* x, const float* y, std::int64_t n);
inline constexpr double kCosineEps = 1e-8;

// ---- Symmetric per-tensor quantization -----------------------------------------
// q = clamp(round_half_even(x * inv_scale), type min, type max), x = q * scale, with
// inv_scale = 1 / scale rounded to float (a multiply, as FBGEMM and PyTorch do).
// Supported widths: 8 (int8_t) and 16 (int16_t) bits.

// 2^(bits-1) - 1: 127 or 32767. Throws ArgumentError for other widths.
std::int32_t quant_max(int bits);

// max|x| / quant_max(bits); 1 for an all-zero (or empty) input; never below the
// smallest normal float. NaN or Inf anywhere in x is an ArgumentError.
float quantize_scale(const float* x, std::int64_t n, int bits);

// Throw ArgumentError if scale is not a finite, positive, normal float (so that
// 1 / scale is finite) or x holds NaN/Inf.
void quantize(const float* x, std::int64_t n, float scale, std::int8_t* q);
void quantize(const float* x, std::int64_t n, float scale, std::int16_t* q);
void dequantize(const std::int8_t* q, std::int64_t n, float scale, float* x);
void dequantize(const std::int16_t* q, std::int64_t n, float scale, float* x);

// Asymmetric uint8 (quant::asymmetric_params): the scale and zero point of x's range
// (with 0), and q[i] = clamp(round(x[i] / scale) + zero_point, 0, 255). NaN/Inf is an
// ArgumentError, nothing written.
quant::AsymmetricParams quantize_asymmetric(const float* x, std::int64_t n, std::uint8_t* q);
// x[i] = (q[i] - zero_point) * scale.
void dequantize(const std::uint8_t* q, std::int64_t n, float scale, std::int32_t zero_point,
                float* x);

// ---- Integer GEMM ----------------------------------------------------------------
// C = A * B with int32 accumulation. Sums wrap modulo 2^32 like the hardware's
// vpdpbusd/vpdpwssd, so any int32-accumulating kernel matches these bit for bit.
void gemm_s8s8s32(std::int64_t m, std::int64_t n, std::int64_t k, const std::int8_t* a,
                  std::int64_t lda, const std::int8_t* b, std::int64_t ldb, std::int32_t* c,
                  std::int64_t ldc);
void gemm_s16s16s32(std::int64_t m, std::int64_t n, std::int64_t k, const std::int16_t* a,
                    std::int64_t lda, const std::int16_t* b, std::int64_t ldb, std::int32_t* c,
                    std::int64_t ldc);

// ---- Quantized operations (float in, float out) ----------------------------------
// The largest K whose sums quantized_matmul keeps exact: 133144 at 8 bits (int32 sums,
// k * 127^2 < 2^31), 2^33 - 1 at 16 bits (int64 sums; quant::max_exact_layer_k).
std::int64_t max_quantized_k(int bits);

// Quantize A and B (each with its own scale), multiply with exact integer sums (int32 at
// 8 bits, int64 at 16), and dequantize: C = float(acc) * (scale_a * scale_b). K above
// max_quantized_k is an ArgumentError, not a wrapped result.
void quantized_matmul(const float* a, const float* b, float* c, std::int64_t m, std::int64_t n,
                      std::int64_t k, int bits);

// Quantize x, take max(q, 0) in the integer domain, dequantize.
void quantized_relu(const float* x, float* y, std::int64_t n, int bits);
// max(q, 0) on quantized values (same scale), int8 or int16 in and out.
void relu_s8(const std::int8_t* q, std::int8_t* y, std::int64_t n);
void relu_s16(const std::int16_t* q, std::int16_t* y, std::int64_t n);
// max(q, zero_point) on asymmetric uint8 values: the code of 0 is the zero point.
void relu_u8(const std::uint8_t* q, std::uint8_t* y, std::int64_t n, std::int32_t zero_point);

// ---- Quantized layers ----------------------------------------------------------------
// W (k x n, row-major) quantized symmetrically per output column (channel): scales[j]
// = symmetric scale of max_i |W[i][j]| (1 for an all-zero column), q[i][j] by the
// quantize rule with that column's scale. NaN/Inf is an ArgumentError, nothing written.
void quantize_per_column(const float* w, std::int64_t k, std::int64_t n, float* scales,
                         std::int8_t* q);
void quantize_per_column(const float* w, std::int64_t k, std::int64_t n, float* scales,
                         std::int16_t* q);

// The quantized layer on quantized x (m x k) and W (k x n), both contiguous:
//   y[i][j] = act(float(sum_p x[i][p] * w[p][j]) * scales[per_column ? j : 0] + bias[j])
// the sum exact (int64), rounded to float once; bias may be null. With out_scale > 0
// y is requantized to int8 by the quantize rule (yq must then be non-null, y unused).
void quantized_linear(std::int64_t m, std::int64_t n, std::int64_t k, const std::int8_t* x,
                      const std::int8_t* w, const float* scales, bool per_column, const float* bias,
                      Activation activation, float* y, float out_scale = 0.0f,
                      std::int8_t* yq = nullptr);
void quantized_linear(std::int64_t m, std::int64_t n, std::int64_t k, const std::int16_t* x,
                      const std::int16_t* w, const float* scales, bool per_column,
                      const float* bias, Activation activation, float* y, float out_scale = 0.0f,
                      std::int8_t* yq = nullptr);
// The same with x as asymmetric uint8, standing for x - x_zero_point (8-bit weights).
void quantized_linear(std::int64_t m, std::int64_t n, std::int64_t k, const std::uint8_t* x,
                      std::int32_t x_zero_point, const std::int8_t* w, const float* scales,
                      bool per_column, const float* bias, Activation activation, float* y,
                      float out_scale = 0.0f, std::int8_t* yq = nullptr);
// 8-bit layers whose y is requantized to asymmetric uint8: clamp(round(y / scale) +
// zero_point, 0, 255). x int8, or uint8 with x_zero_point.
struct U8Output {
  float scale = 1.0f;
  std::int32_t zero_point = 0;
  std::uint8_t* values = nullptr;
};
void quantized_linear(std::int64_t m, std::int64_t n, std::int64_t k, const std::int8_t* x,
                      const std::int8_t* w, const float* scales, bool per_column, const float* bias,
                      Activation activation, const U8Output& out);
void quantized_linear(std::int64_t m, std::int64_t n, std::int64_t k, const std::uint8_t* x,
                      std::int32_t x_zero_point, const std::int8_t* w, const float* scales,
                      bool per_column, const float* bias, Activation activation,
                      const U8Output& out);

// ---- Batch apply ---------------------------------------------------------------------
// An element-wise operation on one contiguous run of elements.
using RowOp = std::function<void(const float* x, float* y, std::int64_t n)>;

// Apply op to a rows x cols batch, split into `workers` contiguous row blocks that
// run on their own threads. The result is identical to op(x, y, rows * cols).
void batch_apply(const RowOp& op, const float* x, float* y, std::int64_t rows, std::int64_t cols,
                 int workers);

}  // namespace tandem::cpu::reference
