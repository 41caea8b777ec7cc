#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <tandem/cpu/reference.h>
#include <tandem/error.h>
#include <tandem/quantization_rules.h>

namespace tandem::cpu::reference {
namespace {

using quant::require_bits;
using quant::require_scale;

// Scans all of x before anything is written, so a refused input leaves outputs untouched.
void check_finite(const char* op, const char* what, const float* x, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) {
    if (!std::isfinite(x[i])) {
      throw ArgumentError(std::string(op) + ": " + what + " holds " + std::to_string(x[i]) +
                          " at element " + std::to_string(i) + " of " + std::to_string(n) +
                          "; quantization needs finite values");
    }
  }
}

float scale_of(const char* op, const char* what, const float* x, std::int64_t n, int bits) {
  require_bits(op, bits);
  check_finite(op, what, x, n);
  float max_abs = 0.0f;
  for (std::int64_t i = 0; i < n; ++i) max_abs = std::max(max_abs, std::fabs(x[i]));
  return quant::symmetric_scale(max_abs, bits);
}

// x * inv_scale with inv_scale = 1 / scale rounded to float (a multiply, as FBGEMM
// and PyTorch quantize), rounded half to even (the default rounding mode, as the
// SIMD conversions use), then clipped to the type's range.
template <typename Q>
Q quantize_one(float x, float inv_scale) {
  constexpr auto lo = static_cast<float>(std::numeric_limits<Q>::min());
  constexpr auto hi = static_cast<float>(std::numeric_limits<Q>::max());
  return static_cast<Q>(std::clamp(std::nearbyint(x * inv_scale), lo, hi));
}

template <typename Q>
void quantize_unchecked(const float* x, std::int64_t n, float scale, Q* q) {
  const float inv_scale = 1.0f / scale;
  for (std::int64_t i = 0; i < n; ++i) q[i] = quantize_one<Q>(x[i], inv_scale);
}

template <typename Q>
void quantize_checked(const float* x, std::int64_t n, float scale, Q* q) {
  require_scale("quantize", scale);
  check_finite("quantize", "input", x, n);
  quantize_unchecked(x, n, scale, q);
}

template <typename Q>
void dequantize_checked(const Q* q, std::int64_t n, float scale, float* x) {
  require_scale("dequantize", scale);
  for (std::int64_t i = 0; i < n; ++i) x[i] = static_cast<float>(q[i]) * scale;
}

template <typename Q>
void quantized_matmul_as(const float* a, const float* b, float* c, std::int64_t m, std::int64_t n,
                         std::int64_t k, float scale_a, float scale_b) {
  std::vector<Q> qa(static_cast<std::size_t>(m * k));
  std::vector<Q> qb(static_cast<std::size_t>(k * n));
  std::vector<std::int32_t> acc(sizeof(Q) == 1 ? static_cast<std::size_t>(m * n) : 0);
  quantize_unchecked(a, m * k, scale_a, qa.data());
  quantize_unchecked(b, k * n, scale_b, qb.data());
  const float scale_c = scale_a * scale_b;
  if constexpr (sizeof(Q) == 1) {
    gemm_s8s8s32(m, n, k, qa.data(), k, qb.data(), n, acc.data(), n);
    for (std::size_t i = 0; i < acc.size(); ++i) c[i] = static_cast<float>(acc[i]) * scale_c;
  } else {
    // 16-bit products fill int32 after two: the sums are int64, exact for any K.
    for (std::int64_t i = 0; i < m; ++i) {
      for (std::int64_t j = 0; j < n; ++j) {
        std::int64_t sum = 0;
        for (std::int64_t p = 0; p < k; ++p) {
          sum += std::int64_t{qa[static_cast<std::size_t>(i * k + p)]} *
                 qb[static_cast<std::size_t>(p * n + j)];
        }
        c[i * n + j] = static_cast<float>(sum) * scale_c;
      }
    }
  }
}

template <typename Q>
void quantized_relu_as(const float* x, float* y, std::int64_t n, float scale) {
  const float inv_scale = 1.0f / scale;
  for (std::int64_t i = 0; i < n; ++i) {
    y[i] = static_cast<float>(std::max<Q>(quantize_one<Q>(x[i], inv_scale), 0)) * scale;
  }
}

}  // namespace

std::int32_t quant_max(int bits) {
  require_bits("quantize", bits);
  return (std::int32_t{1} << (bits - 1)) - 1;
}

float quantize_scale(const float* x, std::int64_t n, int bits) {
  return scale_of("quantize", "input", x, n, bits);
}

