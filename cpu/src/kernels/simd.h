// The vector types of the path being compiled - F32 (float lanes) and I32 (int32
// lanes) - and the handful of operations the kernels need: one definition per path,
// so each kernel family is written once. This is the only #if ladder of the kernels.
//   avx512: 16 lanes (__m512), masked tails
//   avx2:    8 lanes (__m256), masked tails
//   baseline: 4 lanes (__m128, SSE2, which every x86-64 CPU has), scalar tails
#pragma once

#include <immintrin.h>
#include <stdint.h>

#include "isa_namespace.h"

namespace TANDEM_ISA_NAMESPACE::simd {

#if defined(__AVX512F__)

struct F32 {
  __m512 v;
};
inline constexpr int kLanes = 16;
inline F32 zero() { return {_mm512_setzero_ps()}; }
inline F32 set1(float x) { return {_mm512_set1_ps(x)}; }
inline F32 load(const float* p) { return {_mm512_loadu_ps(p)}; }
inline void store(float* p, F32 a) { _mm512_storeu_ps(p, a.v); }
// Non-temporal store: p must be 64-byte aligned.
inline void stream(float* p, F32 a) { _mm512_stream_ps(p, a.v); }
inline __mmask16 tail_mask(int64_t n) { return static_cast<__mmask16>((1u << n) - 1u); }
// The first n (< kLanes) lanes; the others are zero.
inline F32 load_partial(const float* p, int64_t n) {
  return {_mm512_maskz_loadu_ps(tail_mask(n), p)};
}
inline void store_partial(float* p, F32 a, int64_t n) {
  _mm512_mask_storeu_ps(p, tail_mask(n), a.v);
}
inline F32 add(F32 a, F32 b) { return {_mm512_add_ps(a.v, b.v)}; }
inline F32 sub(F32 a, F32 b) { return {_mm512_sub_ps(a.v, b.v)}; }
inline F32 mul(F32 a, F32 b) { return {_mm512_mul_ps(a.v, b.v)}; }
inline F32 div(F32 a, F32 b) { return {_mm512_div_ps(a.v, b.v)}; }
inline F32 fmadd(F32 a, F32 b, F32 c) { return {_mm512_fmadd_ps(a.v, b.v, c.v)}; }
// max(a, b) as the hardware does it: b when either is NaN. (The masked forms with an
// all-ones mask, because GCC 12's _mm512_max_ps trips -Wmaybe-uninitialized.)
inline F32 max(F32 a, F32 b) { return {_mm512_mask_max_ps(a.v, 0xFFFF, a.v, b.v)}; }
inline F32 min(F32 a, F32 b) { return {_mm512_mask_min_ps(a.v, 0xFFFF, a.v, b.v)}; }
inline F32 abs(F32 a) { return {_mm512_abs_ps(a.v)}; }
// Through the 256-bit halves: GCC 12's _mm512_reduce_max_ps trips -Wmaybe-uninitialized.
inline __m128 fold_max(__m512 a) {
  const __m256 h = _mm256_max_ps(_mm512_castps512_ps256(a), _mm512_extractf32x8_ps(a, 1));
  return _mm_max_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
}
inline __m128 fold_add(__m512 a) {
  const __m256 h = _mm256_add_ps(_mm512_castps512_ps256(a), _mm512_extractf32x8_ps(a, 1));
  return _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
}
inline float reduce_add(F32 a) {
  __m128 s = fold_add(a.v);
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
inline float reduce_max(F32 a) {
  __m128 s = fold_max(a.v);
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// 128-bit lanes of x and y, as _mm512_shuffle_f32x4 picks them.
template <int kPick>
inline __m512 lanes128(__m512 x, __m512 y) {
  return _mm512_mask_shuffle_f32x4(x, 0xFFFF, x, y, kPick);
}

// The kLanes x kLanes tile r[0..kLanes) transposed in registers (r[i] lane j becomes
// r[j] lane i): packing's transposes (kernels/sgemm.cpp).
inline void transpose(F32 (&r)[kLanes]) {
  // The masked forms, all lanes on: gcc 12 warns about the unmasked ones'
  // _mm512_undefined_ps() (as for max and min above).
  const auto lo_ps = [](__m512 x, __m512 y) { return _mm512_mask_unpacklo_ps(x, 0xFFFF, x, y); };
  const auto hi_ps = [](__m512 x, __m512 y) { return _mm512_mask_unpackhi_ps(x, 0xFFFF, x, y); };
  const auto lo_pd = [](__m512 x, __m512 y) {
    const __m512d xd = _mm512_castps_pd(x);
    return _mm512_castpd_ps(_mm512_mask_unpacklo_pd(xd, 0xFF, xd, _mm512_castps_pd(y)));
  };
  const auto hi_pd = [](__m512 x, __m512 y) {
    const __m512d xd = _mm512_castps_pd(x);
    return _mm512_castpd_ps(_mm512_mask_unpackhi_pd(xd, 0xFF, xd, _mm512_castps_pd(y)));
  };
  __m512 t[16], u[16];
  for (int i = 0; i < 16; i += 2) {  // pairs of rows, interleaved per 128-bit lane
    t[i] = lo_ps(r[i].v, r[i + 1].v);
    t[i + 1] = hi_ps(r[i].v, r[i + 1].v);
  }
  for (int g = 0; g < 16; g += 4) {  // u[g + j] lane L: column 4L + j of rows g..g+3
    u[g + 0] = lo_pd(t[g], t[g + 2]);
    u[g + 1] = hi_pd(t[g], t[g + 2]);
    u[g + 2] = lo_pd(t[g + 1], t[g + 3]);
    u[g + 3] = hi_pd(t[g + 1], t[g + 3]);
  }
  for (int j = 0; j < 4; ++j) {  // gather lane L of the four row groups
    const __m512 lo01 = lanes128<0x44>(u[j], u[4 + j]);
    const __m512 hi01 = lanes128<0xEE>(u[j], u[4 + j]);
    const __m512 lo23 = lanes128<0x44>(u[8 + j], u[12 + j]);
    const __m512 hi23 = lanes128<0xEE>(u[8 + j], u[12 + j]);
    r[j].v = lanes128<0x88>(lo01, lo23);
    r[4 + j].v = lanes128<0xDD>(lo01, lo23);
    r[8 + j].v = lanes128<0x88>(hi01, hi23);
    r[12 + j].v = lanes128<0xDD>(hi01, hi23);
  }
}

// ---- int32 lanes (the integer GEMM and quantization) ----
using I32 = __m512i;
inline __mmask16 lane_mask(int64_t n) { return static_cast<__mmask16>((1u << n) - 1u); }
inline I32 zero_i32() { return _mm512_setzero_si512(); }
inline I32 set1_i32(int32_t v) { return _mm512_set1_epi32(v); }
inline I32 load_i32(const void* p) { return _mm512_loadu_si512(p); }
// The first n (< kLanes) lanes; the others are zero.
inline I32 load_i32_partial(const int32_t* p, int64_t n) {
  return _mm512_maskz_loadu_epi32(lane_mask(n), p);
}
inline void store_i32(int32_t* p, I32 a) { _mm512_storeu_si512(p, a); }
inline void store_i32_partial(int32_t* p, I32 a, int64_t n) {
  _mm512_mask_storeu_epi32(p, lane_mask(n), a);
}
// The 4 bytes at p (any alignment) in every lane. (The masked forms throughout: GCC
// 12's unmasked ones start from an "undefined" vector that trips -Wmaybe-uninitialized.)
inline I32 broadcast_i32(const void* p) {
  int32_t x;
  __builtin_memcpy(&x, p, sizeof x);
  return _mm512_maskz_set1_epi32(static_cast<__mmask16>(0xFFFF), x);
}
// Two rows of 2 * kLanes int16 interleaved into pairs: out[2j + t] = r_t[j], columns
// 0..kLanes-1 in first, kLanes..2kLanes-1 in second (the integer GEMM's B pairs).
inline void interleave_s16(I32 r0, I32 r1, I32& first, I32& second) {
  const I32 lo = _mm512_mask_unpacklo_epi16(r0, ~__mmask32{0}, r0, r1);  // columns 8L + 0..3
  const I32 hi = _mm512_mask_unpackhi_epi16(r0, ~__mmask32{0}, r0, r1);  // columns 8L + 4..7
  first = _mm512_permutex2var_epi64(lo, _mm512_setr_epi64(0, 1, 8, 9, 2, 3, 10, 11), hi);
  second = _mm512_permutex2var_epi64(lo, _mm512_setr_epi64(4, 5, 12, 13, 6, 7, 14, 15), hi);
}
inline I32 add(I32 a, I32 b) { return _mm512_add_epi32(a, b); }
inline I32 max(I32 a, I32 b) { return _mm512_mask_max_epi32(a, 0xFFFF, a, b); }
// |a| as int32 bits: orders like |a| as a float; NaN and Inf are >= 0x7F800000.
inline I32 abs_bits(F32 a) {
  return _mm512_and_si512(_mm512_castps_si512(a.v), _mm512_set1_epi32(0x7FFFFFFF));
}
// Round to nearest even (the default mode), and back.
inline I32 round_to_int(F32 a) { return _mm512_maskz_cvtps_epi32(0xFFFF, a.v); }
inline F32 to_float(I32 a) { return {_mm512_maskz_cvtepi32_ps(0xFFFF, a)}; }
// The first n lanes as int8, saturated (one vpmovsdb).
inline void store_s8_lanes(int8_t* q, I32 v, int64_t n) {
  _mm512_mask_cvtsepi32_storeu_epi8(q, tail_mask(n), v);
}
// The first n lanes as uint8 (values already in [0, 255]: one vpmovusdb).
inline void store_u8_lanes(uint8_t* q, I32 v, int64_t n) {
  _mm512_mask_cvtusepi32_storeu_epi8(q, tail_mask(n), v);
}
// int8/int16 <-> int32 by blocks of kPack8 / kPack16 vectors, saturating when packing.
inline constexpr int kPack8 = 1;
inline constexpr int kPack16 = 1;
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
// The first n (<= 64) bytes at p, the rest zero.
inline I32 load_bytes(const void* p, int64_t n) {
  return _mm512_maskz_loadu_epi8(n >= 64 ? ~__mmask64{0} : (__mmask64{1} << n) - 1, p);
}
inline I32 bit_xor(I32 a, I32 b) { return _mm512_xor_si512(a, b); }
// The same bits as the other type.
inline F32 as_f32(I32 a) { return {_mm512_castsi512_ps(a)}; }
inline I32 as_i32(F32 a) { return _mm512_castps_si512(a.v); }
// acc + the sums of adjacent int16 products (pairs per lane).
#if defined(__AVX512VNNI__)
inline I32 dot_s16(I32 acc, I32 a, I32 b) { return _mm512_dpwssd_epi32(acc, a, b); }
// acc + the sums of four unsigned-by-signed byte products per lane.
inline I32 dot_u8s8(I32 acc, I32 a, I32 b) { return _mm512_dpbusd_epi32(acc, a, b); }
#endif

#elif defined(__AVX2__)

struct F32 {
  __m256 v;
};
inline constexpr int kLanes = 8;
inline F32 zero() { return {_mm256_setzero_ps()}; }
inline F32 set1(float x) { return {_mm256_set1_ps(x)}; }
inline F32 load(const float* p) { return {_mm256_loadu_ps(p)}; }
inline void store(float* p, F32 a) { _mm256_storeu_ps(p, a.v); }
// Non-temporal store: p must be 32-byte aligned.
inline void stream(float* p, F32 a) { _mm256_stream_ps(p, a.v); }
inline __m256i tail_mask(int64_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)),
                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
inline F32 load_partial(const float* p, int64_t n) { return {_mm256_maskload_ps(p, tail_mask(n))}; }
inline void store_partial(float* p, F32 a, int64_t n) { _mm256_maskstore_ps(p, tail_mask(n), a.v); }
inline F32 add(F32 a, F32 b) { return {_mm256_add_ps(a.v, b.v)}; }
inline F32 sub(F32 a, F32 b) { return {_mm256_sub_ps(a.v, b.v)}; }
inline F32 mul(F32 a, F32 b) { return {_mm256_mul_ps(a.v, b.v)}; }
inline F32 div(F32 a, F32 b) { return {_mm256_div_ps(a.v, b.v)}; }
inline F32 fmadd(F32 a, F32 b, F32 c) { return {_mm256_fmadd_ps(a.v, b.v, c.v)}; }
inline F32 max(F32 a, F32 b) { return {_mm256_max_ps(a.v, b.v)}; }
inline F32 min(F32 a, F32 b) { return {_mm256_min_ps(a.v, b.v)}; }
inline F32 abs(F32 a) { return {_mm256_andnot_ps(_mm256_set1_ps(-0.0f), a.v)}; }
inline float reduce_add(F32 a) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(a.v), _mm256_extractf128_ps(a.v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
inline float reduce_max(F32 a) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(a.v), _mm256_extractf128_ps(a.v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// ---- int32 lanes (the integer GEMM and quantization) ----
// The kLanes x kLanes tile r[0..kLanes) transposed in registers (r[i] lane j becomes
// r[j] lane i): packing's transposes (kernels/sgemm.cpp).
inline void transpose(F32 (&r)[kLanes]) {
  __m256 t[8] = {}, u[8] = {};
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i].v, r[i + 1].v);
    t[i + 1] = _mm256_unpackhi_ps(r[i].v, r[i + 1].v);
  }
  for (int g = 0; g < 8; g += 4) {  // u[g + j] lane L: column 4L + j of rows g..g+3
    u[g + 0] = _mm256_shuffle_ps(t[g], t[g + 2], 0x44);
    u[g + 1] = _mm256_shuffle_ps(t[g], t[g + 2], 0xEE);
    u[g + 2] = _mm256_shuffle_ps(t[g + 1], t[g + 3], 0x44);
    u[g + 3] = _mm256_shuffle_ps(t[g + 1], t[g + 3], 0xEE);
  }
  for (int j = 0; j < 4; ++j) {
    r[j].v = _mm256_permute2f128_ps(u[j], u[4 + j], 0x20);
    r[4 + j].v = _mm256_permute2f128_ps(u[j], u[4 + j], 0x31);
  }
}

using I32 = __m256i;
inline I32 zero_i32() { return _mm256_setzero_si256(); }
inline I32 set1_i32(int32_t v) { return _mm256_set1_epi32(v); }
inline I32 load_i32(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }
inline I32 load_i32_partial(const int32_t* p, int64_t n) {
  return _mm256_maskload_epi32(reinterpret_cast<const int*>(p), tail_mask(n));
}
inline void store_i32(int32_t* p, I32 a) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), a); }
inline void store_i32_partial(int32_t* p, I32 a, int64_t n) {
  _mm256_maskstore_epi32(reinterpret_cast<int*>(p), tail_mask(n), a);
}
inline I32 broadcast_i32(const void* p) {
  int32_t x;
  __builtin_memcpy(&x, p, sizeof x);
  return _mm256_set1_epi32(x);
}
// Two rows of 2 * kLanes int16 interleaved into pairs: out[2j + t] = r_t[j], columns
// 0..kLanes-1 in first, kLanes..2kLanes-1 in second (the integer GEMM's B pairs).
inline void interleave_s16(I32 r0, I32 r1, I32& first, I32& second) {
  const I32 lo = _mm256_unpacklo_epi16(r0, r1);  // columns 0-3 | 8-11
  const I32 hi = _mm256_unpackhi_epi16(r0, r1);  // columns 4-7 | 12-15
  first = _mm256_permute2x128_si256(lo, hi, 0x20);
  second = _mm256_permute2x128_si256(lo, hi, 0x31);
}
inline I32 add(I32 a, I32 b) { return _mm256_add_epi32(a, b); }
inline I32 max(I32 a, I32 b) { return _mm256_max_epi32(a, b); }
inline I32 abs_bits(F32 a) {
  return _mm256_and_si256(_mm256_castps_si256(a.v), _mm256_set1_epi32(0x7FFFFFFF));
}
inline I32 round_to_int(F32 a) { return _mm256_cvtps_epi32(a.v); }
inline F32 to_float(I32 a) { return {_mm256_cvtepi32_ps(a)}; }
// The first n lanes as int8 (values already in range: the GEMM's store clamps in float).
inline void store_s8_lanes(int8_t* q, I32 v, int64_t n) {
  alignas(32) int32_t lanes[kLanes];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), v);
  for (int64_t l = 0; l < n; ++l) q[l] = static_cast<int8_t>(lanes[l]);
}
inline void store_u8_lanes(uint8_t* q, I32 v, int64_t n) {
  alignas(32) int32_t lanes[kLanes];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), v);
  for (int64_t l = 0; l < n; ++l) q[l] = static_cast<uint8_t>(lanes[l]);
}
inline constexpr int kPack8 = 4;
inline constexpr int kPack16 = 2;
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
  for (int k = 0; k < kPack8; ++k) {
    v[k] = _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(q + 8 * k)));
  }
}
inline void load_s16(const int16_t* q, I32* v) {
  for (int k = 0; k < kPack16; ++k) {
    v[k] = _mm256_cvtepi16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(q + 8 * k)));
  }
}
#if defined(__AVXVNNI__)  // the avx2 integer GEMM's AVX-VNNI unit (cpu.avx2_vnni)
inline I32 dot_s16(I32 acc, I32 a, I32 b) { return _mm256_dpwssd_avx_epi32(acc, a, b); }
inline I32 dot_u8s8(I32 acc, I32 a, I32 b) { return _mm256_dpbusd_avx_epi32(acc, a, b); }
#else
inline I32 dot_s16(I32 acc, I32 a, I32 b) { return _mm256_add_epi32(acc, _mm256_madd_epi16(a, b)); }
#endif
// The first n (<= 32) bytes at p, the rest zero.
inline I32 load_bytes(const void* p, int64_t n) {
  if (n >= 32) return load_i32(p);
  alignas(32) unsigned char bytes[32] = {};
  __builtin_memcpy(bytes, p, static_cast<unsigned long>(n));
  return load_i32(bytes);
}
inline I32 bit_xor(I32 a, I32 b) { return _mm256_xor_si256(a, b); }
// The same bits as the other type.
inline F32 as_f32(I32 a) { return {_mm256_castsi256_ps(a)}; }
inline I32 as_i32(F32 a) { return _mm256_castps_si256(a.v); }

