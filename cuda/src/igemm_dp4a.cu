// The int8 GEMM with int32 accumulation that wraps modulo 2^32 like the reference.
//
// int8 ("cuda.dp4a"): the structure of the register-blocked SGEMM (sgemm_tiled.cu)
// on packed bytes. K is walked in slices of BK = 32 bytes, i.e. 8 "quads" of 4
// consecutive k; shared memory holds
//   as[quad][m]: the 4 bytes A(m, 4 quad .. 4 quad + 3), one int (char4), and
//   bs[quad][n]: the 4 bytes B(4 quad .. 4 quad + 3, n), one int,
// so that one __dp4a multiplies and sums a quad of one row of A with a quad of one
// column of B. A rows are loaded 16 bytes at a time (int4, when lda % 16 == 0, the
// base is 16-byte aligned and the group lies inside the matrix); B is loaded as
// 4 x 4 byte blocks, one int from each of 4 rows (when ldb % 4 == 0 and the base is
// 4-byte aligned), transposed in registers with __byte_perm into 4 column quads and
// stored as one int4. Everything else, edges included, is loaded byte by byte with
// zero fill, which also pads K to a multiple of 4. Rows of both shared tiles are
// padded by 4 ints (conflict-free transposing stores of A, aligned int4 reads), the
// slices are double-buffered through registers, and each thread accumulates 8 x 8 (or
// 4 x 4) outputs. __dp4a's int32 sum wraps, as the reference's does.
//
// The store is a template parameter (gemm_stores.cuh): int32 C, or C = float(acc) *
// scale for quantized_matmul.
#include <cuda_runtime.h>

#include <cstdint>

#include <tandem/cuda/kernels.h>
#include "gemm_common.h"
#include "gemm_stores.cuh"
#include "gemm_tiles.cuh"

namespace tandem::cuda::detail {
namespace {

// ---- int8: __dp4a --------------------------------------------------------------------
template <int BM_, int BN_, int BK_, int TM_, int TN_, int MIN_BLOCKS_>
struct Dp4aConfig {
  static constexpr int BM = BM_, BN = BN_, BK = BK_, TM = TM_, TN = TN_;
  static constexpr int MIN_BLOCKS = MIN_BLOCKS_;
  static constexpr int QUADS = BK / 4;  // k quads per slice
  static constexpr int THREADS_X = BN / TN;
  static constexpr int THREADS_Y = BM / TM;
  static constexpr int THREADS = THREADS_X * THREADS_Y;
  static constexpr int LDS_A = BM + 4;  // ints per row of as[quad][m]
  static constexpr int LDS_B = BN + 4;  // ints per row of bs[quad][n]
  static_assert(THREADS_X == 16 && THREADS_Y == 16, "the fragment layout assumes 16 x 16 threads");
  static_assert(TM % 4 == 0 && TN % 4 == 0 && BK % 16 == 0, "int4 groups");
};

using Dp4aLarge = Dp4aConfig<128, 128, 32, 8, 8, 2>;
using Dp4aSmall = Dp4aConfig<64, 64, 32, 4, 4, 2>;

struct Dp4aParams {
  std::int64_t m, n, k;
  const std::int8_t* a;
  std::int64_t lda;
  const std::int8_t* b;
  std::int64_t ldb;
  std::int64_t tiles_m, tiles_n;
  bool vec_a;  // lda % 16 == 0, 16-byte aligned: int4 loads of 16 k
  bool vec_b;  // ldb % 4 == 0, 4-byte aligned: int loads of 4 n
};

// One byte, as the bits 0..7 of an unsigned.
__device__ __forceinline__ unsigned byte_at(const std::int8_t* p) {
  return static_cast<unsigned>(static_cast<unsigned char>(*p));
}

// A slice (BM rows of A by BK k) in groups of 16 consecutive k of one row. Each thread
// keeps a pointer to its first group in the current slice and advances it per slice.
template <int BM, int BK, int THREADS, int LDS>
struct Dp4aLoaderA {
  static constexpr int GROUPS_PER_ROW = BK / 16;
  static constexpr int GROUPS = BM * GROUPS_PER_ROW;
  static constexpr int PER_THREAD = (GROUPS + THREADS - 1) / THREADS;
  static constexpr int ROWS_PER_PASS = THREADS / GROUPS_PER_ROW;
  static_assert(THREADS % GROUPS_PER_ROW == 0, "a thread's groups share one column");

  const std::int8_t* ptr;  // past the matrix for idle groups, then never dereferenced
  std::int64_t lda;
  int rows_left;  // rows of A from the tile's first, capped at BM
  int w[PER_THREAD][4];

