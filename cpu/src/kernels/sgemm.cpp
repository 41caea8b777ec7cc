// The SGEMM microkernel: an MR x NR block of C held in MR * NV vector registers
// (NR = NV * lanes), updated once per k by one broadcast of A per row and NV loads
// of B; and the packing of its panels. Written once over simd::F32; the tile per path
// is data below.
#include <array>
#include <cstddef>
#include <utility>

#include "pack.h"
#include "simd.h"
#include "tables.h"

namespace TANDEM_ISA_NAMESPACE {
namespace {

using simd::F32;
using simd::kLanes;

// The tile per path, as data: MR rows by NV vectors of B (NR = NV x lanes). MR * NV
// accumulators + NV for B + 1 for the broadcast of A must fit in the register file
// (16 vector registers before AVX-512, 32 with it): avx512 12 x 32 (24 accumulators),
// avx2 6 x 16 and baseline 6 x 8 (12).
namespace tiles {
[[maybe_unused]] constexpr MicroTile avx512{12, 2}, avx2{6, 2}, baseline{6, 2};
}  // namespace tiles
constexpr int kMR = tiles::TANDEM_CPU_ISA.mr;
constexpr int kNV = tiles::TANDEM_CPU_ISA.nv;
constexpr int kNR = kNV * kLanes;
constexpr int64_t kPrefetchK = 8;

// Unrolling the loops that zero and store the tile keeps the accumulators in registers
// outside the k loop on avx512 (GCC otherwise kept them on the stack there, zeroed and
// reloaded for the store: a tenth of a 32^3 GEMM's time). With avx2's 16 registers the
// same unrolling made GCC spill an accumulator inside the k loop (1024^3 at half
// speed), so there the loops are left to GCC.
#if defined(__AVX512F__)
#define TANDEM_UNROLL_TILE _Pragma("GCC unroll 16")
#else
#define TANDEM_UNROLL_TILE
#endif

// C[0:kRows, 0:nr] = store(acc): alpha * acc (+ beta * C), then the epilogue's bias
// and activation when it has them, in registers, one row of vectors at a time.
template <int kRows>
inline void store_tile(const F32 (&acc)[static_cast<std::size_t>(kRows)][kNV], float* c,
                       int64_t ldc, const TileStore& store, int64_t nr) {
  const F32 alpha_v = simd::set1(store.alpha);
  const F32 beta_v = simd::set1(store.beta);
  const bool read_c = store.beta != 0.0f;
  const bool relu = store.activation == tandem::Activation::relu;
  F32 bias[kNV];
  TANDEM_UNROLL_TILE
  for (int v = 0; v < kNV; ++v) {
    const int64_t have = nr - v * kLanes;
    bias[v] = store.bias == nullptr || have <= 0 ? simd::zero()
              : have >= kLanes                   ? simd::load(store.bias + v * kLanes)
                               : simd::load_partial(store.bias + v * kLanes, have);
  }
  TANDEM_UNROLL_TILE
  for (int i = 0; i < kRows; ++i) {
    float* row = c + i * ldc;
    TANDEM_UNROLL_TILE
    for (int v = 0; v < kNV; ++v) {
      const int64_t col = v * kLanes;
      if (col >= nr) break;
      const int64_t width = nr - col < kLanes ? nr - col : kLanes;
      const bool full = width == kLanes;
      F32 result = simd::mul(alpha_v, acc[i][v]);
      if (read_c) {
        const F32 old = full ? simd::load(row + col) : simd::load_partial(row + col, width);
        result = simd::fmadd(beta_v, old, result);
      }
      if (store.bias != nullptr) result = simd::add(result, bias[v]);
      if (relu) result = simd::relu(result);
      if (full) {
        simd::store(row + col, result);
      } else {
        simd::store_partial(row + col, result, width);
      }
    }
  }
}

// C[0:kRows, 0:nr] for kRows live rows: the FMAs of the zero-padded rows are skipped
// (m = 1 pays for one row, not MR). Each operand is a packed panel (A a[p * MR + i],
// B b[p * NR + j]) or, with kAInPlace / kBInPlace, read as the caller stores it (A
// a[i * lda + p], B b[p * ldb + j], B's columns from nr on never read).
template <int kRows, bool kAInPlace, bool kBInPlace>
void microkernel_rows(int64_t kc, const float* a, int64_t lda, const float* b, int64_t ldb,
                      float* c, int64_t ldc, const TileStore& store, int64_t nr) {
  // C is touched only after the k loop: start its lines on their way now, so the
  // microkernel does not stall on them at the end (C is usually far out of cache).
  for (int64_t i = 0; i < kRows; ++i) {
    __builtin_prefetch(c + i * ldc, 1, 3);
    __builtin_prefetch(c + i * ldc + nr - 1, 1, 3);
  }
  // On avx512 the loops that zero and store the tile are unrolled (TANDEM_UNROLL_TILE)
  // so that acc lives in registers from start to store.
  F32 acc[static_cast<std::size_t>(kRows)][kNV];
  TANDEM_UNROLL_TILE
  for (int i = 0; i < kRows; ++i) {
    TANDEM_UNROLL_TILE
    for (int v = 0; v < kNV; ++v) acc[i][v] = simd::zero();
  }
  const auto update = [&](int64_t p, const F32(&bv)[kNV]) {
    for (int i = 0; i < kRows; ++i) {
      const F32 av = simd::set1(kAInPlace ? a[i * lda + p] : a[p * kMR + i]);
      for (int v = 0; v < kNV; ++v) acc[i][v] = simd::fmadd(av, bv[v], acc[i][v]);
    }
  };
  if (!kBInPlace || nr == kNR) {
    const int64_t b_step = kBInPlace ? ldb : kNR;
    for (int64_t p = 0; p < kc; ++p) {
      if constexpr (!kBInPlace) __builtin_prefetch(b + (p + kPrefetchK) * kNR, 0, 3);
      if constexpr (!kAInPlace) __builtin_prefetch(a + (p + kPrefetchK) * kMR, 0, 3);
      F32 bv[kNV];
      for (int v = 0; v < kNV; ++v) bv[v] = simd::load(b + p * b_step + v * kLanes);
      update(p, bv);
    }
  } else {  // B's last columns, in place: partial loads
    for (int64_t p = 0; p < kc; ++p) {
      F32 bv[kNV];
      for (int v = 0; v < kNV; ++v) {
        const int64_t have = nr - v * kLanes;
        bv[v] = have >= kLanes ? simd::load(b + p * ldb + v * kLanes)
                : have > 0     ? simd::load_partial(b + p * ldb + v * kLanes, have)
                               : simd::zero();
      }
      update(p, bv);
    }
  }

  store_tile<kRows>(acc, c, ldc, store, nr);
}

// microkernel_rows<1..MR, kAInPlace, kBInPlace>, indexed by rows - 1.
using RowsKernel = void (*)(int64_t, const float*, int64_t, const float*, int64_t, float*, int64_t,
                            const TileStore&, int64_t);
template <bool kAInPlace, bool kBInPlace, int... kRows>
constexpr auto rows_kernels(std::integer_sequence<int, kRows...>) {
  return std::array<RowsKernel, sizeof...(kRows)>{
      microkernel_rows<kRows + 1, kAInPlace, kBInPlace>...};
}
constexpr auto kRowCounts = std::make_integer_sequence<int, kMR>{};
constexpr auto kPackedByRows = rows_kernels<false, false>(kRowCounts);
constexpr auto kAInPlaceByRows = rows_kernels<true, false>(kRowCounts);
constexpr auto kUnpackedByRows = rows_kernels<true, true>(kRowCounts);

void microkernel(int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                 const TileStore& store, int64_t mr, int64_t nr) {
  kPackedByRows[static_cast<std::size_t>(mr - 1)](kc, a, kMR, b, kNR, c, ldc, store, nr);
}

void microkernel_a_in_place(int64_t kc, const float* a, int64_t lda, const float* b, float* c,
                            int64_t ldc, const TileStore& store, int64_t mr, int64_t nr) {
  kAInPlaceByRows[static_cast<std::size_t>(mr - 1)](kc, a, lda, b, kNR, c, ldc, store, nr);
}

void microkernel_unpacked(int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb,
                          float* c, int64_t ldc, const TileStore& store, int64_t mr, int64_t nr) {
  kUnpackedByRows[static_cast<std::size_t>(mr - 1)](k, a, lda, b, ldb, c, ldc, store, nr);
}

// dst[p * width + i] = x[i * row_stride + p * k_stride] for i < rows, 0 for
// rows <= i < width. One of the strides is 1: either each k's `rows` values are
// contiguous (a copy, in vectors) or each row's kc values are (a transpose).
void pack_panel(const float* x, int64_t row_stride, int64_t k_stride, int64_t rows, int64_t kc,
                int64_t width, float* dst) {
  if (row_stride == 1) {
    for (int64_t p = 0; p < kc; ++p) {
      const float* src = x + p * k_stride;
      float* out = dst + p * width;
      for (int64_t i = 0; i < width; i += kLanes) {
        const int64_t have = rows - i < kLanes ? rows - i : kLanes;
        const F32 v = have >= kLanes ? simd::load(src + i)
                      : have > 0     ? simd::load_partial(src + i, have)
                                     : simd::zero();
        if (width - i >= kLanes) {
          simd::store(out + i, v);
        } else {
          simd::store_partial(out + i, v, width - i);
        }
      }
    }
    return;
  }
  transpose_pack(x, row_stride, rows, kc, width, dst);
}

// B[0:kc, 0:cols] as NR-column panels, a few rows at a time: the rows are read in order
// (a handful of streams the prefetchers follow, where a panel at a time reads 128 bytes
// of every row per pass), and each panel gets a contiguous run of rows (where one row
// at a time writes to every panel at once, kc * NR * 4 bytes apart: for kc = 64, all in
// one L1 set).
void pack_rows_as_panels(const float* b, int64_t ldb, int64_t kc, int64_t cols, float* dst) {
  constexpr int64_t kRowsAtOnce = 8;
  for (int64_t p0 = 0; p0 < kc; p0 += kRowsAtOnce) {
    const int64_t p_end = p0 + kRowsAtOnce < kc ? p0 + kRowsAtOnce : kc;
    for (int64_t j0 = 0; j0 < cols; j0 += kNR) {
      float* panel = dst + j0 * kc;
      for (int64_t p = p0; p < p_end; ++p) {
        const float* row = b + p * ldb + j0;
        for (int v = 0; v < kNV; ++v) {
          const int64_t have = cols - j0 - v * kLanes;
          const F32 x = have >= kLanes ? simd::load(row + v * kLanes)
                        : have > 0     ? simd::load_partial(row + v * kLanes, have)
                                       : simd::zero();
          simd::store(panel + p * kNR + v * kLanes, x);
        }
      }
    }
  }
}

// ---- Matrix-vector products (m == 1 or n == 1): no packing, each element read once ----

// One output of the matrix-vector kernels: sum as store says, bias `index` outputs on.
inline float store_one(float sum, float* out, const TileStore& store, int64_t index) {
  float result = store.alpha * sum;
  if (store.beta != 0.0f) result += store.beta * *out;
  if (store.bias != nullptr) result += store.bias[index * store.bias_stride];
  return tandem::activate(store.activation, result);
}

// y[i * incy] = store(x[i * ldx + 0..k) . v) for i < rows; beta == 0 never reads y.
// Four rows at a time, each in its own vector accumulator.
void dot_rows(const float* x, int64_t ldx, int64_t rows, int64_t k, const float* v,
              const TileStore& store, float* y, int64_t incy) {
  constexpr int kRowsAtOnce = 4;
  for (int64_t i0 = 0; i0 < rows; i0 += kRowsAtOnce) {
    const int64_t count = rows - i0 < kRowsAtOnce ? rows - i0 : kRowsAtOnce;
    F32 acc[kRowsAtOnce] = {simd::zero(), simd::zero(), simd::zero(), simd::zero()};
    const float* row = x + i0 * ldx;
    int64_t p = 0;
    for (; p + kLanes <= k; p += kLanes) {
      const F32 vv = simd::load(v + p);
      for (int64_t r = 0; r < count; ++r) {
        acc[r] = simd::fmadd(simd::load(row + r * ldx + p), vv, acc[r]);
      }
    }
    if (p < k) {
      const F32 vv = simd::load_partial(v + p, k - p);
      for (int64_t r = 0; r < count; ++r) {
        acc[r] = simd::fmadd(simd::load_partial(row + r * ldx + p, k - p), vv, acc[r]);
      }
    }
    alignas(64) float lanes[kRowsAtOnce][kLanes];
    for (int r = 0; r < kRowsAtOnce; ++r) simd::store(lanes[r], acc[r]);
    for (int64_t r = 0; r < count; ++r) {
      float* out = y + (i0 + r) * incy;
      float dot = 0.0f;
      for (int l = 0; l < kLanes; ++l) dot += lanes[r][l];
      *out = store_one(dot, out, store, i0 + r);
    }
  }
}

// y[j * incy] = store(sum_p v[p] * x[p * ldx + j]) for j < cols: kAxpyVectors vectors
// of columns at a time, held in registers across all of k.
void axpy_rows(const float* x, int64_t ldx, int64_t k, int64_t cols, const float* v,
               const TileStore& store, float* y, int64_t incy) {
  constexpr int kAxpyVectors = 4;
  constexpr int64_t kBlock = kAxpyVectors * kLanes;
  for (int64_t j0 = 0; j0 < cols; j0 += kBlock) {
    const int64_t width = cols - j0 < kBlock ? cols - j0 : kBlock;
    F32 acc[kAxpyVectors] = {simd::zero(), simd::zero(), simd::zero(), simd::zero()};
    for (int64_t p = 0; p < k; ++p) {
      const F32 vp = simd::set1(v[p]);
      const float* src = x + p * ldx + j0;
      for (int u = 0; u < kAxpyVectors; ++u) {
        const int64_t have = width - u * kLanes;
        if (have <= 0) break;
        const F32 xv = have >= kLanes ? simd::load(src + u * kLanes)
                                      : simd::load_partial(src + u * kLanes, have);
        acc[u] = simd::fmadd(vp, xv, acc[u]);
      }
    }
    alignas(64) float sums[kBlock];
    for (int u = 0; u < kAxpyVectors; ++u) simd::store(sums + u * kLanes, acc[u]);
    for (int64_t j = 0; j < width; ++j) {
      float* out = y + (j0 + j) * incy;
      *out = store_one(sums[j], out, store, j0 + j);
    }
  }
}

}  // namespace

const SgemmKernels sgemm = {kMR,
                            kNR,
                            microkernel,
                            microkernel_a_in_place,
                            microkernel_unpacked,
                            pack_panel,
                            pack_rows_as_panels,
                            dot_rows,
                            axpy_rows};

}  // namespace TANDEM_ISA_NAMESPACE