#else  // baseline: SSE2

struct F32 {
  __m128 v;
};
inline constexpr int kLanes = 4;
inline F32 zero() { return {_mm_setzero_ps()}; }
inline F32 set1(float x) { return {_mm_set1_ps(x)}; }
inline F32 load(const float* p) { return {_mm_loadu_ps(p)}; }
inline void store(float* p, F32 a) { _mm_storeu_ps(p, a.v); }
// Non-temporal store: p must be 16-byte aligned.
inline void stream(float* p, F32 a) { _mm_stream_ps(p, a.v); }
inline F32 load_partial(const float* p, int64_t n) {
  alignas(16) float buf[4] = {0, 0, 0, 0};
  for (int64_t i = 0; i < n; ++i) buf[i] = p[i];
  return {_mm_load_ps(buf)};
}
inline void store_partial(float* p, F32 a, int64_t n) {
  alignas(16) float buf[4];
  _mm_store_ps(buf, a.v);
  for (int64_t i = 0; i < n; ++i) p[i] = buf[i];
}
inline F32 add(F32 a, F32 b) { return {_mm_add_ps(a.v, b.v)}; }
inline F32 sub(F32 a, F32 b) { return {_mm_sub_ps(a.v, b.v)}; }
inline F32 mul(F32 a, F32 b) { return {_mm_mul_ps(a.v, b.v)}; }
inline F32 div(F32 a, F32 b) { return {_mm_div_ps(a.v, b.v)}; }
// No FMA on the baseline: a multiply and an add, each rounded.
inline F32 fmadd(F32 a, F32 b, F32 c) { return {_mm_add_ps(_mm_mul_ps(a.v, b.v), c.v)}; }
inline F32 max(F32 a, F32 b) { return {_mm_max_ps(a.v, b.v)}; }
inline F32 min(F32 a, F32 b) { return {_mm_min_ps(a.v, b.v)}; }
inline F32 abs(F32 a) { return {_mm_andnot_ps(_mm_set1_ps(-0.0f), a.v)}; }
inline float reduce_add(F32 a) {
  __m128 s = _mm_add_ps(a.v, _mm_movehl_ps(a.v, a.v));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}