  __device__ __forceinline__ Dp4aLoaderA(const Dp4aParams& p, std::int64_t m0, int tid)
      : lda(p.lda) {
    ptr = p.a + (m0 + tid / GROUPS_PER_ROW) * lda + tid % GROUPS_PER_ROW * 16;
    rows_left = static_cast<int>(min(p.m - m0, static_cast<std::int64_t>(BM)));
  }

  // The current slice, whose first k_left (<= BK) k exist; then moves to the next.
  __device__ __forceinline__ void load(int k_left, bool vec, int tid) {
#pragma unroll
    for (int t = 0; t < PER_THREAD; ++t) {
      const int g = tid + t * THREADS;
      if (GROUPS % THREADS != 0 && g >= GROUPS) break;
      const bool row_ok = g / GROUPS_PER_ROW < rows_left;
      const int cols_left = k_left - g % GROUPS_PER_ROW * 16;
      const std::int8_t* src = ptr + t * ROWS_PER_PASS * lda;
      if (row_ok && vec && cols_left >= 16) {
        const int4 v = __ldg(reinterpret_cast<const int4*>(src));
        w[t][0] = v.x;
        w[t][1] = v.y;
        w[t][2] = v.z;
        w[t][3] = v.w;
      } else {
#pragma unroll
        for (int q = 0; q < 4; ++q) {
          unsigned word = 0;
#pragma unroll
          for (int i = 0; i < 4; ++i) {
            if (row_ok && q * 4 + i < cols_left) word |= byte_at(src + q * 4 + i) << (8 * i);
          }
          w[t][q] = static_cast<int>(word);
        }
      }
    }
    ptr += BK;
  }

  // Into s[quad][m] (row stride LDS).
  __device__ __forceinline__ void store(int* s, int tid) const {
#pragma unroll
    for (int t = 0; t < PER_THREAD; ++t) {
      const int g = tid + t * THREADS;
      if (GROUPS % THREADS != 0 && g >= GROUPS) break;
      const int r = g / GROUPS_PER_ROW;
      const int quad = g % GROUPS_PER_ROW * 4;
#pragma unroll
      for (int q = 0; q < 4; ++q) s[(quad + q) * LDS + r] = w[t][q];
    }
  }
};

// A slice (BK k by BN columns of B) in blocks of 4 k x 4 columns.
template <int BN, int BK, int THREADS, int LDS>
struct Dp4aLoaderB {
  static constexpr int BLOCKS_PER_ROW = BN / 4;
  static constexpr int BLOCKS = BK / 4 * BLOCKS_PER_ROW;
  static constexpr int PER_THREAD = (BLOCKS + THREADS - 1) / THREADS;
  static constexpr int QUADS_PER_PASS = THREADS / BLOCKS_PER_ROW;
  static_assert(THREADS % BLOCKS_PER_ROW == 0, "a thread's blocks share one column");

  const std::int8_t* ptr;  // row 0 of this thread's first block in the current slice
  std::int64_t ldb;
  int cols_left;         // columns of B from the block's first, may be <= 0
  int w[PER_THREAD][4];  // after load: the 4 column quads

  __device__ __forceinline__ Dp4aLoaderB(const Dp4aParams& p, std::int64_t n0, int tid)
      : ldb(p.ldb) {
    const int c = tid % BLOCKS_PER_ROW * 4;
    ptr = p.b + tid / BLOCKS_PER_ROW * 4 * ldb + n0 + c;
    cols_left = static_cast<int>(min(p.n - n0, static_cast<std::int64_t>(BN))) - c;
  }

  __device__ __forceinline__ void load(int k_left, bool vec, int tid) {
#pragma unroll
    for (int t = 0; t < PER_THREAD; ++t) {
      const int g = tid + t * THREADS;
      if (BLOCKS % THREADS != 0 && g >= BLOCKS) break;
      const int k_first = g / BLOCKS_PER_ROW * 4;  // within the slice
      const std::int8_t* src = ptr + t * QUADS_PER_PASS * 4 * ldb;
      unsigned r[4];  // row i of the block: bytes B(k_first + i, col .. col + 3)
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        r[i] = 0;
        if (k_first + i < k_left) {
          const std::int8_t* row = src + i * ldb;
          if (vec && cols_left >= 4) {
            r[i] = static_cast<unsigned>(__ldg(reinterpret_cast<const int*>(row)));
          } else {
#pragma unroll
            for (int e = 0; e < 4; ++e) {
              if (e < cols_left) r[i] |= byte_at(row + e) << (8 * e);
            }
          }
        }
      }
      // Transpose the 4 x 4 bytes: column e = (r0.e, r1.e, r2.e, r3.e).
      const unsigned lo01 = __byte_perm(r[0], r[1], 0x5140);  // r0.0 r1.0 r0.1 r1.1
      const unsigned hi01 = __byte_perm(r[0], r[1], 0x7362);  // r0.2 r1.2 r0.3 r1.3
      const unsigned lo23 = __byte_perm(r[2], r[3], 0x5140);
      const unsigned hi23 = __byte_perm(r[2], r[3], 0x7362);
      w[t][0] = static_cast<int>(__byte_perm(lo01, lo23, 0x5410));
      w[t][1] = static_cast<int>(__byte_perm(lo01, lo23, 0x7632));
      w[t][2] = static_cast<int>(__byte_perm(hi01, hi23, 0x5410));
      w[t][3] = static_cast<int>(__byte_perm(hi01, hi23, 0x7632));
    }
    ptr += BK * ldb;
  }

