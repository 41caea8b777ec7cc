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

// ---- The integer side of each path: rounding conversion, packing, widening. ----

#if defined(__AVX512F__)

using I32 = __m512i;
// The zero-masked forms with an all-ones mask: GCC 12's unmasked ones trip
// -Wmaybe-uninitialized (see simd.h).
inline I32 round_to_int(F32 a) { return _mm512_maskz_cvtps_epi32(0xFFFF, a.v); }
inline F32 to_float(I32 a) { return {_mm512_maskz_cvtepi32_ps(0xFFFF, a)}; }
// Vectors per block.
constexpr size_t kPack8 = 1;
constexpr size_t kPack16 = 1;
inline void store_s8(int8_t* q, const I32* v) {
  _mm_storeu_si128(reinterpret_cast<__m128i*>(q), _mm512_maskz_cvtsepi32_epi8(0xFFFF, v[0]));
}
inline void store_s16(int16_t* q, const I32* v) {
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(q), _mm512_maskz_cvtsepi32_epi16(0xFFFF, v[0]));
}
inline void load_s8(const int8_t* q, I32* v) {
  v[0] = _mm512_maskz_cvtepi8_epi32(0xFFFF, _mm_loadu_si128(reinterpret_cast<const __m128i*>(q)));
}
inline void load_s16(const int16_t* q, I32* v) {
  v[0] =
      _mm512_maskz_cvtepi16_epi32(0xFFFF, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q)));
}

#elif defined(__AVX2__)

using I32 = __m256i;
inline I32 round_to_int(F32 a) { return _mm256_cvtps_epi32(a.v); }
inline F32 to_float(I32 a) { return {_mm256_cvtepi32_ps(a)}; }
constexpr size_t kPack8 = 4;
constexpr size_t kPack16 = 2;
// The packs work within 128-bit halves; the permutes put the elements back in order.
inline void store_s8(int8_t* q, const I32* v) {
  const __m256i lo = _mm256_packs_epi32(v[0], v[1]);
  const __m256i hi = _mm256_packs_epi32(v[2], v[3]);
  const __m256i bytes = _mm256_permutevar8x32_epi32(_mm256_packs_epi16(lo, hi),
                                                    _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(q), bytes);
}
inline void store_s16(int16_t* q, const I32* v) {
  const __m256i words = _mm256_permute4x64_epi64(_mm256_packs_epi32(v[0], v[1]), 0xD8);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(q), words);
}
inline void load_s8(const int8_t* q, I32* v) {
  for (size_t k = 0; k < kPack8; ++k) {
    v[k] = _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(q + 8 * k)));
  }
}
inline void load_s16(const int16_t* q, I32* v) {
  for (size_t k = 0; k < kPack16; ++k) {
    v[k] = _mm256_cvtepi16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(q + 8 * k)));
  }
}

#else  // baseline: SSE2 (no pmovsx, no pmaxsd)

using I32 = __m128i;
inline I32 round_to_int(F32 a) { return _mm_cvtps_epi32(a.v); }
inline F32 to_float(I32 a) { return {_mm_cvtepi32_ps(a)}; }
constexpr size_t kPack8 = 4;
constexpr size_t kPack16 = 2;
inline void store_s8(int8_t* q, const I32* v) {
  const __m128i lo = _mm_packs_epi32(v[0], v[1]);
  const __m128i hi = _mm_packs_epi32(v[2], v[3]);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(q), _mm_packs_epi16(lo, hi));
}
inline void store_s16(int16_t* q, const I32* v) {
  _mm_storeu_si128(reinterpret_cast<__m128i*>(q), _mm_packs_epi32(v[0], v[1]));
}
// Sign extension by interleaving a value with itself and shifting arithmetically.
inline void load_s8(const int8_t* q, I32* v) {
  const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
  const __m128i lo = _mm_srai_epi16(_mm_unpacklo_epi8(b, b), 8);
  const __m128i hi = _mm_srai_epi16(_mm_unpackhi_epi8(b, b), 8);
  v[0] = _mm_srai_epi32(_mm_unpacklo_epi16(lo, lo), 16);
  v[1] = _mm_srai_epi32(_mm_unpackhi_epi16(lo, lo), 16);
  v[2] = _mm_srai_epi32(_mm_unpacklo_epi16(hi, hi), 16);
  v[3] = _mm_srai_epi32(_mm_unpackhi_epi16(hi, hi), 16);
}
inline void load_s16(const int16_t* q, I32* v) {
  const __m128i w = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
  v[0] = _mm_srai_epi32(_mm_unpacklo_epi16(w, w), 16);
  v[1] = _mm_srai_epi32(_mm_unpackhi_epi16(w, w), 16);
}

#endif

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

#if defined(__AVX2__)  // avx2 and avx512