inline float reduce_max(F32 a) {
  __m128 s = _mm_max_ps(a.v, _mm_movehl_ps(a.v, a.v));
  s = _mm_max_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}

// ---- int32 lanes (the integer GEMM and quantization) ----
// The kLanes x kLanes tile r[0..kLanes) transposed in registers (r[i] lane j becomes
// r[j] lane i): packing's transposes (kernels/sgemm.cpp).
inline void transpose(F32 (&r)[kLanes]) { _MM_TRANSPOSE4_PS(r[0].v, r[1].v, r[2].v, r[3].v); }

using I32 = __m128i;
inline I32 zero_i32() { return _mm_setzero_si128(); }
inline I32 set1_i32(int32_t v) { return _mm_set1_epi32(v); }
inline I32 load_i32(const void* p) { return _mm_loadu_si128(static_cast<const __m128i*>(p)); }
inline I32 load_i32_partial(const int32_t* p, int64_t n) {
  alignas(16) int32_t buf[4] = {0, 0, 0, 0};
  for (int64_t i = 0; i < n; ++i) buf[i] = p[i];
  return _mm_load_si128(reinterpret_cast<const __m128i*>(buf));
}
inline void store_i32(int32_t* p, I32 a) { _mm_storeu_si128(reinterpret_cast<__m128i*>(p), a); }
inline void store_i32_partial(int32_t* p, I32 a, int64_t n) {
  alignas(16) int32_t buf[4];
  _mm_store_si128(reinterpret_cast<__m128i*>(buf), a);
  for (int64_t i = 0; i < n; ++i) p[i] = buf[i];
}
inline I32 broadcast_i32(const void* p) {
  int32_t x;
  __builtin_memcpy(&x, p, sizeof x);
  return _mm_set1_epi32(x);
}
// Two rows of 2 * kLanes int16 interleaved into pairs: out[2j + t] = r_t[j], columns
// 0..kLanes-1 in first, kLanes..2kLanes-1 in second (the integer GEMM's B pairs).
inline void interleave_s16(I32 r0, I32 r1, I32& first, I32& second) {
  first = _mm_unpacklo_epi16(r0, r1);
  second = _mm_unpackhi_epi16(r0, r1);
}
inline I32 add(I32 a, I32 b) { return _mm_add_epi32(a, b); }
// SSE2 has no pmaxsd: a compare and a select.
inline I32 max(I32 a, I32 b) {
  const __m128i a_greater = _mm_cmpgt_epi32(a, b);
  return _mm_or_si128(_mm_and_si128(a_greater, a), _mm_andnot_si128(a_greater, b));
}
inline I32 abs_bits(F32 a) {
  return _mm_and_si128(_mm_castps_si128(a.v), _mm_set1_epi32(0x7FFFFFFF));
}
inline I32 round_to_int(F32 a) { return _mm_cvtps_epi32(a.v); }
inline F32 to_float(I32 a) { return {_mm_cvtepi32_ps(a)}; }
// The first n lanes as int8 (values already in range: the GEMM's store clamps in float).
inline void store_s8_lanes(int8_t* q, I32 v, int64_t n) {
  alignas(16) int32_t lanes[kLanes];
  _mm_store_si128(reinterpret_cast<__m128i*>(lanes), v);
  for (int64_t l = 0; l < n; ++l) q[l] = static_cast<int8_t>(lanes[l]);
}
inline void store_u8_lanes(uint8_t* q, I32 v, int64_t n) {
  alignas(16) int32_t lanes[kLanes];
  _mm_store_si128(reinterpret_cast<__m128i*>(lanes), v);
  for (int64_t l = 0; l < n; ++l) q[l] = static_cast<uint8_t>(lanes[l]);
}
inline constexpr int kPack8 = 4;
inline constexpr int kPack16 = 2;
inline void store_s8(int8_t* q, const I32* v) {
  const __m128i lo = _mm_packs_epi32(v[0], v[1]);
  const __m128i hi = _mm_packs_epi32(v[2], v[3]);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(q), _mm_packs_epi16(lo, hi));
}
inline void store_s16(int16_t* q, const I32* v) {
  _mm_storeu_si128(reinterpret_cast<__m128i*>(q), _mm_packs_epi32(v[0], v[1]));
}
// Sign extension (no pmovsx in SSE2): interleave a value with itself, shift arithmetically.
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
inline I32 dot_s16(I32 acc, I32 a, I32 b) { return _mm_add_epi32(acc, _mm_madd_epi16(a, b)); }
#endif

// relu as the relu op defines it: max(0, x) returns x when x is NaN (max gives its
// second operand then), and + 0 turns -0 into +0.
inline F32 relu(F32 x) { return add(max(zero(), x), zero()); }

// Elements before `out` reaches the vector alignment that stream() needs (at most n);
// -1 when out is not even float-aligned, so that no peeling can align it.
inline int64_t elements_to_alignment(const float* out, int64_t n) {
  constexpr uintptr_t kVectorBytes = sizeof(float) * kLanes;
  const auto address = reinterpret_cast<uintptr_t>(out);
  if (address % sizeof(float) != 0) return -1;
  const auto head = static_cast<int64_t>(((kVectorBytes - address % kVectorBytes) % kVectorBytes) /
                                         sizeof(float));
  return head < n ? head : n;
}

}  // namespace TANDEM_ISA_NAMESPACE::simd
