// The rules of symmetric per-tensor quantization, in one place for every path (the
// reference, the CPU kernels, the CUDA host code): which bit widths exist, how a
// scale is derived from max|x|, and which scales are usable.
#pragma once

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>

#include <tandem/error.h>

namespace tandem::quant {

// The largest quantized magnitude: 127 at 8 bits, 32767 at 16 (symmetric: -qmax..qmax).
constexpr std::int32_t quant_max(int bits) { return (std::int32_t{1} << (bits - 1)) - 1; }

inline void require_bits(const char* op, int bits) {
  if (bits != 8 && bits != 16) {
    throw ArgumentError(std::string(op) + ": unsupported bit width " + std::to_string(bits) +
                        " (8 or 16)");
  }
}

// Q's range as floats, for the clamp before rounding (clamping to integral bounds
// first equals rounding first): [-128, 127] and [-32768, 32767]. Usable in CUDA
// device code (constexpr scalars).
template <typename Q>
struct QuantRange {
  static constexpr float lo = static_cast<float>(std::numeric_limits<Q>::min());
  static constexpr float hi = static_cast<float>(std::numeric_limits<Q>::max());
};

// The largest K for which k * quant_max(bits)^2 fits in int32: the integer GEMM's
// sums cannot wrap (133144 at 8 bits, 2 at 16).
constexpr std::int64_t max_exact_k(int bits) {
  const std::int64_t q = quant_max(bits);
  return std::int64_t{INT32_MAX} / (q * q);
}

// The largest K the host's quantized GEMMs (quantized_linear, and quantized_matmul on
// the CPU and the reference) sum exactly: at 8 bits their int32 sums, as max_exact_k;
// at 16 bits their int64 sums (products of at most 2^30, so K < 2^33), more than any
// operands of int16 values the caller can allocate. (The GPU's quantized_matmul sums in
// int32: max_exact_k.)
constexpr std::int64_t max_exact_layer_k(int bits) {
  return bits == 8 ? max_exact_k(8) : (std::int64_t{1} << 33) - 1;
}

inline void require_exact_k(const char* op, std::int64_t k, int bits) {
  if (k > max_exact_k(bits)) {
    throw ArgumentError(std::string(op) + ": K = " + std::to_string(k) + " can overflow int32 at " +
                        std::to_string(bits) + " bits (at most " +
                        std::to_string(max_exact_k(bits)) + ")");
  }
}

inline void require_exact_host_k(const char* op, std::int64_t k, int bits) {
  if (k > max_exact_layer_k(bits)) {
    throw ArgumentError(std::string(op) + ": K = " + std::to_string(k) + " can overflow the " +
                        (bits == 8 ? "int32" : "int64") + " sums at " + std::to_string(bits) +
                        " bits (at most " + std::to_string(max_exact_layer_k(bits)) + ")");
  }
}

// A float in a message: "%g", so that a subnormal scale reads 1e-40, not 0.000000.
inline std::string format_float(float v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.9g", static_cast<double>(v));
  return text;
}

// A usable scale is finite and at least the smallest normal float, so that 1 / scale
// is finite too.
inline bool usable_scale(float scale) { return std::isfinite(scale) && scale >= FLT_MIN; }

inline void require_scale(const char* op, float scale) {
  if (!usable_scale(scale)) {
    throw ArgumentError(std::string(op) +
                        ": scale must be a finite positive normal float (at least " +
                        format_float(FLT_MIN) + "), got " + format_float(scale));
  }
}

// The scale for finite values up to max_abs: 1 when all are zero, else max_abs / qmax,
// at least FLT_MIN, and rounded down where qmax * scale would round up past FLT_MAX:
// the largest dequantized value, qmax * scale in float, is then finite for every
// finite input (max_abs = FLT_MAX included).
inline float symmetric_scale(float max_abs, int bits) {
  if (max_abs == 0.0f) return 1.0f;
  const auto qmax = static_cast<float>(quant_max(bits));
  float scale = std::max(max_abs / qmax, FLT_MIN);
  while (!std::isfinite(scale * qmax)) scale = std::nextafter(scale, 0.0f);
  return scale;
}

// Asymmetric 8-bit quantization (PyTorch's quint8, oneDNN's u8 with a zero point): x
// stands for scale * (q - zero_point), q in [0, 255]. The range [lo, hi] is widened to
// hold 0, so that 0 (relu's floor, the padding) is exact: scale = (hi - lo) / 255 (1
// when both are 0), zero_point = clamp(round(-lo / scale), 0, 255), and a value
// quantizes to clamp(round(x / scale) + zero_point, 0, 255). Post-ReLU data (lo = 0)
// gets zero_point 0 and all 256 codes for its magnitude, twice int8's 128.
struct AsymmetricParams {
  float scale = 1.0f;
  std::int32_t zero_point = 0;
};
constexpr std::int32_t kU8Max = 255;

inline AsymmetricParams asymmetric_params(float lo, float hi) {
  lo = std::min(lo, 0.0f);
  hi = std::max(hi, 0.0f);
  if (lo == hi) return {};
  // hi - lo can overflow for finite extremes: halve both before subtracting.
  float scale = std::max((hi * 0.5f - lo * 0.5f) / (kU8Max * 0.5f), FLT_MIN);
  const float zero = std::nearbyint(-lo / scale);
  const auto zero_point =
      static_cast<std::int32_t>(std::clamp(zero, 0.0f, static_cast<float>(kU8Max)));
  // Every code must dequantize to a finite float: |q - zero_point| * scale, at most
  // reach * scale (past FLT_MAX only for ranges near 2 * FLT_MAX).
  const auto reach = static_cast<float>(std::max(zero_point, kU8Max - zero_point));
  if (!std::isfinite(reach * scale)) {
    scale = FLT_MAX / reach;
    while (!std::isfinite(reach * scale)) scale = std::nextafter(scale, 0.0f);
  }
  return {scale, zero_point};
}

inline void require_zero_point(const char* op, const char* what, std::int32_t zero_point) {
  if (zero_point < 0 || zero_point > kU8Max) {
    throw ArgumentError(std::string(op) + ": " + what + " zero point " +
                        std::to_string(zero_point) + " is outside the uint8 range [0, 255]");
  }
}

// The largest K for which a layer on uint8 x (|q - zero_point| <= 255) and int8 weights
// (|w| <= 127, the symmetric rule's) keeps its int32 sums exact: 66311.
constexpr std::int64_t max_exact_u8_layer_k() {
  return std::int64_t{INT32_MAX} / (std::int64_t{kU8Max} * quant_max(8));
}

// The factor that turns an integer sum of products back into a float: scale_a *
// scale_b. Where it overflows, every nonzero sum dequantizes past FLT_MAX and a zero
// sum to NaN (0 * inf), so the product is refused rather than returned.
inline float dequantization_scale(const char* op, float scale_a, float scale_b) {
  const float scale = scale_a * scale_b;
  if (!std::isfinite(scale)) {
    throw ArgumentError(std::string(op) + ": the scales of A (" + format_float(scale_a) +
                        ") and B (" + format_float(scale_b) +
                        ") multiply past FLT_MAX: the product does not fit f32");
  }
  return scale;
}

}  // namespace tandem::quant
