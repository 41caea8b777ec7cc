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
//   int8 on avx512 and avx2_vnni (G = 4, vpdpbusd, unsigned by signed bytes: AVX-512
//   VNNI on 512-bit vectors, AVX-VNNI on 256-bit ones):
//     A is packed as A + 128 (in [0, 255]) and C = (A + 128) * B - 128 * colsum(B);
//     the B panel carries NR int32 lanes after its data, -128 * colsum(B) over the
//     panel's k range, which start the accumulators.
// All of these are exact modulo 2^32: products of int8/int16 pairs and the sums of
// two or four of them fit in int32 (the one exception, vpmaddwd's
// (-32768)^2 + (-32768)^2 = 2^31, wraps to the same value as the exact sum does).
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "amx_tiles.h"
#include "pack.h"
#include "simd.h"
#include "tables.h"

namespace TANDEM_ISA_NAMESPACE {
namespace {

using simd::I32;
using simd::kLanes;

// The microkernel's tiles per path and type (int8, int16), as data: MR rows by NV
// vectors of B (NR = NV x lanes). avx512 12 x 32: 24 accumulators + 2 of B of the 32
// registers; avx2 4 x 16 and baseline 4 x 8: 8 accumulators + 2 of B + A + a product,
// of 16; avx2_vnni int8 6 x 16: 12 accumulators + 2 of B + A (vpdpbusd needs no product
// register), int16 4 x 16 (measured at 512^3 and 2048^3, one thread, Intel Xeon model
// 207: int8 301-332 GOP/s at 6 x 16 against 242-252 at 4 x 16; int16 131-136 at 4 x 16
// against 97-98 at 6 x 16).
struct TypeTiles {
  MicroTile s8, s16;
};
namespace tiles {
[[maybe_unused]] constexpr TypeTiles avx512{{12, 2}, {12, 2}}, avx2{{4, 2}, {4, 2}},
    avx2_vnni{{6, 2}, {4, 2}}, baseline{{4, 2}, {4, 2}};
}  // namespace tiles
constexpr int kS8MR = tiles::TANDEM_CPU_ISA.s8.mr;
constexpr int kS16MR = tiles::TANDEM_CPU_ISA.s16.mr;
constexpr int kNV = tiles::TANDEM_CPU_ISA.s8.nv;
static_assert(tiles::TANDEM_CPU_ISA.s16.nv == kNV, "one width of B panels per path");

#if defined(__AVX512F__) && !defined(__AVX512VNNI__)
#error "the avx512 integer GEMM needs -mavx512vnni (EXTRA_avx512 in cpu/CMakeLists.txt)"
#endif

constexpr int kNR = kNV * kLanes;
constexpr int64_t kPrefetchGroups = 8;  // the packed panels, this many k groups ahead

// The tile's store: the sums (plus C's with accumulate) written back to C as int32, or,
// in the last k block of a quantized product (IgemmStore::finish), scaled, biased,
// activated, and written as float or requantized int8 to store.out.
// MR x NV is the tile's shape; sum_at(i, v) gives its sums, row i, vector v.
template <int MR, int NV, typename SumAt>
inline void store_tile(SumAt sum_at, void* c, int64_t ldc, int64_t mr, int64_t nr,
                       const IgemmStore& store) {
  using simd::F32;
  // The per-column factors of a finishing store, loaded once per tile (zero otherwise).
  F32 scale[static_cast<std::size_t>(NV)], bias[static_cast<std::size_t>(NV)];
  I32 offset[static_cast<std::size_t>(NV)];
#pragma GCC unroll 4
  for (int v = 0; v < NV; ++v) {
    const int64_t have = store.finish ? nr - v * kLanes : 0;
    const int64_t width = have >= kLanes ? kLanes : (have > 0 ? have : 0);
    const auto lanes = [&](const float* p) {
      return width == kLanes ? simd::load(p)
             : width > 0     ? simd::load_partial(p, width)
                             : simd::zero();
    };
    scale[v] = !store.finish             ? simd::zero()
               : store.scale_stride == 0 ? simd::set1(*store.scales)
                                         : lanes(store.scales + v * kLanes);
    bias[v] = store.bias != nullptr ? lanes(store.bias + v * kLanes) : simd::zero();
    const int32_t* offsets = store.column_offsets + v * kLanes;
    offset[v] = store.column_offsets == nullptr || width == 0 ? simd::zero_i32()
                : width == kLanes                             ? simd::load_i32(offsets)
                                  : simd::load_i32_partial(offsets, width);
  }
  const bool relu = store.activation == tandem::Activation::relu;
  const F32 inverse = simd::set1(store.inverse_out_scale);
  const F32 lo = simd::set1(store.out_lo), hi = simd::set1(store.out_hi);
  const I32 out_zero = simd::set1_i32(store.out_zero_point);
#pragma GCC unroll 32
  for (int i = 0; i < MR; ++i) {
    if (i >= mr) break;
    int32_t* row = static_cast<int32_t*>(c) + i * ldc;
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      const int64_t col = v * kLanes;
      if (col >= nr) break;
      const int64_t width = nr - col < kLanes ? nr - col : kLanes;
      const bool full = width == kLanes;
      I32 sum = sum_at(i, v);
      if (store.accumulate) {
        sum = simd::add(
            sum, full ? simd::load_i32(row + col) : simd::load_i32_partial(row + col, width));
      }
      if (!store.finish) {
        if (full) {
          simd::store_i32(row + col, sum);
        } else {
          simd::store_i32_partial(row + col, sum, width);
        }
        continue;
      }
      if (store.column_offsets != nullptr) sum = simd::add(sum, offset[v]);
      F32 y = simd::mul(simd::to_float(sum), scale[v]);
      if (store.bias != nullptr) y = simd::add(y, bias[v]);
      if (relu) y = simd::relu(y);
      if (store.requantize) {
        const I32 q = simd::round_to_int(simd::min(simd::max(simd::mul(y, inverse), lo), hi));
        if (store.out_unsigned) {
          simd::store_u8_lanes(static_cast<uint8_t*>(store.out) + i * store.ldo + col,
                               simd::add(q, out_zero), width);
        } else {
          simd::store_s8_lanes(static_cast<int8_t*>(store.out) + i * store.ldo + col, q, width);
        }
      } else {
        float* out = static_cast<float*>(store.out) + i * store.ldo + col;
        if (full) {
          simd::store(out, y);
        } else {
          simd::store_partial(out, y, width);
        }
      }
    }
  }
}

// The store of a wide product (IgemmStore::wide): the block's int32 sums times 2^shift
// added to C's int64 sums, and in the last block finished as finish_tile does, from the
// int64 total (rounded to float once, as the reference rounds its exact sum). Scalar:
// it runs once per k block of at most a few hundred k values, not per k.
template <int MR>
inline void wide_tile(const I32 (&acc)[static_cast<unsigned>(MR)][kNV], void* c, int64_t ldc,
                      int64_t mr, int64_t nr, const IgemmStore& store) {
  alignas(64) int32_t lanes[kNV * kLanes];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) {
    if (i >= mr) break;
#pragma GCC unroll 4
    for (int v = 0; v < kNV; ++v) simd::store_i32(lanes + v * kLanes, acc[i][v]);
    int64_t* row = static_cast<int64_t*>(c) + i * ldc;
    for (int64_t j = 0; j < nr; ++j) {
      int64_t sum = int64_t{lanes[j]} * (int64_t{1} << store.shift);
      if (store.accumulate) sum += row[j];
      if (!store.finish) {
        row[j] = sum;
        continue;
      }
      float y = static_cast<float>(sum) * store.scales[j * store.scale_stride];
      if (store.bias != nullptr) y += store.bias[j];
      y = tandem::activate(store.activation, y);
      if (store.requantize) {
        const float q = __builtin_nearbyintf(__builtin_fminf(
            __builtin_fmaxf(y * store.inverse_out_scale, store.out_lo), store.out_hi));
        const auto code = static_cast<int32_t>(q) + store.out_zero_point;
        if (store.out_unsigned) {
          static_cast<uint8_t*>(store.out)[i * store.ldo + j] = static_cast<uint8_t>(code);
        } else {
          static_cast<int8_t*>(store.out)[i * store.ldo + j] = static_cast<int8_t>(code);
        }
      } else {
        static_cast<float*>(store.out)[i * store.ldo + j] = y;
      }
    }
  }
}

