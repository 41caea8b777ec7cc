// The float vector type of the path being compiled, and the handful of operations
// the kernels need: one definition per path, so each kernel family is written once.
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

#endif

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