void quantize(const float* x, std::int64_t n, float scale, std::int8_t* q) {
  quantize_checked(x, n, scale, q);
}
void quantize(const float* x, std::int64_t n, float scale, std::int16_t* q) {
  quantize_checked(x, n, scale, q);
}
void dequantize(const std::int8_t* q, std::int64_t n, float scale, float* x) {
  dequantize_checked(q, n, scale, x);
}
void dequantize(const std::int16_t* q, std::int64_t n, float scale, float* x) {
  dequantize_checked(q, n, scale, x);
}

std::int64_t max_quantized_k(int bits) {
  require_bits("quantized_matmul", bits);
  return quant::max_exact_layer_k(bits);
}

void quantized_matmul(const float* a, const float* b, float* c, std::int64_t m, std::int64_t n,
                      std::int64_t k, int bits) {
  require_bits("quantized_matmul", bits);
  quant::require_exact_host_k("quantized_matmul", k, bits);
  const float scale_a = scale_of("quantized_matmul", "A", a, m * k, bits);
  const float scale_b = scale_of("quantized_matmul", "B", b, k * n, bits);
  (void)quant::dequantization_scale("quantized_matmul", scale_a, scale_b);
  if (bits == 8) {
    quantized_matmul_as<std::int8_t>(a, b, c, m, n, k, scale_a, scale_b);
  } else {
    quantized_matmul_as<std::int16_t>(a, b, c, m, n, k, scale_a, scale_b);
  }
}

namespace {

template <typename Q>
void quantize_columns(const float* w, std::int64_t k, std::int64_t n, float* scales, Q* q) {
  const int bits = sizeof(Q) * 8;
  check_finite("quantize_per_column", "W", w, k * n);
  // max |W[i][j]| per column, gathered in scales itself, then turned into the scale.
  std::fill(scales, scales + n, 0.0f);
  for (std::int64_t i = 0; i < k; ++i) {
    for (std::int64_t j = 0; j < n; ++j) scales[j] = std::max(scales[j], std::fabs(w[i * n + j]));
  }
  for (std::int64_t j = 0; j < n; ++j) scales[j] = quant::symmetric_scale(scales[j], bits);
  for (std::int64_t i = 0; i < k; ++i) {
    for (std::int64_t j = 0; j < n; ++j) {
      q[i * n + j] = quantize_one<Q>(w[i * n + j], 1.0f / scales[j]);
    }
  }
}

// Where a reference layer's y goes: f32, or requantized to int8 (zero point 0) or,
// with u8, to uint8 with a zero point.
struct LayerOut {
  float* y = nullptr;
  float scale = 0.0f;  // 0: f32 out
  std::int8_t* s8 = nullptr;
  std::uint8_t* u8 = nullptr;
  std::int32_t zero_point = 0;
};

// sum_p (x[i][p] - x_zero) * w[p][j] in int64, exact; then the epilogue.
template <typename X, typename W>
void quantized_linear_as(std::int64_t m, std::int64_t n, std::int64_t k, const X* x,
                         std::int32_t x_zero, const W* w, const float* scales, bool per_column,
                         const float* bias, Activation activation, const LayerOut& out) {
  const float inverse_out = out.scale > 0.0f ? 1.0f / out.scale : 0.0f;
  for (std::int64_t i = 0; i < m; ++i) {
    for (std::int64_t j = 0; j < n; ++j) {
      std::int64_t sum = 0;
      for (std::int64_t p = 0; p < k; ++p) {
        sum += (std::int64_t{x[i * k + p]} - x_zero) * w[p * n + j];
      }
      float value = static_cast<float>(sum) * scales[per_column ? j : 0];
      if (bias != nullptr) value += bias[j];
      value = activate(activation, value);
      if (out.u8 != nullptr) {
        const float q = std::nearbyint(value * inverse_out) + static_cast<float>(out.zero_point);
        out.u8[i * n + j] =
            static_cast<std::uint8_t>(std::clamp(q, 0.0f, static_cast<float>(quant::kU8Max)));
      } else if (out.scale > 0.0f) {
        out.s8[i * n + j] = quantize_one<std::int8_t>(value, inverse_out);
      } else {
        out.y[i * n + j] = value;
      }
    }
  }
}

}  // namespace

void quantize_per_column(const float* w, std::int64_t k, std::int64_t n, float* scales,
                         std::int8_t* q) {
  quantize_columns(w, k, n, scales, q);
}
void quantize_per_column(const float* w, std::int64_t k, std::int64_t n, float* scales,
                         std::int16_t* q) {
  quantize_columns(w, k, n, scales, q);
}