// ---- The microkernel ----------------------------------------------------------------

struct DotS16 {
  static I32 apply(I32 acc, I32 a, I32 b) { return simd::dot_s16(acc, a, b); }
};

// C[0:mr, 0:nr] (=|+=) A * B over kc k values of packed panels; see IgemmOps.
template <typename Dot, int G, bool kOffsets, int MR>
void microkernel(int64_t kc, const void* a, const void* b, void* c, int64_t ldc, int64_t mr,
                 int64_t nr, const IgemmStore& store) {
  const unsigned char* ap = static_cast<const unsigned char*>(a);
  const unsigned char* bp = static_cast<const unsigned char*>(b);
  const int64_t groups = (kc + G - 1) / G;
  // C is touched only after the k loop, usually far out of cache: start its lines on
  // their way now (as the f32 microkernel does).
  for (int64_t i = 0; i < mr; ++i) {
    const int32_t* row = static_cast<const int32_t*>(c) + i * ldc;
    __builtin_prefetch(row, 1, 3);
    __builtin_prefetch(row + nr - 1, 1, 3);
  }

  // Every loop over the tile is unrolled, so that acc lives in registers: indexing it
  // with a run-time bound (i < mr) would keep it in memory.
  I32 acc[static_cast<unsigned>(MR)][kNV];  // (unsigned: -Wsign-conversion on a template bound)
#pragma GCC unroll 4
  for (int v = 0; v < kNV; ++v) {
    const I32 start =
        kOffsets ? simd::load_i32(bp + 4 * (groups * kNR + v * kLanes)) : simd::zero_i32();
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) acc[i][v] = start;
  }
  for (int64_t g = 0; g < groups; ++g) {
    __builtin_prefetch(bp + 4 * (g + kPrefetchGroups) * kNR, 0, 3);
    __builtin_prefetch(ap + 4 * (g + kPrefetchGroups) * MR, 0, 3);
    I32 bv[kNV];
#pragma GCC unroll 4
    for (int v = 0; v < kNV; ++v) bv[v] = simd::load_i32(bp + 4 * (g * kNR + v * kLanes));
    const unsigned char* ag = ap + 4 * g * MR;
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      const I32 av = simd::broadcast_i32(ag + 4 * i);
#pragma GCC unroll 4
      for (int v = 0; v < kNV; ++v) acc[i][v] = Dot::apply(acc[i][v], av, bv[v]);
    }
  }

  if (store.wide) {
    wide_tile<MR>(acc, c, ldc, mr, nr, store);
    return;
  }
  store_tile<MR, kNV>([&](int i, int v) { return acc[i][v]; }, c, ldc, mr, nr, store);
}

