// The integer GEMM kernels of one path: packing into the path's layout and the
// MR x NR microkernel, int32 accumulation that wraps modulo 2^32.
//
// Every packed panel is made of 32-bit lanes, each holding `G` consecutive k values
// of one row of A or one column of B (K padded with zeros to a multiple of G):
//   A panel (MR rows):    lane (g, i) at byte 4 * (g * MR + i)  = A[i][G*g .. G*g+G-1]
//   B panel (NR columns): lane (g, j) at byte 4 * (g * NR + j)  = B[G*g .. G*g+G-1][j]
// so one k group is a broadcast of one A lane per row and NV vector loads of B, and
// the microkernel is the same loop for every type; only the dot product differs:
//   int16 (G = 2, all paths): vpmaddwd + vpaddd, or vpdpwssd with VNNI.
//   int8 on avx2/baseline: sign-extended to int16 while packing, then as int16.
//   int8 on avx512 (G = 4, VNNI vpdpbusd, which multiplies unsigned by signed bytes):
//     A is packed as A + 128 (in [0, 255]) and C = (A + 128) * B - 128 * colsum(B);
//     the B panel carries NR int32 lanes after its data, -128 * colsum(B) over the
//     panel's k range, which start the accumulators.
// All of these are exact modulo 2^32: products of int8/int16 pairs and the sums of
// two or four of them fit in int32 (the one exception, vpmaddwd's
// (-32768)^2 + (-32768)^2 = 2^31, wraps to the same value as the exact sum does).
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "isa_namespace.h"
#include "tables.h"

namespace TANDEM_ISA_NAMESPACE {
namespace {

inline int32_t load32(const void* p) {
  int32_t x;
  memcpy(&x, p, sizeof x);
  return x;
}

// ---- The int32 vector of this path ------------------------------------------------

#if defined(__AVX512F__)

#if !defined(__AVX512VNNI__)
#error "the avx512 integer GEMM needs -mavx512vnni (EXTRA_avx512 in cpu/CMakeLists.txt)"
#endif

using I32 = __m512i;
constexpr int kLanes = 16;
constexpr int kMR = 12;
constexpr int kNV = 2;  // 12 x 32: 24 accumulators + 2 of B of the 32 registers

inline __mmask16 mask(int64_t n) { return static_cast<__mmask16>((1u << n) - 1u); }
inline I32 zero() { return _mm512_setzero_si512(); }
inline I32 load(const void* p) { return _mm512_loadu_si512(p); }
// The masked forms throughout: GCC 12's unmasked ones start from an "undefined"
// vector that trips -Wmaybe-uninitialized.
inline I32 broadcast(const void* p) {
  return _mm512_maskz_set1_epi32(static_cast<__mmask16>(0xFFFF), load32(p));
}
inline I32 dot_s16(I32 acc, I32 a, I32 b) { return _mm512_dpwssd_epi32(acc, a, b); }
inline I32 dot_u8s8(I32 acc, I32 a, I32 b) { return _mm512_dpbusd_epi32(acc, a, b); }
inline I32 add(I32 a, I32 b) { return _mm512_add_epi32(a, b); }
inline I32 load_i32(const int32_t* p, int64_t n) {
  return n == kLanes ? _mm512_loadu_si512(p) : _mm512_maskz_loadu_epi32(mask(n), p);
}
inline void store_i32(int32_t* p, I32 v, int64_t n) {
  if (n == kLanes) {
    _mm512_storeu_si512(p, v);
  } else {
    _mm512_mask_storeu_epi32(p, mask(n), v);
  }
}
inline void store_scaled(float* p, I32 v, float scale, int64_t n) {
  const __m512 x = _mm512_mul_ps(_mm512_maskz_cvtepi32_ps(static_cast<__mmask16>(0xFFFF), v),
                                 _mm512_set1_ps(scale));
  if (n == kLanes) {
    _mm512_storeu_ps(p, x);
  } else {
    _mm512_mask_storeu_ps(p, mask(n), x);
  }
}

#elif defined(__AVX2__)

using I32 = __m256i;
constexpr int kLanes = 8;
constexpr int kMR = 4;
constexpr int kNV = 2;  // 4 x 16: 8 accumulators + 2 of B + A + a product, of 16

inline __m256i mask(int64_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)),
                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
inline I32 zero() { return _mm256_setzero_si256(); }
inline I32 load(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }
inline I32 broadcast(const void* p) { return _mm256_set1_epi32(load32(p)); }
inline I32 dot_s16(I32 acc, I32 a, I32 b) { return _mm256_add_epi32(acc, _mm256_madd_epi16(a, b)); }
inline I32 add(I32 a, I32 b) { return _mm256_add_epi32(a, b); }
inline I32 load_i32(const int32_t* p, int64_t n) {
  return n == kLanes ? load(p) : _mm256_maskload_epi32(reinterpret_cast<const int*>(p), mask(n));
}
inline void store_i32(int32_t* p, I32 v, int64_t n) {
  if (n == kLanes) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v);
  } else {
    _mm256_maskstore_epi32(reinterpret_cast<int*>(p), mask(n), v);
  }
}
inline void store_scaled(float* p, I32 v, float scale, int64_t n) {
  const __m256 x = _mm256_mul_ps(_mm256_cvtepi32_ps(v), _mm256_set1_ps(scale));
  if (n == kLanes) {
    _mm256_storeu_ps(p, x);
  } else {
    _mm256_maskstore_ps(p, mask(n), x);
  }
}