void quantized_linear(std::int64_t m, std::int64_t n, std::int64_t k, const std::int8_t* x,
                      const std::int8_t* w, const float* scales, bool per_column, const float* bias,
                      Activation activation, float* y, float out_scale, std::int8_t* yq) {
  quantized_linear_as(m, n, k, x, 0, w, scales, per_column, bias, activation,
                      LayerOut{y, out_scale, yq});
}
void quantized_linear(std::int64_t m, std::int64_t n, std::int64_t k, const std::int16_t* x,
                      const std::int16_t* w, const float* scales, bool per_column,
                      const float* bias, Activation activation, float* y, float out_scale,
                      std::int8_t* yq) {
  quantized_linear_as(m, n, k, x, 0, w, scales, per_column, bias, activation,
                      LayerOut{y, out_scale, yq});
}
void quantized_linear(std::int64_t m, std::int64_t n, std::int64_t k, const std::uint8_t* x,
                      std::int32_t x_zero_point, const std::int8_t* w, const float* scales,
                      bool per_column, const float* bias, Activation activation, float* y,
                      float out_scale, std::int8_t* yq) {
  quantized_linear_as(m, n, k, x, x_zero_point, w, scales, per_column, bias, activation,
                      LayerOut{y, out_scale, yq});
}
void quantized_linear(std::int64_t m, std::int64_t n, std::int64_t k, const std::int8_t* x,
                      const std::int8_t* w, const float* scales, bool per_column, const float* bias,
                      Activation activation, const U8Output& out) {
  quantized_linear_as(m, n, k, x, 0, w, scales, per_column, bias, activation,
                      LayerOut{nullptr, out.scale, nullptr, out.values, out.zero_point});
}
void quantized_linear(std::int64_t m, std::int64_t n, std::int64_t k, const std::uint8_t* x,
                      std::int32_t x_zero_point, const std::int8_t* w, const float* scales,
                      bool per_column, const float* bias, Activation activation,
                      const U8Output& out) {
  quantized_linear_as(m, n, k, x, x_zero_point, w, scales, per_column, bias, activation,
                      LayerOut{nullptr, out.scale, nullptr, out.values, out.zero_point});
}

void relu_s8(const std::int8_t* q, std::int8_t* y, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) y[i] = std::max<std::int8_t>(q[i], 0);
}
void relu_s16(const std::int16_t* q, std::int16_t* y, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) y[i] = std::max<std::int16_t>(q[i], 0);
}
void relu_u8(const std::uint8_t* q, std::uint8_t* y, std::int64_t n, std::int32_t zero_point) {
  const auto zero = static_cast<std::uint8_t>(zero_point);
  for (std::int64_t i = 0; i < n; ++i) y[i] = std::max(q[i], zero);
}

quant::AsymmetricParams quantize_asymmetric(const float* x, std::int64_t n, std::uint8_t* q) {
  check_finite("quantize_asymmetric", "input", x, n);
  float lo = 0.0f, hi = 0.0f;
  for (std::int64_t i = 0; i < n; ++i) {
    lo = std::min(lo, x[i]);
    hi = std::max(hi, x[i]);
  }
  const quant::AsymmetricParams params = quant::asymmetric_params(lo, hi);
  const float inv_scale = 1.0f / params.scale;
  const auto zero = static_cast<float>(params.zero_point);
  for (std::int64_t i = 0; i < n; ++i) {
    const float code = std::nearbyint(x[i] * inv_scale) + zero;
    q[i] = static_cast<std::uint8_t>(std::clamp(code, 0.0f, static_cast<float>(quant::kU8Max)));
  }
  return params;
}

void dequantize(const std::uint8_t* q, std::int64_t n, float scale, std::int32_t zero_point,
                float* x) {
  require_scale("dequantize", scale);
  quant::require_zero_point("dequantize", "the", zero_point);
  for (std::int64_t i = 0; i < n; ++i) {
    x[i] = static_cast<float>(std::int32_t{q[i]} - zero_point) * scale;
  }
}

void quantized_relu(const float* x, float* y, std::int64_t n, int bits) {
  const float scale = scale_of("quantized_relu", "input", x, n, bits);
  if (bits == 8) {
    quantized_relu_as<std::int8_t>(x, y, n, scale);
  } else {
    quantized_relu_as<std::int16_t>(x, y, n, scale);
  }
}

}  // namespace tandem::cpu::reference