// ---- Packing (plain loops: O(mk + kn) against the microkernel's O(mnk)) ----------------

// Pairs of k values as int16 (int8 sign-extended, uint8 as A + kBias): G = 2. For int16
// rows that start on 4 bytes, a row's pair g is its g-th 32-bit lane, so the whole pairs
// are a 32-bit transpose (pack.h); an odd kc's last pair, and everything else, by scalar
// loops.
template <typename Src, int MR, int kBias = 0>
void pack_a_pairs(const void* src, int64_t lda, int64_t rows, int64_t kc, void* dst) {
  const Src* a = static_cast<const Src*>(src);
  int16_t* d = static_cast<int16_t*>(dst);
  const int64_t groups = (kc + 1) / 2;
  if constexpr (sizeof(Src) == 2) {
    if (lda % 2 == 0 && reinterpret_cast<uintptr_t>(a) % 4 == 0) {
      const int64_t whole = kc / 2;
      transpose_pack(reinterpret_cast<const float*>(a), lda / 2, rows, whole, MR,
                     reinterpret_cast<float*>(d));
      if (whole < groups) {  // kc odd: (A[i][kc - 1], 0)
        for (int64_t i = 0; i < MR; ++i) {
          d[2 * (whole * MR + i)] = i < rows ? a[i * lda + kc - 1] : Src{0};
          d[2 * (whole * MR + i) + 1] = 0;
        }
      }
      return;
    }
  }
  for (int64_t i = 0; i < MR; ++i) {
    if (i >= rows) {
      for (int64_t g = 0; g < groups; ++g) d[2 * (g * MR + i)] = d[2 * (g * MR + i) + 1] = 0;
      continue;
    }
    const Src* row = a + i * lda;
    for (int64_t p = 0; p < kc; ++p) {
      d[2 * ((p / 2) * MR + i) + p % 2] = static_cast<int16_t>(row[p] + kBias);
    }
    if (kc % 2 != 0) d[2 * ((kc / 2) * MR + i) + 1] = 0;
  }
}

