// quantized_matmul: the reference's symmetric per-tensor quantization, on the device.
//   1. max|x| of A and of B: one grid-stride pass each, atomicMax on the bit pattern
//      of |x| (non-negative floats order like their bits). NaN and Inf have the
//      largest patterns (>= 0x7f800000), so the same maximum tells whether an input
//      holds one; both results come back to the host in one copy (this waits).
//   2. On the host, in float, as the reference: scale = max|x| / qmax (1 for all
//      zeros, never below FLT_MIN), inv_scale = 1 / scale, scale_c = scale_a * scale_b.
//   3. Quantize A and B into temporary buffers: clamp(round_half_even(x * inv_scale)),
//      A's rows padded to 16 bytes so that the int8 GEMM loads them as int4.
//   4. The integer GEMM (dp4a for 8 bits, the int16 kernel for 16) with the
//      dequantizing store C = float(acc) * scale_c.
// Refusals (bit width, K past the int32 bound, NaN/Inf) come before C is written.
#include <cuda_runtime.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <limits>
#include <string>

#include <tandem/cuda/kernels.h>
#include <tandem/cuda/memory.h>
#include <tandem/error.h>
#include <tandem/quantization_rules.h>
#include "gemm_common.h"
#include "stream_scratch.h"

namespace tandem::cuda {
namespace {

constexpr unsigned kNonFinite = 0x7f800000u;  // |x| bits at or above: Inf or NaN
constexpr int kThreads = 256;

__device__ __forceinline__ unsigned abs_bits(float x) { return __float_as_uint(x) & 0x7fffffffu; }

// *out = max(*out, max_i bits(|x_i|)).
__global__ void __launch_bounds__(kThreads)
    max_abs_bits_kernel(const float* __restrict__ x, std::int64_t n, bool vec, unsigned* out) {
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  const std::int64_t first = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  unsigned local = 0;
  std::int64_t done = 0;
  if (vec) {  // 16-byte aligned: float4 loads, then the scalar tail
    const std::int64_t n4 = n / 4;
    const float4* x4 = reinterpret_cast<const float4*>(x);
    for (std::int64_t i = first; i < n4; i += stride) {
      const float4 v = __ldg(x4 + i);
      local = max(local, max(max(abs_bits(v.x), abs_bits(v.y)), max(abs_bits(v.z), abs_bits(v.w))));
    }
    done = n4 * 4;
  }
  for (std::int64_t i = done + first; i < n; i += stride)
    local = max(local, abs_bits(__ldg(x + i)));
#pragma unroll
  for (int offset = 16; offset > 0; offset /= 2) {
    local = max(local, __shfl_xor_sync(0xffffffffu, local, offset));
  }
  if ((threadIdx.x & 31u) == 0) atomicMax(out, local);
}

using quant::QuantRange;

// q[r * ldq + c] = quantized x[r * cols + c] for the rows x cols contiguous x.
template <typename Q>
__global__ void __launch_bounds__(kThreads)
    quantize_rows_kernel(const float* __restrict__ x, std::int64_t rows, std::int64_t cols,
                         float inv_scale, Q* __restrict__ q, std::int64_t ldq) {
  const std::int64_t total = rows * cols;
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < total;
       i += stride) {
    const std::int64_t r = i / cols, c = i - r * cols;
    // Clamping to the (integral) bounds before rounding equals rounding, then clamping.
    const float v =
        fminf(fmaxf(__fmul_rn(__ldg(x + i), inv_scale), QuantRange<Q>::lo), QuantRange<Q>::hi);
    q[r * ldq + c] = static_cast<Q>(__float2int_rn(v));  // half to even, as nearbyint
  }
}

unsigned blocks_for(std::int64_t work) {
  const std::int64_t cap = std::int64_t{detail::sm_count()} * 8;
  return static_cast<unsigned>(std::clamp<std::int64_t>((work + kThreads - 1) / kThreads, 1, cap));
}

// The reference's scale from max|x| (finite here).
float scale_of(unsigned max_abs_bits, int bits) {
  return quant::symmetric_scale(std::bit_cast<float>(max_abs_bits), bits);
}

template <typename Q>
void quantize_rows(const float* x, std::int64_t rows, std::int64_t cols, float scale, Q* q,
                   std::int64_t ldq, cudaStream_t stream) {
  const float inv_scale = 1.0f / scale;
  TANDEM_CUDA_CHECK_BEFORE_LAUNCH("quantize_rows_kernel");
  quantize_rows_kernel<Q>
      <<<blocks_for(rows * cols), kThreads, 0, stream>>>(x, rows, cols, inv_scale, q, ldq);
  TANDEM_CUDA_CHECK_LAUNCH("quantize_rows_kernel");
}

std::int64_t round_up(std::int64_t v, std::int64_t to) { return (v + to - 1) / to * to; }

}  // namespace