#else  // baseline: SSE2

using I32 = __m128i;
constexpr int kLanes = 4;
constexpr int kMR = 4;
constexpr int kNV = 2;  // 4 x 8: 8 accumulators + 2 of B + A + a product, of 16

inline I32 zero() { return _mm_setzero_si128(); }
inline I32 load(const void* p) { return _mm_loadu_si128(static_cast<const __m128i*>(p)); }
inline I32 broadcast(const void* p) { return _mm_set1_epi32(load32(p)); }
inline I32 dot_s16(I32 acc, I32 a, I32 b) { return _mm_add_epi32(acc, _mm_madd_epi16(a, b)); }
inline I32 add(I32 a, I32 b) { return _mm_add_epi32(a, b); }
inline I32 load_i32(const int32_t* p, int64_t n) {
  if (n == kLanes) return load(p);
  alignas(16) int32_t buf[4] = {0, 0, 0, 0};
  memcpy(buf, p, static_cast<size_t>(n) * sizeof(int32_t));
  return _mm_load_si128(reinterpret_cast<const __m128i*>(buf));
}
inline void store_i32(int32_t* p, I32 v, int64_t n) {
  if (n == kLanes) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p), v);
    return;
  }
  alignas(16) int32_t buf[4];
  _mm_store_si128(reinterpret_cast<__m128i*>(buf), v);
  memcpy(p, buf, static_cast<size_t>(n) * sizeof(int32_t));
}
inline void store_scaled(float* p, I32 v, float scale, int64_t n) {
  const __m128 x = _mm_mul_ps(_mm_cvtepi32_ps(v), _mm_set1_ps(scale));
  if (n == kLanes) {
    _mm_storeu_ps(p, x);
    return;
  }
  alignas(16) float buf[4];
  _mm_store_ps(buf, x);
  memcpy(p, buf, static_cast<size_t>(n) * sizeof(float));
}

#endif

constexpr int kNR = kNV * kLanes;

// ---- The microkernel ----------------------------------------------------------------

struct DotS16 {
  static I32 apply(I32 acc, I32 a, I32 b) { return dot_s16(acc, a, b); }
};
#if defined(__AVX512F__)
struct DotU8S8 {
  static I32 apply(I32 acc, I32 a, I32 b) { return dot_u8s8(acc, a, b); }
};
#endif