template <typename Src>
void pack_b_pairs(const void* src, int64_t ldb, int64_t kc, int64_t cols, void* dst) {
  const Src* b = static_cast<const Src*>(src);
  int16_t* d = static_cast<int16_t*>(dst);
  const int64_t groups = (kc + 1) / 2;
  if constexpr (sizeof(Src) == 2 && kNV == 2) {
    // A whole panel row of int16 is one vector: two rows interleave in registers.
    if (cols == kNR) {
      for (int64_t g = 0; g < groups; ++g) {
        const I32 r0 = simd::load_i32(b + 2 * g * ldb);
        const I32 r1 = 2 * g + 1 < kc ? simd::load_i32(b + (2 * g + 1) * ldb) : simd::zero_i32();
        I32 first, second;
        simd::interleave_s16(r0, r1, first, second);
        simd::store_i32(reinterpret_cast<int32_t*>(d + 2 * g * kNR), first);
        simd::store_i32(reinterpret_cast<int32_t*>(d + 2 * g * kNR) + kLanes, second);
      }
      return;
    }
  }
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

// The int8 scheme: VNNI's unsigned-by-signed bytes where the path has it (avx512 and
// avx2_vnni, G = 4), int8 widened to int16 pairs elsewhere (G = 2).
#if defined(__AVX512VNNI__) || defined(__AVXVNNI__)
// Quads of k values, A as unsigned bytes A + 128: G = 4. A row's quad g is the row's
// g-th 4 bytes, so the panel is a transpose of 32-bit lanes (rows x groups into groups
// x MR), done kLanes x kLanes at a time in registers. The padding (rows past `rows`, k
// past kc) multiplies B's zero padding or lands in rows never stored. kFlip: int8 A,
// whose top bit flipped is A + 128; uint8 A (pack_a_unsigned) is its own A' + 128 for
// the int8 A' = A - 128 it stands for, so it is copied as it is.
template <bool kFlip>
void pack_a_quads(const void* src, int64_t lda, int64_t rows, int64_t kc, void* dst) {
  static_assert(kS8MR <= kLanes, "one transposed tile holds a panel's rows");
  const int8_t* a = static_cast<const int8_t*>(src);
  int32_t* d = static_cast<int32_t*>(dst);
  const int64_t groups = (kc + 3) / 4;
  const I32 flip = simd::set1_i32(kFlip ? static_cast<int32_t>(0x80808080u) : 0);  // a + 128
  for (int64_t g0 = 0; g0 < groups; g0 += kLanes) {
    const int64_t bytes = kc - 4 * g0 < 4 * kLanes ? kc - 4 * g0 : 4 * kLanes;
    simd::F32 tile[kLanes];
    for (int64_t i = 0; i < kLanes; ++i) {
      const I32 row = i < rows ? simd::load_bytes(a + i * lda + 4 * g0, bytes) : simd::zero_i32();
      tile[i] = simd::as_f32(simd::bit_xor(row, flip));
    }
    simd::transpose(tile);  // bits moved, not converted
    const int64_t count = groups - g0 < kLanes ? groups - g0 : kLanes;
    for (int64_t q = 0; q < count; ++q) {
      simd::store_i32_partial(d + (g0 + q) * kS8MR, simd::as_i32(tile[q]), kS8MR);
    }
  }
}

#if defined(__AVX512VNNI__)
// Quads of k values of B as signed bytes (kc padded with zero rows to a multiple of
// kStep), then, with kOffsets, NR int32 lanes of -128 * colsum(B). Four rows of 32
// columns are interleaved into quads with byte and word unpacks; the column sums come
// from the same quads with vpdpbusd against ones.
template <int kStep, bool kOffsets>
void pack_b_quads(const void* src, int64_t ldb, int64_t kc, int64_t cols, void* dst) {
  static_assert(kNR == 32, "a B panel row is one 256-bit vector");
  const int8_t* b = static_cast<const int8_t*>(src);
  int8_t* d = static_cast<int8_t*>(dst);
  const int64_t groups = (kc + kStep - 1) / kStep * (kStep / 4);
  const __mmask32 mask = cols >= 32 ? ~__mmask32{0} : (__mmask32{1} << cols) - 1;
  const __m256i ones = _mm256_set1_epi8(1);
  __m256i colsum[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(),
                       _mm256_setzero_si256()};
  for (int64_t g = 0; g < groups; ++g) {
    __m256i r[4];
    for (int t = 0; t < 4; ++t) {
      const int64_t p = 4 * g + t;
      r[t] = p < kc ? _mm256_maskz_loadu_epi8(mask, b + p * ldb) : _mm256_setzero_si256();
    }
    // Per 128-bit half: pairs of rows 0,1 and 2,3, then quads (columns 0-3 | 16-19, ...).
    const __m256i p01_lo = _mm256_unpacklo_epi8(r[0], r[1]),
                  p01_hi = _mm256_unpackhi_epi8(r[0], r[1]);
    const __m256i p23_lo = _mm256_unpacklo_epi8(r[2], r[3]),
                  p23_hi = _mm256_unpackhi_epi8(r[2], r[3]);
    const __m256i q0 = _mm256_unpacklo_epi16(p01_lo, p23_lo);  // columns 0-3 | 16-19
    const __m256i q1 = _mm256_unpackhi_epi16(p01_lo, p23_lo);  // 4-7 | 20-23
    const __m256i q2 = _mm256_unpacklo_epi16(p01_hi, p23_hi);  // 8-11 | 24-27
    const __m256i q3 = _mm256_unpackhi_epi16(p01_hi, p23_hi);  // 12-15 | 28-31
    const __m256i out[4] = {
        _mm256_permute2x128_si256(q0, q1, 0x20), _mm256_permute2x128_si256(q2, q3, 0x20),
        _mm256_permute2x128_si256(q0, q1, 0x31), _mm256_permute2x128_si256(q2, q3, 0x31)};
    for (int v = 0; v < 4; ++v) {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(d + 4 * g * kNR + 32 * v), out[v]);
      colsum[v] = _mm256_dpbusd_epi32(colsum[v], ones, out[v]);
    }
  }
  if (!kOffsets) return;
  // |colsum| <= 128 * kc: the product fits int32 for any kc below 2^17; vector integer
  // arithmetic wraps all the same, as the microkernel's sums do.
  for (int v = 0; v < 4; ++v) {
    const __m256i offsets =
        _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(colsum[v], 7));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(d + 4 * groups * kNR + 32 * v), offsets);
  }
}

