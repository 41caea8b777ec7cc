// The stores of the integer GEMMs (igemm_dp4a.cu, igemm_s16.cu): int32 C, or the
// dequantizing one of quantized_matmul. A kernel calls four() for four consecutive
// columns of a row, one() for a single element.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace tandem::cuda::detail {

struct StoreInt32 {
  std::int32_t* c;
  std::int64_t ldc;
  bool vec;  // ldc % 4 == 0 and a 16-byte aligned base: int4 stores

  __device__ __forceinline__ void four(std::int64_t row, std::int64_t col, std::int64_t n,
                                       const int (&v)[4]) const {
    std::int32_t* out = c + row * ldc + col;
    if (vec && col + 3 < n) {
      *reinterpret_cast<int4*>(out) = make_int4(v[0], v[1], v[2], v[3]);
    } else {
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        if (col + e < n) out[e] = v[e];
      }
    }
  }
  __device__ __forceinline__ void one(std::int64_t row, std::int64_t col, int v) const {
    c[row * ldc + col] = v;
  }
};

// float(acc) rounded to nearest even, then one float multiply: the reference's
// static_cast<float>(acc) * scale_c.
struct StoreDequantized {
  float* c;
  std::int64_t ldc;
  float scale;
  bool vec;

  __device__ __forceinline__ float value(int v) const {
    return __fmul_rn(__int2float_rn(v), scale);
  }
  __device__ __forceinline__ void four(std::int64_t row, std::int64_t col, std::int64_t n,
                                       const int (&v)[4]) const {
    float* out = c + row * ldc + col;
    if (vec && col + 3 < n) {
      *reinterpret_cast<float4*>(out) =
          make_float4(value(v[0]), value(v[1]), value(v[2]), value(v[3]));
    } else {
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        if (col + e < n) out[e] = value(v[e]);
      }
    }
  }
  __device__ __forceinline__ void one(std::int64_t row, std::int64_t col, int v) const {
    c[row * ldc + col] = value(v);
  }
};

}  // namespace tandem::cuda::detail