  // Into s[quad][n] (row stride LDS).
  __device__ __forceinline__ void store(int* s, int tid) const {
#pragma unroll
    for (int t = 0; t < PER_THREAD; ++t) {
      const int g = tid + t * THREADS;
      if (BLOCKS % THREADS != 0 && g >= BLOCKS) break;
      const int quad = g / BLOCKS_PER_ROW;
      const int c = g % BLOCKS_PER_ROW * 4;
      *reinterpret_cast<int4*>(s + quad * LDS + c) = make_int4(w[t][0], w[t][1], w[t][2], w[t][3]);
    }
  }
};

template <class Cfg, class Store>
__global__ void __launch_bounds__(Cfg::THREADS, Cfg::MIN_BLOCKS)
    gemm_s8_dp4a_kernel(Dp4aParams p, Store store) {
  constexpr int BM = Cfg::BM, BN = Cfg::BN, BK = Cfg::BK, TM = Cfg::TM, TN = Cfg::TN;
  constexpr int TX = Cfg::THREADS_X, TY = Cfg::THREADS_Y;
  __shared__ __align__(16) int as[2][Cfg::QUADS * Cfg::LDS_A];
  __shared__ __align__(16) int bs[2][Cfg::QUADS * Cfg::LDS_B];

  std::int64_t tm = 0, tn = 0;
  tile_of(blockIdx.x, p.tiles_m, p.tiles_n, tm, tn);
  const std::int64_t m0 = tm * BM;
  const std::int64_t n0 = tn * BN;
  const int tid = static_cast<int>(threadIdx.x);
  const int tx = tid % TX, ty = tid / TX;

  Dp4aLoaderA<BM, BK, Cfg::THREADS, Cfg::LDS_A> load_a(p, m0, tid);
  Dp4aLoaderB<BN, BK, Cfg::THREADS, Cfg::LDS_B> load_b(p, n0, tid);

  int acc[TM][TN];
#pragma unroll
  for (int i = 0; i < TM; ++i) {
#pragma unroll
    for (int j = 0; j < TN; ++j) acc[i][j] = 0;
  }

  // K in slices of BK: k_rest is the number of k from the slice being loaded on,
  // possibly <= 0 past the end, where the loaders fill zeros.
  const auto k_left = [](std::int64_t k_rest) {
    return static_cast<int>(max(min(k_rest, static_cast<std::int64_t>(BK)), std::int64_t{0}));
  };
  const std::int64_t slices = (p.k + BK - 1) / BK;
  load_a.load(k_left(p.k), p.vec_a, tid);
  load_b.load(k_left(p.k), p.vec_b, tid);
  load_a.store(as[0], tid);
  load_b.store(bs[0], tid);
  __syncthreads();

  std::int64_t k_rest = p.k - BK;
  for (std::int64_t s = 0; s < slices; ++s, k_rest -= BK) {
    const int cur = static_cast<int>(s & 1);
    // The next slice, in flight while this one is multiplied (zeros after the last).
    load_a.load(k_left(k_rest), p.vec_a, tid);
    load_b.load(k_left(k_rest), p.vec_b, tid);
    const int* sa = as[cur];
    const int* sb = bs[cur];
#pragma unroll
    for (int q = 0; q < Cfg::QUADS; ++q) {
      int fa[TM], fb[TN];
      load_fragments<TM, TN, TX, TY, int4>(sa + q * Cfg::LDS_A, sb + q * Cfg::LDS_B, tx, ty, fa,
                                           fb);
      outer_product(fa, fb, acc, [](int x, int y, int z) { return __dp4a(x, y, z); });
    }
    // Buffer cur ^ 1 was released by the previous slice's barrier. (After the last
    // slice this stores zeros nobody reads.)
    load_a.store(as[cur ^ 1], tid);
    load_b.store(bs[cur ^ 1], tid);
    __syncthreads();
  }

  for_each_output_quad<TM, TN, TX, TY>(m0, n0, tx, ty, p.m, p.n,
                                       [&](int i, int j4, std::int64_t row, std::int64_t col) {
                                         const int v[4] = {acc[i][j4 * 4 + 0], acc[i][j4 * 4 + 1],
                                                           acc[i][j4 * 4 + 2], acc[i][j4 * 4 + 3]};
                                         store.four(row, col, p.n, v);
                                       });
}

template <class Cfg, class Store>
void launch_dp4a(const Dp4aParams& params, const Store& store, cudaStream_t stream) {
  Dp4aParams p = params;
  p.tiles_m = (p.m + Cfg::BM - 1) / Cfg::BM;
  p.tiles_n = (p.n + Cfg::BN - 1) / Cfg::BN;
  const unsigned blocks = grid_blocks("gemm_s8s8s32", p.tiles_m, p.tiles_n);
  TANDEM_CUDA_CHECK_BEFORE_LAUNCH("gemm_s8_dp4a_kernel");
  gemm_s8_dp4a_kernel<Cfg, Store><<<blocks, Cfg::THREADS, 0, stream>>>(p, store);
  TANDEM_CUDA_CHECK_LAUNCH("gemm_s8_dp4a_kernel");
}

template <class Store>
void gemm_s8(std::int64_t m, std::int64_t n, std::int64_t k, const std::int8_t* a, std::int64_t lda,
             const std::int8_t* b, std::int64_t ldb, const Store& store, cudaStream_t stream) {
  Dp4aParams p{};
  p.m = m;
  p.n = n;
  p.k = k;
  p.a = a;
  p.lda = lda;
  p.b = b;
  p.ldb = ldb;
  p.vec_a = lda % 16 == 0 && is_aligned(a, 16);
  p.vec_b = ldb % 4 == 0 && is_aligned(b, 4);
  // The large tile when it fills at least one wave of SMs (tiles_m * tiles_n >= SMs).
  const std::int64_t tiles_m = (m + Dp4aLarge::BM - 1) / Dp4aLarge::BM;
  const std::int64_t tiles_n = (n + Dp4aLarge::BN - 1) / Dp4aLarge::BN;
  if (tiles_m >= (sm_count() + tiles_n - 1) / tiles_n) {
    launch_dp4a<Dp4aLarge>(p, store, stream);
  } else {
    launch_dp4a<Dp4aSmall>(p, store, stream);
  }
}

}  // namespace