#else  // AVX-VNNI
// As above, for NR = 16: a panel row of B is one 128-bit vector, interleaved into
// quads (columns 0-3, 4-7, 8-11, 12-15) with no lane crossing.
template <int kStep, bool kOffsets>
void pack_b_quads(const void* src, int64_t ldb, int64_t kc, int64_t cols, void* dst) {
  static_assert(kNR == 16 && kStep == 4, "a B panel row is one 128-bit vector");
  const int8_t* b = static_cast<const int8_t*>(src);
  int8_t* d = static_cast<int8_t*>(dst);
  const int64_t groups = (kc + 3) / 4;
  const __m128i ones = _mm_set1_epi8(1);
  __m128i colsum[4] = {_mm_setzero_si128(), _mm_setzero_si128(), _mm_setzero_si128(),
                       _mm_setzero_si128()};
  const auto row = [&](int64_t p) {
    if (p >= kc) return _mm_setzero_si128();
    if (cols == 16) return _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + p * ldb));
    alignas(16) int8_t bytes[16] = {};
    __builtin_memcpy(bytes, b + p * ldb, static_cast<unsigned long>(cols));
    return _mm_load_si128(reinterpret_cast<const __m128i*>(bytes));
  };
  for (int64_t g = 0; g < groups; ++g) {
    const __m128i r0 = row(4 * g), r1 = row(4 * g + 1), r2 = row(4 * g + 2), r3 = row(4 * g + 3);
    const __m128i p01_lo = _mm_unpacklo_epi8(r0, r1), p01_hi = _mm_unpackhi_epi8(r0, r1);
    const __m128i p23_lo = _mm_unpacklo_epi8(r2, r3), p23_hi = _mm_unpackhi_epi8(r2, r3);
    const __m128i out[4] = {_mm_unpacklo_epi16(p01_lo, p23_lo), _mm_unpackhi_epi16(p01_lo, p23_lo),
                            _mm_unpacklo_epi16(p01_hi, p23_hi), _mm_unpackhi_epi16(p01_hi, p23_hi)};
    for (int v = 0; v < 4; ++v) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(d + 4 * g * kNR + 16 * v), out[v]);
      colsum[v] = _mm_dpbusd_avx_epi32(colsum[v], ones, out[v]);
    }
  }
  if (!kOffsets) return;
  for (int v = 0; v < 4; ++v) {  // -128 * colsum, wrapping as above
    const __m128i offsets = _mm_sub_epi32(_mm_setzero_si128(), _mm_slli_epi32(colsum[v], 7));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(d + 4 * groups * kNR + 16 * v), offsets);
  }
}
#endif

