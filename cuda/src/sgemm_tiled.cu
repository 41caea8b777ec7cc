// "cuda.tiled": register-blocked SGEMM.
//
// A block computes a BM x BN tile of C with THREADS = (BM / TM) * (BN / TN) threads,
// each owning TM x TN outputs in registers, walking K in BK-wide slices:
//   - shared memory holds op(A) transposed (as[k][m]) and op(B) as is (bs[k][n]), so
//     one k step reads a thread's TM values of A and TN values of B as float4s;
//   - a thread's outputs are 4 x 4 sub-blocks spread 4 * 16 apart (rows) and 4 * 16
//     apart (columns): the 16 column groups of a half-warp read 256 contiguous bytes
//     of bs (conflict-free), the two row groups of a warp read two float4s of as
//     (broadcast), and C is stored as coalesced float4 rows;
//   - global loads are float4 where the operand allows it (leading dimension a multiple
//     of 4, 16-byte aligned base, a whole group of 4 inside the matrix), scalar with
//     zero fill otherwise, into the same shared layout. Each operand is read along its
//     contiguous dimension: "k-contiguous" operands (A as stored, or B transposed) are
//     transposed on the way into shared memory; the others are copied as float4 rows;
//   - the rows of both shared tiles are padded by 4 floats, which keeps float4
//     alignment and makes the transposing stores conflict-free (the two k groups of a
//     warp land 16 banks apart);
//   - a STAGES-deep cp.async pipeline (sm_80+; the primitives of cuda_pipeline.h):
//     slices go from global straight into a ring of shared buffers, STAGES - 1 of them
//     in flight while one is multiplied; out-of-range elements are zero-filled by the
//     copy itself. One barrier per slice.
// The tile shape is chosen per problem from a table of configurations (Large, Small
// below): 128 x 128 when that gives at least one block per SM, 64 x 64 otherwise (small
// or skinny m or n); sgemm_tiled_config reports the choice and sgemm_tiled_with forces
// it, so that the tests run both. Blocks are numbered in groups of 8 tile rows, column
// by column (gemm_tiles.cuh), so that the blocks in flight share tiles of A and B in L2.
// The store (gemm_stores.cuh) applies alpha, beta and, in the EPILOGUE instantiation,
// the bias and activation to the registers as they are written.
#include <cuda_pipeline.h>
#include <cuda_runtime.h>

#include <cstdint>

#include <tandem/epilogue.h>
#include "gemm_common.h"
#include "gemm_stores.cuh"
#include "gemm_tiles.cuh"

namespace tandem::cuda::detail {
namespace {

template <int BM_, int BN_, int BK_, int TM_, int TN_, int STAGES_, int MIN_BLOCKS_>
struct TileConfig {
  static constexpr int BM = BM_, BN = BN_, BK = BK_, TM = TM_, TN = TN_;
  static constexpr int STAGES = STAGES_;          // shared buffers in the cp.async ring
  static constexpr int MIN_BLOCKS = MIN_BLOCKS_;  // per SM, for __launch_bounds__
  static constexpr int THREADS_X = BN / TN;
  static constexpr int THREADS_Y = BM / TM;
  static constexpr int THREADS = THREADS_X * THREADS_Y;
  static constexpr int PAD = 4;
  static constexpr int LDS_A = BM + PAD;  // row stride of as[k][m]
  static constexpr int LDS_B = BN + PAD;  // row stride of bs[k][n]
  static_assert(THREADS_X == 16 && THREADS_Y == 16, "the fragment layout assumes 16 x 16 threads");
  static_assert(TM % 4 == 0 && TN % 4 == 0 && BK % 4 == 0, "float4 groups");
  static_assert(STAGES >= 2, "a pipeline needs at least two buffers");
  static constexpr int SMEM_BYTES = STAGES * BK * (LDS_A + LDS_B) * 4;
  static_assert(SMEM_BYTES <= 48 * 1024, "static shared memory is limited to 48 KB");
};

// The table of tile shapes.
using Large = TileConfig<128, 128, 8, 8, 8, 4, 2>;  // 256 threads, 64 outputs, 33.8 KB
using Small = TileConfig<64, 64, 8, 4, 4, 4, 2>;    // 256 threads, 16 outputs, 17.4 KB

struct TiledParams {
  std::int64_t m, n, k;
  float alpha, beta;
  const float* a;
  std::int64_t lda;
  const float* b;
  std::int64_t ldb;
  float* c;
  std::int64_t ldc;
  std::int64_t tiles_m, tiles_n;
  bool vec_a, vec_b, vec_c;  // float4 global access allowed (ld % 4 == 0, 16-byte base)
  const float* bias;         // the epilogue (read by the EPILOGUE kernels only)
  Activation activation;
};

// One operand's slice: EXT (BM or BN) rows of op(X) by BK, copied by the block in
// groups of 4 consecutive elements along X's contiguous dimension into s[k][mn]
// (row stride LDS) with cp.async.
//   K_CONTIG: element (mn, q) of op(X) is x[mn * ld + q] (A as stored, B transposed);
//     a group is 4 k of one mn: four 4-byte copies, transposed on the way in;
//   otherwise it is x[q * ld + mn] (A transposed, B as stored): a group is 4 mn of one
//     k, one 16-byte copy when the operand allows it, else four 4-byte copies.
// Elements outside the matrix are zero-filled by the copy (source size 0), reading
// from the matrix's base instead so that no address outside it is formed. Each thread
// keeps a pointer to its first group in the next slice and advances it per slice.
template <int EXT, int BK, int THREADS, int LDS, bool K_CONTIG>
struct SliceLoader {
  static constexpr int GROUPS = EXT * BK / 4;
  static constexpr int PER_THREAD = (GROUPS + THREADS - 1) / THREADS;
  static constexpr int GROUPS_PER_ROW = K_CONTIG ? BK / 4 : EXT / 4;  // per stored row
  static constexpr int ROWS_PER_PASS = THREADS / GROUPS_PER_ROW;
  static_assert(THREADS % GROUPS_PER_ROW == 0, "a thread's groups share one column");