// |x| as int32 bits orders like |x| as a float, and every NaN or Inf is at least
// 0x7F800000: one integer max finds both max|x| and whether anything was not finite.
#if defined(__AVX512F__)
inline I32 abs_bits(F32 a) {
  return _mm512_and_si512(_mm512_castps_si512(a.v), _mm512_set1_epi32(0x7FFFFFFF));
}
// The masked form: GCC 12's _mm512_max_epi32 trips -Wmaybe-uninitialized.
inline I32 max_i32(I32 a, I32 b) { return _mm512_mask_max_epi32(a, 0xFFFF, a, b); }
inline I32 zero_i32() { return _mm512_setzero_si512(); }
inline void store_i32(int32_t* p, I32 a) { _mm512_storeu_si512(p, a); }
#else
inline I32 abs_bits(F32 a) {
  return _mm256_and_si256(_mm256_castps_si256(a.v), _mm256_set1_epi32(0x7FFFFFFF));
}
inline I32 max_i32(I32 a, I32 b) { return _mm256_max_epi32(a, b); }
inline I32 zero_i32() { return _mm256_setzero_si256(); }
inline void store_i32(int32_t* p, I32 a) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), a); }
#endif

int64_t scan(const float* x, int64_t n, float* max_abs) {
  I32 m0 = zero_i32(), m1 = zero_i32(), m2 = zero_i32(), m3 = zero_i32();
  int64_t i = 0;
  for (; i + 4 * kLanes <= n; i += 4 * kLanes) {
    m0 = max_i32(m0, abs_bits(simd::load(x + i)));
    m1 = max_i32(m1, abs_bits(simd::load(x + i + kLanes)));
    m2 = max_i32(m2, abs_bits(simd::load(x + i + 2 * kLanes)));
    m3 = max_i32(m3, abs_bits(simd::load(x + i + 3 * kLanes)));
  }
  for (; i < n; i += kLanes) {
    const F32 a = n - i >= kLanes ? simd::load(x + i) : simd::load_partial(x + i, n - i);
    m0 = max_i32(m0, abs_bits(a));
  }
  alignas(64) int32_t lanes[kLanes];
  store_i32(lanes, max_i32(max_i32(m0, m1), max_i32(m2, m3)));
  int32_t largest = 0;
  for (int j = 0; j < kLanes; ++j) largest = lanes[j] > largest ? lanes[j] : largest;
  if (largest < 0x7F800000) {  // every element finite
    memcpy(max_abs, &largest, sizeof(float));
    return -1;
  }
  *max_abs = 0.0f;
  return first_non_finite(x, n);
}

#else  // baseline: SSE2 has no pmaxsd, so float max plus a NaN-sticky sum

int64_t scan(const float* x, int64_t n, float* max_abs) {
  // x - x is 0 for finite x and NaN for NaN or +-Inf; the sum of those stays NaN once
  // it is, so one check at the end tells whether anything was not finite.
  F32 m0 = simd::zero(), m1 = simd::zero(), m2 = simd::zero(), m3 = simd::zero();
  F32 bad0 = simd::zero(), bad1 = simd::zero();
  int64_t i = 0;
  for (; i + 4 * kLanes <= n; i += 4 * kLanes) {
    const F32 a = simd::load(x + i), b = simd::load(x + i + kLanes);
    const F32 c = simd::load(x + i + 2 * kLanes), d = simd::load(x + i + 3 * kLanes);
    m0 = simd::max(m0, simd::abs(a));
    m1 = simd::max(m1, simd::abs(b));
    m2 = simd::max(m2, simd::abs(c));
    m3 = simd::max(m3, simd::abs(d));
    bad0 = simd::add(bad0, simd::add(simd::sub(a, a), simd::sub(b, b)));
    bad1 = simd::add(bad1, simd::add(simd::sub(c, c), simd::sub(d, d)));
  }
  for (; i < n; i += kLanes) {
    const F32 a = n - i >= kLanes ? simd::load(x + i) : simd::load_partial(x + i, n - i);
    m0 = simd::max(m0, simd::abs(a));
    bad0 = simd::add(bad0, simd::sub(a, a));
  }
  alignas(16) float lanes[2 * kLanes];
  simd::store(lanes, simd::add(bad0, bad1));
  simd::store(lanes + kLanes, simd::max(simd::max(m0, m1), simd::max(m2, m3)));
  float bad = 0.0f, largest = 0.0f;
  for (int j = 0; j < kLanes; ++j) {
    bad += lanes[j];
    largest = lanes[kLanes + j] > largest ? lanes[kLanes + j] : largest;
  }
  if (bad == bad) {  // not NaN: every element is finite, so the max is exact
    *max_abs = largest;
    return -1;
  }
  *max_abs = 0.0f;
  return first_non_finite(x, n);
}

#endif

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

const QuantizeKernels quantize = {scan,          quantize_s8,          quantize_s16,
                                  dequantize_s8, dequantize_s16,       relu_s8,
                                  relu_s16,      dequantize_s8_stream, dequantize_s16_stream};

}  // namespace TANDEM_ISA_NAMESPACE