struct DotU8S8 {
  static I32 apply(I32 acc, I32 a, I32 b) { return simd::dot_u8s8(acc, a, b); }
};
constexpr IgemmOps kS8{.mr = kS8MR,
                       .nr = kNR,
                       .k_group = 4,
                       .k_step = 4,
                       .b_offsets = true,
                       .pack_a = pack_a_quads<true>,
                       .pack_a_unsigned = pack_a_quads<false>,
                       .pack_b = pack_b_quads<4, true>,
                       .microkernel = microkernel<DotU8S8, 4, true, kS8MR>};
#else
constexpr IgemmOps kS8{.mr = kS8MR,
                       .nr = kNR,
                       .k_group = 2,
                       .k_step = 2,
                       .pack_a = pack_a_pairs<int8_t, kS8MR>,
                       .pack_a_unsigned = pack_a_pairs<uint8_t, kS8MR, -128>,
                       .pack_b = pack_b_pairs<int8_t>,
                       .microkernel = microkernel<DotS16, 2, false, kS8MR>};
#endif

#if defined(__AMX_INT8__)
// ---- int8 on AMX tiles (avx512 path, AMX-TILE and AMX-INT8) ---------------------------
// A 32 x 32 block of C in four 16 x 16 int32 tiles (0-3), two A tiles of 16 rows x 64 k
// values (4, 5) and two B tiles of 16 k quads x 16 columns (6, 7): each tdpbssd
// multiplies signed bytes by signed bytes, 16 x 16 x 64, wrapping int32 sums as the
// vector kernels' do. The panels, per 64 k values (a tile step, zero-padded):
//   A: 32 rows of 64 bytes (2 KiB), the tiles at 0 and 1 KiB, 64 bytes per row;
//   B: 16 quads of the vector path's layout (quad g, column j at 4 * (32 g + j)), the
//      tiles at 0 and 64 bytes, 128 bytes per row: B is packed as the VNNI path packs
//      it, padded to 64 k values, without the column sums (no unsigned A here).
namespace amx {

constexpr int kRows = 32, kCols = 32, kStep = 64;
constexpr int64_t kTileStep = int64_t{kRows} * kStep;  // bytes of one panel step (A or B)

void begin_thread() { _tile_loadconfig(&kAmxTiles16x64); }
void end_thread() { _tile_release(); }

// kFlip: uint8 A, stored as the int8 A - 128 (its top bit flipped).
template <bool kFlip>
void pack_a(const void* src, int64_t lda, int64_t rows, int64_t kc, void* dst) {
  const int8_t* a = static_cast<const int8_t*>(src);
  uint8_t* d = static_cast<uint8_t*>(dst);
  const __m512i flip = _mm512_set1_epi8(kFlip ? static_cast<char>(0x80) : 0);
  for (int64_t p = 0; p < kc; p += kStep) {
    const int64_t bytes = kc - p < kStep ? kc - p : kStep;
    const __mmask64 mask = bytes == 64 ? ~__mmask64{0} : (__mmask64{1} << bytes) - 1;
    for (int64_t i = 0; i < kRows; ++i) {
      const __m512i row =
          i < rows ? _mm512_maskz_loadu_epi8(mask, a + i * lda + p) : _mm512_setzero_si512();
      _mm512_storeu_si512(d + p / kStep * kTileStep + i * kStep, _mm512_xor_si512(row, flip));
    }
  }
}

// The four tiles of C, stored where store_tile can finish them, or, for a full block
// whose int32 sums are all the store writes, loaded from and stored to C directly.
void microkernel(int64_t kc, const void* a, const void* b, void* c, int64_t ldc, int64_t mr,
                 int64_t nr, const IgemmStore& store) {
  const uint8_t* ap = static_cast<const uint8_t*>(a);
  const uint8_t* bp = static_cast<const uint8_t*>(b);
  const int64_t steps = (kc + kStep - 1) / kStep;
  const bool full = mr == kRows && nr == kCols;
  int32_t* const out = static_cast<int32_t*>(c);
  const int64_t out_stride = ldc * 4;
  // Earlier k blocks' sums of a full block start the tiles; a partial block's are added
  // by store_tile, which reads only the block's own rows and columns.
  IgemmStore rest = store;
  if (store.accumulate && full) {
    _tile_loadd(0, out, out_stride);
    _tile_loadd(1, out + 16, out_stride);
    _tile_loadd(2, out + 16 * ldc, out_stride);
    _tile_loadd(3, out + 16 * ldc + 16, out_stride);
    rest.accumulate = false;
  } else {
    _tile_zero(0);
    _tile_zero(1);
    _tile_zero(2);
    _tile_zero(3);
  }
  for (int64_t s = 0; s < steps; ++s) {
    const uint8_t* as = ap + s * kTileStep;
    const uint8_t* bs = bp + s * kTileStep;
    _tile_loadd(4, as, kStep);
    _tile_loadd(6, bs, 4 * kCols);
    _tile_dpbssd(0, 4, 6);
    _tile_loadd(7, bs + 64, 4 * kCols);
    _tile_dpbssd(1, 4, 7);
    _tile_loadd(5, as + 16 * kStep, kStep);
    _tile_dpbssd(2, 5, 6);
    _tile_dpbssd(3, 5, 7);
  }
  if (!store.finish && full) {
    _tile_stored(0, out, out_stride);
    _tile_stored(1, out + 16, out_stride);
    _tile_stored(2, out + 16 * ldc, out_stride);
    _tile_stored(3, out + 16 * ldc + 16, out_stride);
    return;
  }
  alignas(64) int32_t sums[kRows * kCols];
  _tile_stored(0, sums, 4 * kCols);
  _tile_stored(1, sums + 16, 4 * kCols);
  _tile_stored(2, sums + 16 * kCols, 4 * kCols);
  _tile_stored(3, sums + 16 * kCols + 16, 4 * kCols);
  store_tile<kRows, kCols / kLanes>(
      [&](int i, int v) { return simd::load_i32(sums + i * kCols + v * kLanes); }, c, ldc, mr, nr,
      rest);
}

}  // namespace amx
constexpr IgemmOps kS8Amx{.mr = amx::kRows,
                          .nr = amx::kCols,
                          .k_group = 4,
                          .k_step = amx::kStep,
                          .b_block_in_l2 = true,
                          .pack_a = amx::pack_a<false>,
                          .pack_a_unsigned = amx::pack_a<true>,
                          .pack_b = pack_b_quads<amx::kStep, false>,
                          .microkernel = amx::microkernel,
                          .begin_thread = amx::begin_thread,
                          .end_thread = amx::end_thread};
#else
constexpr IgemmOps kS8Amx{};  // no AMX on this path
#endif

}  // namespace

const IgemmKernels igemm = {
    kS8,
    {.mr = kS16MR,
     .nr = kNR,
     .k_group = 2,
     .k_step = 2,
     .pack_a = pack_a_pairs<int16_t, kS16MR>,
     .pack_b = pack_b_pairs<int16_t>,
     .microkernel = microkernel<DotS16, 2, false, kS16MR>},
    kS8Amx,
};

}  // namespace TANDEM_ISA_NAMESPACE