// C[0:mr, 0:nr] (=|+=) A * B over kc k values of packed panels; see IgemmOps.
template <typename Dot, int G, bool kOffsets>
void microkernel(int64_t kc, const void* a, const void* b, void* c, int64_t ldc, int64_t mr,
                 int64_t nr, int flags, float scale) {
  const unsigned char* ap = static_cast<const unsigned char*>(a);
  const unsigned char* bp = static_cast<const unsigned char*>(b);
  const int64_t groups = (kc + G - 1) / G;

  // Every loop over the tile is unrolled, so that acc lives in registers: indexing it
  // with a run-time bound (i < mr) would keep it in memory.
  I32 acc[kMR][kNV];
#pragma GCC unroll 4
  for (int v = 0; v < kNV; ++v) {
    const I32 start = kOffsets ? load(bp + 4 * (groups * kNR + v * kLanes)) : zero();
#pragma GCC unroll 16
    for (int i = 0; i < kMR; ++i) acc[i][v] = start;
  }
  for (int64_t g = 0; g < groups; ++g) {
    I32 bv[kNV];
#pragma GCC unroll 4
    for (int v = 0; v < kNV; ++v) bv[v] = load(bp + 4 * (g * kNR + v * kLanes));
    const unsigned char* ag = ap + 4 * g * kMR;
#pragma GCC unroll 16
    for (int i = 0; i < kMR; ++i) {
      const I32 av = broadcast(ag + 4 * i);
#pragma GCC unroll 4
      for (int v = 0; v < kNV; ++v) acc[i][v] = Dot::apply(acc[i][v], av, bv[v]);
    }
  }

#pragma GCC unroll 16
  for (int i = 0; i < kMR; ++i) {
    if (i >= mr) break;
    int32_t* row = static_cast<int32_t*>(c) + i * ldc;
#pragma GCC unroll 4
    for (int v = 0; v < kNV; ++v) {
      const int64_t col = v * kLanes;
      if (col >= nr) break;
      const int64_t width = nr - col < kLanes ? nr - col : kLanes;
      I32 sum = acc[i][v];
      if (flags & kIgemmAccumulate) sum = add(sum, load_i32(row + col, width));
      if (flags & kIgemmDequantize) {
        store_scaled(reinterpret_cast<float*>(row + col), sum, scale, width);
      } else {
        store_i32(row + col, sum, width);
      }
    }
  }
}

// ---- Packing (plain loops: O(mk + kn) against the microkernel's O(mnk)) ----------------

// Pairs of k values as int16 (int8 sign-extended): G = 2.
template <typename Src>
void pack_a_pairs(const void* src, int64_t lda, int64_t rows, int64_t kc, void* dst) {
  const Src* a = static_cast<const Src*>(src);
  int16_t* d = static_cast<int16_t*>(dst);
  const int64_t groups = (kc + 1) / 2;
  for (int64_t i = 0; i < kMR; ++i) {
    if (i >= rows) {
      for (int64_t g = 0; g < groups; ++g) d[2 * (g * kMR + i)] = d[2 * (g * kMR + i) + 1] = 0;
      continue;
    }
    const Src* row = a + i * lda;
    for (int64_t p = 0; p < kc; ++p) d[2 * ((p / 2) * kMR + i) + p % 2] = row[p];
    if (kc % 2 != 0) d[2 * ((kc / 2) * kMR + i) + 1] = 0;
  }
}

template <typename Src>
void pack_b_pairs(const void* src, int64_t ldb, int64_t kc, int64_t cols, void* dst) {
  const Src* b = static_cast<const Src*>(src);
  int16_t* d = static_cast<int16_t*>(dst);
  const int64_t groups = (kc + 1) / 2;
  for (int64_t g = 0; g < groups; ++g) {
    const Src* row0 = b + 2 * g * ldb;
    const Src* row1 = 2 * g + 1 < kc ? row0 + ldb : nullptr;
    int16_t* out = d + 2 * g * kNR;
    for (int64_t j = 0; j < cols; ++j) {
      out[2 * j] = static_cast<int16_t>(row0[j]);
      out[2 * j + 1] = row1 != nullptr ? static_cast<int16_t>(row1[j]) : int16_t{0};
    }
    for (int64_t j = cols; j < kNR; ++j) out[2 * j] = out[2 * j + 1] = 0;
  }
}

