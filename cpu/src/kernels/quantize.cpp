// Symmetric quantization, bit-exact against reference::quantize and friends:
//   q = convert(clamp(x * inv_scale, lo, hi)),  x' = float(q) * scale
// with inv_scale = 1 / scale rounded to float once per call (as FBGEMM and PyTorch
// quantize: a multiply, where a division would bound the speed), the
// clamp happens in float before the conversion (so out-of-range values never reach
// the integer conversion, whose overflow result is 0x80000000), and the conversion
// (cvtps2dq) rounds with the current rounding mode, round-half-to-even by default, as
// the reference's nearbyint does. Clamping before rounding equals rounding before
// clamping because the bounds are integers. The values are then packed (with
// saturation, which the clamp makes a no-op) to int8 or int16.
//
// Each path converts whole blocks of kBlock8 / kBlock16 elements; a tail shorter than
// a block goes through a zero-padded buffer on the stack.
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <tandem/quantization_rules.h>

#include "simd.h"
#include "tables.h"

namespace TANDEM_ISA_NAMESPACE {
namespace {

using simd::F32;
using simd::kLanes;

using simd::I32;
using simd::kPack16;
using simd::kPack8;
using simd::load_s16;
using simd::load_s8;
using simd::round_to_int;
using simd::store_s16;
using simd::store_s8;
using simd::to_float;

// Per integer type: elements per block, and the block-wise pack and widen (the range
// is quant::QuantRange).
template <typename Q>
struct Traits;
template <>
struct Traits<int8_t> {
  static constexpr size_t kPack = kPack8;
  static void store(int8_t* q, const I32* v) { store_s8(q, v); }
  static void load(const int8_t* q, I32* v) { load_s8(q, v); }
};
template <>
struct Traits<int16_t> {
  static constexpr size_t kPack = kPack16;
  static void store(int16_t* q, const I32* v) { store_s16(q, v); }
  static void load(const int16_t* q, I32* v) { load_s16(q, v); }
};

// round(clamp(x * inv_scale, lo, hi)) for one vector.
inline I32 quantize_vector(F32 x, F32 inv_scale, F32 lo, F32 hi) {
  return round_to_int(simd::min(simd::max(simd::mul(x, inv_scale), lo), hi));
}

// ---- scan: max |x| and the first non-finite element, in one pass ----------------

bool is_finite(float v) { return __builtin_isfinite(v); }

// The index of the first NaN or Inf in x[0, n) (-1 if none): only on the error path.
int64_t first_non_finite(const float* x, int64_t n) {
  for (int64_t j = 0; j < n; ++j) {
    if (!is_finite(x[j])) return j;
  }
  return -1;
}

// |x| as int32 bits orders like |x| as a float, and every NaN or Inf is at least
// 0x7F800000: one integer max finds both max|x| and whether anything was not finite.
int64_t scan(const float* x, int64_t n, float* max_abs) {
  using simd::abs_bits;
  using simd::max;
  I32 m0 = simd::zero_i32(), m1 = simd::zero_i32(), m2 = simd::zero_i32(), m3 = simd::zero_i32();
  int64_t i = 0;
  for (; i + 4 * kLanes <= n; i += 4 * kLanes) {
    m0 = max(m0, abs_bits(simd::load(x + i)));
    m1 = max(m1, abs_bits(simd::load(x + i + kLanes)));
    m2 = max(m2, abs_bits(simd::load(x + i + 2 * kLanes)));
    m3 = max(m3, abs_bits(simd::load(x + i + 3 * kLanes)));
  }
  for (; i < n; i += kLanes) {
    const F32 a = n - i >= kLanes ? simd::load(x + i) : simd::load_partial(x + i, n - i);
    m0 = max(m0, abs_bits(a));
  }
  alignas(64) int32_t lanes[kLanes];
  simd::store_i32(lanes, max(max(m0, m1), max(m2, m3)));
  int32_t largest = 0;
  for (int j = 0; j < kLanes; ++j) largest = lanes[j] > largest ? lanes[j] : largest;
  if (largest < 0x7F800000) {  // every element finite
    memcpy(max_abs, &largest, sizeof(float));
    return -1;
  }
  *max_abs = 0.0f;
  return first_non_finite(x, n);
}

// ---- quantize, dequantize, quantized relu ---------------------------------------

template <typename Q>
void quantize_blocks(const float* x, int64_t blocks, float scale, Q* q) {
  constexpr size_t kPack = Traits<Q>::kPack;
  const F32 inv = simd::set1(1.0f / scale);
  const F32 lo = simd::set1(quant::QuantRange<Q>::lo), hi = simd::set1(quant::QuantRange<Q>::hi);
  for (int64_t b = 0; b < blocks; ++b) {
    I32 v[kPack];
    for (size_t k = 0; k < kPack; ++k)
      v[k] = quantize_vector(simd::load(x + k * kLanes), inv, lo, hi);
    Traits<Q>::store(q, v);
    x += kPack * kLanes;
    q += kPack * kLanes;
  }
}

template <typename Q>
void quantize_any(const float* x, int64_t n, float scale, Q* q) {
  constexpr size_t kBlock = Traits<Q>::kPack * kLanes;
  constexpr auto kBlockElements = static_cast<int64_t>(kBlock);
  const int64_t full = n / kBlockElements;
  quantize_blocks(x, full, scale, q);
  const int64_t rest = n - full * kBlockElements;
  if (rest > 0) {
    alignas(64) float in[kBlock] = {};
    alignas(64) Q out[kBlock];
    memcpy(in, x + full * kBlockElements, static_cast<size_t>(rest) * sizeof(float));
    quantize_blocks(in, 1, scale, out);
    memcpy(q + full * kBlockElements, out, static_cast<size_t>(rest) * sizeof(Q));
  }
}

// kStream: non-temporal stores, x vector-aligned (see dequantize_stream).
template <typename Q, bool kStream = false>
void dequantize_blocks(const Q* q, int64_t blocks, float scale, float* x) {
  constexpr size_t kPack = Traits<Q>::kPack;
  const F32 s = simd::set1(scale);
  for (int64_t b = 0; b < blocks; ++b) {
    I32 v[kPack];
    Traits<Q>::load(q, v);
    for (size_t k = 0; k < kPack; ++k) {
      const F32 value = simd::mul(to_float(v[k]), s);
      if constexpr (kStream) {
        simd::stream(x + k * kLanes, value);
      } else {
        simd::store(x + k * kLanes, value);
      }
    }
    x += kPack * kLanes;
    q += kPack * kLanes;
  }
}

template <typename Q>
void dequantize_any(const Q* q, int64_t n, float scale, float* x) {
  constexpr size_t kBlock = Traits<Q>::kPack * kLanes;
  constexpr auto kBlockElements = static_cast<int64_t>(kBlock);
  const int64_t full = n / kBlockElements;
  dequantize_blocks(q, full, scale, x);
  const int64_t rest = n - full * kBlockElements;
  if (rest > 0) {
    alignas(64) Q in[kBlock] = {};
    alignas(64) float out[kBlock];
    memcpy(in, q + full * kBlockElements, static_cast<size_t>(rest) * sizeof(Q));
    dequantize_blocks(in, 1, scale, out);
    memcpy(x + full * kBlockElements, out, static_cast<size_t>(rest) * sizeof(float));
  }
}

// dequantize_any with non-temporal stores for the aligned body: for outputs far larger
// than the caches, where ordinary stores would also read every line they write.
template <typename Q>
void dequantize_stream(const Q* q, int64_t n, float scale, float* x) {
  const int64_t head = simd::elements_to_alignment(x, n);
  if (head < 0) {
    dequantize_any(q, n, scale, x);
    return;
  }
  dequantize_any(q, head, scale, x);
  constexpr auto kBlockElements = static_cast<int64_t>(Traits<Q>::kPack * kLanes);
  const int64_t blocks = (n - head) / kBlockElements;
  dequantize_blocks<Q, true>(q + head, blocks, scale, x + head);
  const int64_t done = head + blocks * kBlockElements;
  dequantize_any(q + done, n - done, scale, x + done);
  _mm_sfence();  // order the non-temporal stores before anything that follows
}

// max(q, 0) with q = round(clamp(x * inv, lo, hi)) is round(clamp(x * inv, 0, hi)):
// the clamp's lower bound becomes 0 (and the conversion turns -0 into +0, as the
// reference's integer max does). Works a vector at a time, so y may alias x.
template <typename Q>
void quantized_relu_any(const float* x, float* y, int64_t n, float scale) {
  const F32 s = simd::set1(scale), inv = simd::set1(1.0f / scale);
  const F32 lo = simd::zero(), hi = simd::set1(quant::QuantRange<Q>::hi);
  const auto one = [&](F32 v) { return simd::mul(to_float(quantize_vector(v, inv, lo, hi)), s); };
  int64_t i = 0;
  for (; i + 2 * kLanes <= n; i += 2 * kLanes) {
    const F32 a = one(simd::load(x + i));
    const F32 b = one(simd::load(x + i + kLanes));
    simd::store(y + i, a);
    simd::store(y + i + kLanes, b);
  }
  for (; i < n; i += kLanes) {
    if (n - i >= kLanes) {
      simd::store(y + i, one(simd::load(x + i)));
    } else {
      simd::store_partial(y + i, one(simd::load_partial(x + i, n - i)), n - i);
    }
  }
}

// max(q, 0) on quantized values, same scale: a loop GCC vectorizes for each path
// (vpmaxsb on avx512 and avx2, a compare and a mask on SSE2). y may alias x.
template <typename Q>
void relu_integer(const Q* q, Q* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = q[i] > 0 ? q[i] : Q{0};
}

// ---- asymmetric uint8 ----------------------------------------------------------------

// min, max and the int32 bits of |x| (as scan: NaN and Inf are at least 0x7F800000),
// one vector at a time; the zero-filled tail of a partial load is 0, inside the range.
int64_t range(const float* x, int64_t n, float* lo, float* hi) {
  F32 low = simd::zero(), high = simd::zero();
  I32 bits = simd::zero_i32();
  for (int64_t i = 0; i < n; i += kLanes) {
    const F32 a = n - i >= kLanes ? simd::load(x + i) : simd::load_partial(x + i, n - i);
    low = simd::min(low, a);
    high = simd::max(high, a);
    bits = simd::max(bits, simd::abs_bits(a));
  }
  alignas(64) float lows[kLanes], highs[kLanes];
  alignas(64) int32_t largest[kLanes];
  simd::store(lows, low);
  simd::store(highs, high);
  simd::store_i32(largest, bits);
  float l = 0.0f, h = 0.0f;
  int32_t b = 0;
  for (int j = 0; j < kLanes; ++j) {
    l = lows[j] < l ? lows[j] : l;
    h = highs[j] > h ? highs[j] : h;
    b = largest[j] > b ? largest[j] : b;
  }
  *lo = l;
  *hi = h;
  return b < 0x7F800000 ? -1 : first_non_finite(x, n);
}

// The codes shifted by -128 fit int8, so the int8 store (its saturation a no-op after
// the clamp) writes them; flipping each byte's top bit then adds the 128 back.
void quantize_u8_blocks(const float* x, int64_t blocks, float scale, int32_t zero, uint8_t* q) {
  constexpr size_t kPack = Traits<int8_t>::kPack;
  constexpr size_t kBlock = kPack * kLanes;
  const F32 inv = simd::set1(1.0f / scale);
  const F32 lo = simd::set1(static_cast<float>(-zero));
  const F32 hi = simd::set1(static_cast<float>(quant::kU8Max - zero));
  const I32 shift = simd::set1_i32(zero - 128);
  for (int64_t b = 0; b < blocks; ++b) {
    I32 v[kPack];
    for (size_t k = 0; k < kPack; ++k) {
      v[k] = simd::add(quantize_vector(simd::load(x + k * kLanes), inv, lo, hi), shift);
    }
    Traits<int8_t>::store(reinterpret_cast<int8_t*>(q), v);
    for (size_t j = 0; j < kBlock; ++j) q[j] = static_cast<uint8_t>(q[j] ^ 0x80u);
    x += kBlock;
    q += kBlock;
  }
}

void quantize_u8(const float* x, int64_t n, float scale, int32_t zero_point, uint8_t* q) {
  constexpr size_t kBlock = Traits<int8_t>::kPack * kLanes;
  constexpr auto kBlockElements = static_cast<int64_t>(kBlock);
  const int64_t full = n / kBlockElements;
  quantize_u8_blocks(x, full, scale, zero_point, q);
  const int64_t rest = n - full * kBlockElements;
  if (rest > 0) {
    alignas(64) float in[kBlock] = {};
    alignas(64) uint8_t out[kBlock];
    memcpy(in, x + full * kBlockElements, static_cast<size_t>(rest) * sizeof(float));
    quantize_u8_blocks(in, 1, scale, zero_point, out);
    memcpy(q + full * kBlockElements, out, static_cast<size_t>(rest));
  }
}

// Plain loops GCC vectorizes for each path (widening, convert, multiply; a byte max).
void dequantize_u8(const uint8_t* q, int64_t n, float scale, int32_t zero_point, float* x) {
  for (int64_t i = 0; i < n; ++i) x[i] = static_cast<float>(int32_t{q[i]} - zero_point) * scale;
}
void relu_u8(const uint8_t* q, uint8_t* y, int64_t n, int32_t zero_point) {
  const auto zero = static_cast<uint8_t>(zero_point);
  for (int64_t i = 0; i < n; ++i) y[i] = q[i] > zero ? q[i] : zero;
}

void quantize_s8(const float* x, int64_t n, float scale, int8_t* q) {
  quantize_any(x, n, scale, q);
}
void quantize_s16(const float* x, int64_t n, float scale, int16_t* q) {
  quantize_any(x, n, scale, q);
}
void dequantize_s8(const int8_t* q, int64_t n, float scale, float* x) {
  dequantize_any(q, n, scale, x);
}
void dequantize_s16(const int16_t* q, int64_t n, float scale, float* x) {
  dequantize_any(q, n, scale, x);
}
void relu_s8(const float* x, float* y, int64_t n, float scale) {
  quantized_relu_any<int8_t>(x, y, n, scale);
}
void relu_s16(const float* x, float* y, int64_t n, float scale) {
  quantized_relu_any<int16_t>(x, y, n, scale);
}

}  // namespace

void dequantize_s8_stream(const int8_t* q, int64_t n, float scale, float* x) {
  dequantize_stream(q, n, scale, x);
}
void dequantize_s16_stream(const int16_t* q, int64_t n, float scale, float* x) {
  dequantize_stream(q, n, scale, x);
}

const QuantizeKernels quantize = {scan,
                                  quantize_s8,
                                  quantize_s16,
                                  dequantize_s8,
                                  dequantize_s16,
                                  relu_s8,
                                  relu_s16,
                                  dequantize_s8_stream,
                                  dequantize_s16_stream,
                                  relu_integer<int8_t>,
                                  relu_integer<int16_t>,
                                  range,
                                  quantize_u8,
                                  dequantize_u8,
                                  relu_u8};

}  // namespace TANDEM_ISA_NAMESPACE