void quantized_matmul(const float* a, const float* b, float* c, std::int64_t m, std::int64_t n,
                      std::int64_t k, int bits, const Stream& stream) {
  const std::string op = "quantized_matmul";
  quant::require_bits(op.c_str(), bits);
  if (m < 0 || n < 0 || k < 0) {
    throw ShapeError(op + ": negative dimension in m = " + std::to_string(m) +
                     ", n = " + std::to_string(n) + ", k = " + std::to_string(k));
  }
  quant::require_exact_k(op.c_str(), k, bits);
  const int device = stream.device();
  const detail::DeviceScope scope(device);
  const cudaStream_t s = detail::native(stream);

  // One stream-ordered scratch for the call: the two max|x| words, then the quantized A
  // and B (int8 rows padded for the dp4a kernel). Freed after the work queued on the
  // stream, so the only wait is for the scales, which must be known (and NaN refused)
  // before anything is written.
  const std::int64_t size_a = m * k, size_b = k * n;
  const std::size_t q_bytes = bits == 8 ? 1 : 2;
  const std::int64_t lda = bits == 8 && k >= 16 ? round_up(k, 16) : k;
  const std::int64_t ldb = bits == 8 ? round_up(n, 4) : n;
  constexpr std::size_t kStatsBytes = 256;  // keeps the int8 panels 256-byte aligned
  const std::size_t qa_bytes = static_cast<std::size_t>(m * lda) * q_bytes;
  const std::size_t qb_bytes = static_cast<std::size_t>(k * ldb) * q_bytes;
  const std::size_t qa_at = kStatsBytes, qb_at = kStatsBytes + (qa_bytes + 255) / 256 * 256;
  const detail::StreamScratch scratch(qb_at + qb_bytes, s);

  // 1. max|A| and max|B| (bit patterns), back on the host.
  unsigned max_bits[2] = {0, 0};
  if (size_a > 0 || size_b > 0) {
    unsigned* d_stats = scratch.as<unsigned>();
    TANDEM_CUDA_CHECK(cudaMemsetAsync(d_stats, 0, sizeof(max_bits), s));
    if (size_a > 0) {
      TANDEM_CUDA_CHECK_BEFORE_LAUNCH("max_abs_bits_kernel");
      max_abs_bits_kernel<<<blocks_for(size_a / 4 + 1), kThreads, 0, s>>>(
          a, size_a, detail::is_aligned(a, 16), d_stats);
      TANDEM_CUDA_CHECK_LAUNCH("max_abs_bits_kernel");
    }
    if (size_b > 0) {
      TANDEM_CUDA_CHECK_BEFORE_LAUNCH("max_abs_bits_kernel");
      max_abs_bits_kernel<<<blocks_for(size_b / 4 + 1), kThreads, 0, s>>>(
          b, size_b, detail::is_aligned(b, 16), d_stats + 1);
      TANDEM_CUDA_CHECK_LAUNCH("max_abs_bits_kernel");
    }
    TANDEM_CUDA_CHECK(
        cudaMemcpyAsync(max_bits, d_stats, sizeof(max_bits), cudaMemcpyDeviceToHost, s));
    TANDEM_CUDA_CHECK(cudaStreamSynchronize(s));
  }
  const char* names[2] = {"A", "B"};
  const std::int64_t rows[2] = {m, k}, cols[2] = {k, n};
  for (int i = 0; i < 2; ++i) {
    if (max_bits[i] >= kNonFinite) {
      throw ArgumentError(op + ": " + names[i] + " holds NaN or Inf (" + names[i] + " is " +
                          std::to_string(rows[i]) + " x " + std::to_string(cols[i]) +
                          "); quantization needs finite values");
    }
  }
  const float scale_a = scale_of(max_bits[0], bits);
  const float scale_b = scale_of(max_bits[1], bits);
  const float scale_c = quant::dequantization_scale(op.c_str(), scale_a, scale_b);
  if (m == 0 || n == 0) return;
  if (k == 0) {  // C = 0 * scale_c = +0
    TANDEM_CUDA_CHECK(cudaMemsetAsync(c, 0, static_cast<std::size_t>(m * n) * sizeof(float), s));
    return;
  }

  // 3-4. Quantize, multiply, dequantize: queued, not waited for (the scratch is freed in
  // stream order after them).
  if (bits == 8) {
    auto* qa = scratch.as<std::int8_t>(qa_at);
    auto* qb = scratch.as<std::int8_t>(qb_at);
    quantize_rows(a, m, k, scale_a, qa, lda, s);
    quantize_rows(b, k, n, scale_b, qb, ldb, s);
    detail::gemm_s8s8_dequantize(m, n, k, qa, lda, qb, ldb, scale_c, c, n, s);
  } else {
    auto* qa = scratch.as<std::int16_t>(qa_at);
    auto* qb = scratch.as<std::int16_t>(qb_at);
    quantize_rows(a, m, k, scale_a, qa, lda, s);
    quantize_rows(b, k, n, scale_b, qb, ldb, s);
    detail::gemm_s16s16_dequantize(m, n, k, qa, lda, qb, ldb, scale_c, c, n, s);
  }
}

}  // namespace tandem::cuda