#if defined(__AVX512F__)

// Quads of k values, A as unsigned bytes A + 128: G = 4. The padding (rows past
// `rows`, k past kc) multiplies B's zero padding or lands in rows never stored.
void pack_a_u8(const void* src, int64_t lda, int64_t rows, int64_t kc, void* dst) {
  const int8_t* a = static_cast<const int8_t*>(src);
  uint8_t* d = static_cast<uint8_t*>(dst);
  const int64_t groups = (kc + 3) / 4;
  for (int64_t i = 0; i < kMR; ++i) {
    const int8_t* row = i < rows ? a + i * lda : nullptr;
    for (int64_t g = 0; g < groups; ++g) {
      uint8_t* lane = d + 4 * (g * kMR + i);
      for (int64_t t = 0; t < 4; ++t) {
        const int64_t p = 4 * g + t;
        // a + 128 == the byte of a with its top bit flipped.
        lane[t] = row != nullptr && p < kc
                      ? static_cast<uint8_t>(static_cast<uint8_t>(row[p]) ^ 0x80u)
                      : uint8_t{0x80};
      }
    }
  }
}

// Quads of k values of B as signed bytes, then NR int32 lanes of -128 * colsum(B).
void pack_b_quads(const void* src, int64_t ldb, int64_t kc, int64_t cols, void* dst) {
  const int8_t* b = static_cast<const int8_t*>(src);
  int8_t* d = static_cast<int8_t*>(dst);
  const int64_t groups = (kc + 3) / 4;
  int32_t colsum[kNR];
  for (int j = 0; j < kNR; ++j) colsum[j] = 0;
  for (int64_t g = 0; g < groups; ++g) {
    int8_t* out = d + 4 * g * kNR;
    for (int64_t t = 0; t < 4; ++t) {
      const int64_t p = 4 * g + t;
      if (p < kc) {
        const int8_t* row = b + p * ldb;
        for (int64_t j = 0; j < cols; ++j) {
          out[4 * j + t] = row[j];
          colsum[j] += row[j];
        }
        for (int64_t j = cols; j < kNR; ++j) out[4 * j + t] = 0;
      } else {
        for (int64_t j = 0; j < kNR; ++j) out[4 * j + t] = 0;
      }
    }
  }
  // |colsum| <= 128 * kc: the product fits int32 for any kc below 2^17; computed in
  // unsigned arithmetic all the same, so that it wraps rather than overflows.
  int32_t offsets[kNR];
  for (int j = 0; j < kNR; ++j) {
    offsets[j] = static_cast<int32_t>(0u - 128u * static_cast<uint32_t>(colsum[j]));
  }
  memcpy(d + 4 * groups * kNR, offsets, sizeof offsets);
}

#endif

}  // namespace

#if defined(__AVX512F__)
const IgemmKernels igemm = {
    kMR,
    kNR,
    {4, true, pack_a_u8, pack_b_quads, microkernel<DotU8S8, 4, true>},
    {2, false, pack_a_pairs<int16_t>, pack_b_pairs<int16_t>, microkernel<DotS16, 2, false>},
};
#else
const IgemmKernels igemm = {
    kMR,
    kNR,
    {2, false, pack_a_pairs<int8_t>, pack_b_pairs<int8_t>, microkernel<DotS16, 2, false>},
    {2, false, pack_a_pairs<int16_t>, pack_b_pairs<int16_t>, microkernel<DotS16, 2, false>},
};
#endif

}  // namespace TANDEM_ISA_NAMESPACE