void gemm_s8s8_dequantize(std::int64_t m, std::int64_t n, std::int64_t k, const std::int8_t* a,
                          std::int64_t lda, const std::int8_t* b, std::int64_t ldb, float scale,
                          float* c, std::int64_t ldc, cudaStream_t stream) {
  const StoreDequantized store{c, ldc, scale, ldc % 4 == 0 && is_aligned(c, 16)};
  gemm_s8(m, n, k, a, lda, b, ldb, store, stream);
}

}  // namespace tandem::cuda::detail

namespace tandem::cuda {

void gemm_s8s8s32(std::int64_t m, std::int64_t n, std::int64_t k, const std::int8_t* a,
                  std::int64_t lda, const std::int8_t* b, std::int64_t ldb, std::int32_t* c,
                  std::int64_t ldc, const Stream& stream) {
  detail::check_gemm_args("gemm_s8s8s32", m, n, k, k, lda, n, ldb, ldc);
  if (m == 0 || n == 0) return;
  const detail::DeviceScope scope(stream.device());
  const detail::StoreInt32 store{c, ldc, ldc % 4 == 0 && detail::is_aligned(c, 16)};
  detail::gemm_s8(m, n, k, a, lda, b, ldb, store, detail::native(stream));
}

void quantized_linear_s8(std::int64_t m, std::int64_t n, std::int64_t k, const std::int8_t* x,
                         std::int64_t lda, const std::int8_t* w, std::int64_t ldw,
                         const QuantizedLayerStore& e, void* y, std::int64_t ldy,
                         const Stream& stream) {
  detail::check_gemm_args("quantized_linear_s8", m, n, k, k, lda, n, ldw, ldy);
  if (m == 0 || n == 0) return;
  const detail::DeviceScope scope(stream.device());
  const bool float_y = !(e.inverse_out_scale > 0.0f);
  const detail::StoreQuantizedLayer store{y, ldy, e,
                                          float_y && ldy % 4 == 0 && detail::is_aligned(y, 16)};
  detail::gemm_s8(m, n, k, x, lda, w, ldw, store, detail::native(stream));
}

}  // namespace tandem::cuda