  const float* base;  // the matrix: the source of zero-filling copies
  const float* ptr;   // this thread's first group in the next slice
  std::int64_t ld;
  std::int64_t step;  // elements from one slice to the next
  int mn_left;        // rows of op(X) from the tile's first, capped at EXT

  __device__ __forceinline__ SliceLoader(const float* x, std::int64_t ld_, std::int64_t mn_total,
                                         std::int64_t mn0, int tid)
      : base(x), ld(ld_) {
    const int r = tid / GROUPS_PER_ROW;
    const int c4 = tid % GROUPS_PER_ROW * 4;
    // Pointers past the matrix are formed for idle groups but never dereferenced.
    ptr = K_CONTIG ? x + (mn0 + r) * ld + c4 : x + r * ld + mn0 + c4;
    step = K_CONTIG ? BK : BK * ld;
    mn_left = static_cast<int>(min(mn_total - mn0, static_cast<std::int64_t>(EXT)));
  }

  // One element: 4 bytes, or zeros when it does not exist.
  __device__ __forceinline__ void copy1(float* dst, const float* src, bool exists) const {
    __pipeline_memcpy_async(dst, exists ? src : base, 4, exists ? 0 : 4);
  }

  // Issues the copies of the next slice, whose first k_left (<= BK, maybe 0) k exist,
  // into s; then moves to the slice after it. The caller commits.
  __device__ __forceinline__ void issue(float* s, int k_left, bool vec, int tid) {
#pragma unroll
    for (int t = 0; t < PER_THREAD; ++t) {
      const int g = tid + t * THREADS;
      if (GROUPS % THREADS != 0 && g >= GROUPS) break;
      const int r = g / GROUPS_PER_ROW;
      const int c4 = g % GROUPS_PER_ROW * 4;
      // The group's stored row exists, and how many of its 4 columns do.
      const bool row_ok = K_CONTIG ? r < mn_left : r < k_left;
      const int cols_left = (K_CONTIG ? k_left : mn_left) - c4;
      const float* src = ptr + t * ROWS_PER_PASS * ld;
      if (K_CONTIG) {  // r is mn, c4 is k: transpose
#pragma unroll
        for (int i = 0; i < 4; ++i) copy1(s + (c4 + i) * LDS + r, src + i, row_ok && i < cols_left);
      } else if (row_ok && vec && cols_left >= 4) {  // r is k, c4 is mn
        __pipeline_memcpy_async(s + r * LDS + c4, src, 16);
      } else {
#pragma unroll
        for (int i = 0; i < 4; ++i) copy1(s + r * LDS + c4 + i, src + i, row_ok && i < cols_left);
      }
    }
    ptr += step;
  }
};

template <class Cfg, bool TRANS_A, bool TRANS_B, bool EPILOGUE>
__global__ void __launch_bounds__(Cfg::THREADS, Cfg::MIN_BLOCKS) sgemm_tiled_kernel(TiledParams p) {
  constexpr int BM = Cfg::BM, BN = Cfg::BN, BK = Cfg::BK, TM = Cfg::TM, TN = Cfg::TN;
  constexpr int TX = Cfg::THREADS_X, TY = Cfg::THREADS_Y;
  constexpr int STAGES = Cfg::STAGES;
  __shared__ __align__(16) float as[STAGES][BK * Cfg::LDS_A];
  __shared__ __align__(16) float bs[STAGES][BK * Cfg::LDS_B];

  std::int64_t tm = 0, tn = 0;
  tile_of(blockIdx.x, p.tiles_m, p.tiles_n, tm, tn);
  const std::int64_t m0 = tm * BM;
  const std::int64_t n0 = tn * BN;
  const int tid = static_cast<int>(threadIdx.x);
  const int tx = tid % TX, ty = tid / TX;

  SliceLoader<BM, BK, Cfg::THREADS, Cfg::LDS_A, !TRANS_A> load_a(p.a, p.lda, p.m, m0, tid);
  SliceLoader<BN, BK, Cfg::THREADS, Cfg::LDS_B, TRANS_B> load_b(p.b, p.ldb, p.n, n0, tid);

  float acc[TM][TN];
#pragma unroll
  for (int i = 0; i < TM; ++i) {
#pragma unroll
    for (int j = 0; j < TN; ++j) acc[i][j] = 0.0f;
  }

  // K in slices of BK. Slice s lives in buffer s % STAGES; slices are issued
  // STAGES - 1 ahead of the one multiplied. Every step commits one group (possibly
  // empty, past the last slice) so that "all but the newest STAGES - 2 groups have
  // landed" always means "the slice about to be multiplied has landed".
  const std::int64_t slices = (p.k + BK - 1) / BK;
  std::int64_t k_issued = 0;  // k covered by the slices issued so far
  int issue_stage = 0;
  const auto issue_next = [&] {
    if (k_issued < p.k) {
      const int k_left = static_cast<int>(min(p.k - k_issued, static_cast<std::int64_t>(BK)));
      load_a.issue(as[issue_stage], k_left, p.vec_a, tid);
      load_b.issue(bs[issue_stage], k_left, p.vec_b, tid);
      k_issued += BK;
      issue_stage = issue_stage + 1 == STAGES ? 0 : issue_stage + 1;
    }
    __pipeline_commit();
  };
#pragma unroll
  for (int s = 0; s < STAGES - 1; ++s) issue_next();

  int cur = 0;
  for (std::int64_t s = 0; s < slices; ++s) {
    __pipeline_wait_prior(STAGES - 2);  // this thread's copies of slice s have landed,
    __syncthreads();  // everyone's too; and everyone is done with slice s - 1's buffer,
    issue_next();     // which slice s + STAGES - 1 now refills
    const float* sa = as[cur];
    const float* sb = bs[cur];
#pragma unroll
    for (int q = 0; q < BK; ++q) {
      float fa[TM], fb[TN];
      load_fragments<TM, TN, TX, TY, float4>(sa + q * Cfg::LDS_A, sb + q * Cfg::LDS_B, tx, ty, fa,
                                             fb);
      outer_product(fa, fb, acc, [](float x, float y, float z) { return fmaf(x, y, z); });
    }
    cur = cur + 1 == STAGES ? 0 : cur + 1;
  }

  // C = alpha * acc + beta * C (beta == 0 never reads C), then the epilogue. A thread
  // writes the same TN columns in each of its rows: their bias is loaded once, here
  // (nothing is loaded without EPILOGUE).
  const StoreSgemm<EPILOGUE> store{p.c, p.ldc, p.alpha, p.beta, p.vec_c, p.bias, p.activation};
  float bias[TN];
#pragma unroll
  for (int j = 0; j < TN; ++j) {
    const std::int64_t col = n0 + (j / 4 * TX + tx) * 4 + j % 4;
    bias[j] = EPILOGUE && col < p.n ? store.bias_at(col) : -0.0f;
  }
  for_each_output_quad<TM, TN, TX, TY>(
      m0, n0, tx, ty, p.m, p.n, [&](int i, int j4, std::int64_t row, std::int64_t col) {
        const float v[4] = {acc[i][j4 * 4 + 0], acc[i][j4 * 4 + 1], acc[i][j4 * 4 + 2],
                            acc[i][j4 * 4 + 3]};
        const float b[4] = {bias[j4 * 4 + 0], bias[j4 * 4 + 1], bias[j4 * 4 + 2], bias[j4 * 4 + 3]};
        store.four(row, col, p.n, v, b);
      });
}

template <class Cfg, bool EPILOGUE>
void launch(Transpose trans_a, Transpose trans_b, TiledParams p, std::int64_t m, std::int64_t n,
            cudaStream_t stream) {
  const std::int64_t tiles_m = (m + Cfg::BM - 1) / Cfg::BM;
  const std::int64_t tiles_n = (n + Cfg::BN - 1) / Cfg::BN;
  const unsigned blocks = grid_blocks("sgemm", tiles_m, tiles_n);
  p.tiles_m = tiles_m;
  p.tiles_n = tiles_n;
  const bool ta = trans_a == Transpose::yes, tb = trans_b == Transpose::yes;
  TANDEM_CUDA_CHECK_BEFORE_LAUNCH("sgemm_tiled_kernel");
  if (!ta && !tb) {
    sgemm_tiled_kernel<Cfg, false, false, EPILOGUE><<<blocks, Cfg::THREADS, 0, stream>>>(p);
  } else if (!ta && tb) {
    sgemm_tiled_kernel<Cfg, false, true, EPILOGUE><<<blocks, Cfg::THREADS, 0, stream>>>(p);
  } else if (ta && !tb) {
    sgemm_tiled_kernel<Cfg, true, false, EPILOGUE><<<blocks, Cfg::THREADS, 0, stream>>>(p);
  } else {
    sgemm_tiled_kernel<Cfg, true, true, EPILOGUE><<<blocks, Cfg::THREADS, 0, stream>>>(p);
  }
  TANDEM_CUDA_CHECK_LAUNCH("sgemm_tiled_kernel");
}

}  // namespace

SgemmTiledConfig sgemm_tiled_natural_config(std::int64_t m, std::int64_t n) {
  // The large tile when it fills at least one wave of SMs; the small one otherwise.
  // (tiles_m * tiles_n >= sms, without the product; no tiles at all is not a wave.)
  const std::int64_t tiles_m = (m + Large::BM - 1) / Large::BM;
  const std::int64_t tiles_n = (n + Large::BN - 1) / Large::BN;
  const bool large = tiles_n > 0 && tiles_m >= (sm_count() + tiles_n - 1) / tiles_n;
  return large ? SgemmTiledConfig::large : SgemmTiledConfig::small;
}

void sgemm_tiled(SgemmTiledConfig config, Transpose trans_a, Transpose trans_b, std::int64_t m,
                 std::int64_t n, std::int64_t k, float alpha, const float* a, std::int64_t lda,
                 const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc,
                 cudaStream_t stream, const Epilogue& epilogue) {
  TiledParams p{};
  p.m = m;
  p.n = n;
  p.k = k;
  p.alpha = alpha;
  p.beta = beta;
  p.a = a;
  p.lda = lda;
  p.b = b;
  p.ldb = ldb;
  p.c = c;
  p.ldc = ldc;
  p.vec_a = lda % 4 == 0 && is_aligned(a, 16);
  p.vec_b = ldb % 4 == 0 && is_aligned(b, 16);
  p.vec_c = ldc % 4 == 0 && is_aligned(c, 16);
  p.bias = epilogue.bias;
  p.activation = epilogue.activation;
  if (config == SgemmTiledConfig::automatic) config = sgemm_tiled_natural_config(m, n);
  const bool large = config == SgemmTiledConfig::large;
  // The identity epilogue runs the plain kernels (no bias loads in their store).
  const bool fused = !epilogue.is_identity();
  if (large && !fused) {
    launch<Large, false>(trans_a, trans_b, p, m, n, stream);
  } else if (large) {
    launch<Large, true>(trans_a, trans_b, p, m, n, stream);
  } else if (!fused) {
    launch<Small, false>(trans_a, trans_b, p, m, n, stream);
  } else {
    launch<Small, true>(trans_a, trans_b, p, m, n, stream);
  }
}

}  // namespace tandem::cuda::detail
