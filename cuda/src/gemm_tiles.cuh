// Device helpers the tiled GEMM kernels share.
#pragma once

#include <cstdint>

namespace tandem::cuda::detail {

// The output tile (tm, tn) of a 1-D grid's block: blocks run through groups of
// kTileGroup tile rows, column by column inside a group, so that the blocks in flight
// at once share a few tiles of A and B in L2. Covers every tile of a tiles_m x tiles_n
// grid exactly once.
constexpr int kTileGroup = 8;

__device__ __forceinline__ void tile_of(std::int64_t block, std::int64_t tiles_m,
                                        std::int64_t tiles_n, std::int64_t& tm, std::int64_t& tn) {
  const std::int64_t per_group = kTileGroup * tiles_n;
  const std::int64_t first_m = block / per_group * kTileGroup;
  const std::int64_t rest = tiles_m - first_m;
  const std::int64_t group_m = rest < kTileGroup ? rest : kTileGroup;
  const std::int64_t local = block % per_group;  // < group_m * tiles_n
  tm = first_m + local % group_m;
  tn = local / group_m;
}

// ---- One thread's part of a register-blocked tile (sgemm_tiled.cu, igemm_dp4a.cu) ----
// Thread (tx, ty) of a TX x TY grid owns TM x TN outputs of the block's tile: rows
// (i4 * TY + ty) * 4 + 0..3 and columns (j4 * TX + tx) * 4 + 0..3, groups of 4
// interleaved across the threads, so that its fragments are 4-wide vector reads (T4:
// float4, int4) of consecutive elements and a warp's reads do not conflict.

// The thread's TM values of A and TN of B at one k step: a_row and b_row point at that
// step's row of the shared tiles (A stored k-major).
template <int TM, int TN, int TX, int TY, typename T4, typename T>
__device__ __forceinline__ void load_fragments(const T* a_row, const T* b_row, int tx, int ty,
                                               T (&fa)[TM], T (&fb)[TN]) {
#pragma unroll
  for (int i4 = 0; i4 < TM / 4; ++i4) {
    const T4 t = *reinterpret_cast<const T4*>(a_row + (i4 * TY + ty) * 4);
    fa[i4 * 4 + 0] = t.x;
    fa[i4 * 4 + 1] = t.y;
    fa[i4 * 4 + 2] = t.z;
    fa[i4 * 4 + 3] = t.w;
  }
#pragma unroll
  for (int j4 = 0; j4 < TN / 4; ++j4) {
    const T4 t = *reinterpret_cast<const T4*>(b_row + (j4 * TX + tx) * 4);
    fb[j4 * 4 + 0] = t.x;
    fb[j4 * 4 + 1] = t.y;
    fb[j4 * 4 + 2] = t.z;
    fb[j4 * 4 + 3] = t.w;
  }
}

// acc[i][j] = mac(fa[i], fb[j], acc[i][j]) over the thread's TM x TN outputs.
template <int TM, int TN, typename T, typename Acc, typename Mac>
__device__ __forceinline__ void outer_product(const T (&fa)[TM], const T (&fb)[TN],
                                              Acc (&acc)[TM][TN], Mac mac) {
#pragma unroll
  for (int i = 0; i < TM; ++i) {
#pragma unroll
    for (int j = 0; j < TN; ++j) acc[i][j] = mac(fa[i], fb[j], acc[i][j]);
  }
}

// The epilogue's walk: f(i, j4, row, col) for each of the thread's groups of 4 outputs
// (acc[i][j4 * 4 .. j4 * 4 + 3], at C[row][col .. col + 3]) whose row and first column
// lie inside the m x n matrix; f checks the other three columns.
template <int TM, int TN, int TX, int TY, typename F>
__device__ __forceinline__ void for_each_output_quad(std::int64_t m0, std::int64_t n0, int tx,
                                                     int ty, std::int64_t m, std::int64_t n,
                                                     F&& f) {
#pragma unroll
  for (int i = 0; i < TM; ++i) {
    const std::int64_t row = m0 + (i / 4 * TY + ty) * 4 + i % 4;
    if (row >= m) continue;
#pragma unroll
    for (int j4 = 0; j4 < TN / 4; ++j4) {
      const std::int64_t col = n0 + (j4 * TX + tx) * 4;
      if (col >= n) continue;
      f(i, j4, row, col);
    }
  }
}

}  // namespace tandem::cuda::detail
