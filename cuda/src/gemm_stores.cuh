// The stores of the GEMMs: the SGEMM's (sgemm_tiled.cu, sgemm_tiled_basic.cu: alpha,
// beta and the epilogue), and the integer GEMMs' (igemm_dp4a.cu, igemm_s16.cu: int32 C,
// or the dequantizing one of quantized_matmul). A kernel calls four() for four
// consecutive columns of a row, one() for a single element.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include <tandem/cuda/kernels.h>
#include <tandem/epilogue.h>

namespace tandem::cuda::detail {

// The SGEMM store: C = alpha * acc + beta * C (beta == 0 never reads C), then, with
// EPILOGUE, + bias[col] and the activation (tandem/epilogue.h), in registers as C is
// written. EPILOGUE is a template parameter rather than a runtime branch so that the
// plain GEMM (the identity epilogue) keeps the kernel it had: no bias loads, no extra
// registers or instructions in its store. The bias is passed in (bias_at()) so that a
// kernel whose thread writes the same columns in several rows loads it once.
template <bool EPILOGUE>
struct StoreSgemm {
  float* c;
  std::int64_t ldc;
  float alpha, beta;
  bool vec;               // ldc % 4 == 0 and a 16-byte aligned base: float4 stores
  const float* bias;      // n floats, or nullptr; read only with EPILOGUE
  Activation activation;  // used only with EPILOGUE

  // The bias of column col < n; without a bias -0.0f, which adds exactly nothing
  // (x + -0 == x for every x, -0 and NaN included): no branch per element.
  __device__ __forceinline__ float bias_at(std::int64_t col) const {
    return bias != nullptr ? bias[col] : -0.0f;
  }
  // The epilogue on the GEMM's float result: one float add (__fadd_rn: never contracted
  // with alpha * acc into an FMA, which would skip the result's rounding), then the
  // activation. The reference's order exactly.
  __device__ __forceinline__ float finish(float v, float b) const {
    if constexpr (EPILOGUE) {
      return activate(activation, __fadd_rn(v, b));
    } else {
      static_cast<void>(b);
      return v;
    }
  }
  // C[row][col + e] for e < 4 and col + e < n; b: bias_at(col + e) (ignored without
  // EPILOGUE; whatever for the columns past n).
  __device__ __forceinline__ void four(std::int64_t row, std::int64_t col, std::int64_t n,
                                       const float (&acc)[4], const float (&b)[4]) const {
    float* out = c + row * ldc + col;
    const bool read_c = beta != 0.0f;
    float r[4];
#pragma unroll
    for (int e = 0; e < 4; ++e) r[e] = alpha * acc[e];
    if (vec && col + 3 < n) {
      float4* out4 = reinterpret_cast<float4*>(out);
      if (read_c) {
        const float4 old = *out4;
        r[0] = fmaf(beta, old.x, r[0]);
        r[1] = fmaf(beta, old.y, r[1]);
        r[2] = fmaf(beta, old.z, r[2]);
        r[3] = fmaf(beta, old.w, r[3]);
      }
      *out4 = make_float4(finish(r[0], b[0]), finish(r[1], b[1]), finish(r[2], b[2]),
                          finish(r[3], b[3]));
    } else {
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        if (col + e < n) out[e] = finish(read_c ? fmaf(beta, out[e], r[e]) : r[e], b[e]);
      }
    }
  }
  // C[row][col]; b: bias_at(col) (ignored without EPILOGUE).
  __device__ __forceinline__ void one(std::int64_t row, std::int64_t col, float acc,
                                      float b) const {
    float* out = c + row * ldc + col;
    float result = alpha * acc;
    if (beta != 0.0f) result = fmaf(beta, *out, result);  // beta == 0 never reads C
    *out = finish(result, b);
  }
};

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

// The quantized layer's store (QuantizedLayerStore, kernels.h), in the reference's order:
// float(acc) rounded to nearest even, one multiply by the column's scale, one add of its
// bias (__fmul_rn, __fadd_rn: never contracted), the activation; then float y, or int8
// y with the quantize rule (clamp, then round half to even: __float2int_rn).
struct StoreQuantizedLayer {
  void* y;
  std::int64_t ldy;
  QuantizedLayerStore e;
  bool vec;  // float y with ldy % 4 == 0 and a 16-byte aligned base: float4 stores

  __device__ __forceinline__ float value(int v, std::int64_t col) const {
    float r = __fmul_rn(__int2float_rn(v), e.scales[e.per_column ? col : 0]);
    if (e.bias != nullptr) r = __fadd_rn(r, e.bias[col]);
    return activate(e.activation, r);
  }
  __device__ __forceinline__ void one(std::int64_t row, std::int64_t col, int v) const {
    const float r = value(v, col);
    if (e.inverse_out_scale > 0.0f) {
      const float q = fminf(fmaxf(__fmul_rn(r, e.inverse_out_scale), -128.0f), 127.0f);
      static_cast<std::int8_t*>(y)[row * ldy + col] = static_cast<std::int8_t>(__float2int_rn(q));
    } else {
      static_cast<float*>(y)[row * ldy + col] = r;
    }
  }
  __device__ __forceinline__ void four(std::int64_t row, std::int64_t col, std::int64_t n,
                                       const int (&v)[4]) const {
    if (vec && col + 3 < n) {
      *reinterpret_cast<float4*>(static_cast<float*>(y) + row * ldy + col) = make_float4(
          value(v[0], col), value(v[1], col + 1), value(v[2], col + 2), value(v[3], col + 3));
      return;
    }
#pragma unroll
    for (int c = 0; c < 4; ++c) {
      if (col + c < n) one(row, col + c, v[c]);
    }
  }
};

}  // namespace tandem::cuda::detail
