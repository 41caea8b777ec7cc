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

}  // namespace tandem::cuda::detail
