// The int16 GEMM with int32 accumulation that wraps modulo 2^32 like the reference:
// a plain 64 x 64 x 16 tiled kernel, 4 x 4 outputs per thread; products of two
// int16 fit int32 and are summed as unsigned (defined wrap-around).
//
// The store is a template parameter (gemm_stores.cuh): int32 C, or C = float(acc) *
// scale for quantized_matmul.
#include <cuda_runtime.h>

#include <cstdint>

#include <tandem/cuda/kernels.h>
#include "gemm_common.h"
#include "gemm_stores.cuh"

namespace tandem::cuda::detail {
namespace {

// ---- int16 ---------------------------------------------------------------------------
constexpr int kS16Tile = 64;
constexpr int kS16Depth = 16;
constexpr int kS16Threads = 256;        // 16 x 16, 4 x 4 outputs each
constexpr int kS16LdsA = kS16Tile + 2;  // as[k][m]: the transposing stores hit 32 banks

struct S16Params {
  std::int64_t m, n, k;
  const std::int16_t* a;
  std::int64_t lda;
  const std::int16_t* b;
  std::int64_t ldb;
  std::int64_t tiles_n;
};

template <class Store>
__global__ void __launch_bounds__(kS16Threads) gemm_s16_kernel(S16Params p, Store store) {
  __shared__ int as[kS16Depth][kS16LdsA];
  __shared__ int bs[kS16Depth][kS16Tile];
  const std::int64_t tile = blockIdx.x;
  const std::int64_t m0 = tile / p.tiles_n * kS16Tile;
  const std::int64_t n0 = tile % p.tiles_n * kS16Tile;
  const int tid = static_cast<int>(threadIdx.x);
  const int tx = tid % 16, ty = tid / 16;
  // Thread (ty, tx) owns rows ty + 16 i and columns tx + 16 j: conflict-free reads.
  unsigned acc[4][4] = {};
  for (std::int64_t k0 = 0; k0 < p.k; k0 += kS16Depth) {
#pragma unroll
    for (int t = 0; t < kS16Tile * kS16Depth / kS16Threads; ++t) {
      const int e = tid + t * kS16Threads;
      {  // A: 16 consecutive k of a row per half-warp
        const int r = e / kS16Depth, q = e % kS16Depth;
        const std::int64_t row = m0 + r, kk = k0 + q;
        as[q][r] = (row < p.m && kk < p.k) ? int{p.a[row * p.lda + kk]} : 0;
      }
      {  // B: 64 consecutive columns of a k row per two warps
        const int q = e / kS16Tile, col = e % kS16Tile;
        const std::int64_t kk = k0 + q, j = n0 + col;
        bs[q][col] = (kk < p.k && j < p.n) ? int{p.b[kk * p.ldb + j]} : 0;
      }
    }
    __syncthreads();
#pragma unroll
    for (int q = 0; q < kS16Depth; ++q) {
      int fa[4], fb[4];
#pragma unroll
      for (int i = 0; i < 4; ++i) fa[i] = as[q][ty + 16 * i];
#pragma unroll
      for (int j = 0; j < 4; ++j) fb[j] = bs[q][tx + 16 * j];
#pragma unroll
      for (int i = 0; i < 4; ++i) {
#pragma unroll
        for (int j = 0; j < 4; ++j) {
          // |product| <= 2^30 fits int; the sum wraps as unsigned.
          acc[i][j] += static_cast<unsigned>(fa[i] * fb[j]);
        }
      }
    }
    __syncthreads();
  }
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const std::int64_t row = m0 + ty + 16 * i;
    if (row >= p.m) continue;
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const std::int64_t col = n0 + tx + 16 * j;
      if (col < p.n) store.one(row, col, static_cast<int>(acc[i][j]));
    }
  }
}

template <class Store>
void gemm_s16(std::int64_t m, std::int64_t n, std::int64_t k, const std::int16_t* a,
              std::int64_t lda, const std::int16_t* b, std::int64_t ldb, const Store& store,
              cudaStream_t stream) {
  const std::int64_t tiles_m = (m + kS16Tile - 1) / kS16Tile;
  const std::int64_t tiles_n = (n + kS16Tile - 1) / kS16Tile;
  const unsigned blocks = grid_blocks("gemm_s16s16s32", tiles_m, tiles_n);
  const S16Params p{m, n, k, a, lda, b, ldb, tiles_n};
  TANDEM_CUDA_CHECK_BEFORE_LAUNCH("gemm_s16_kernel");
  gemm_s16_kernel<Store><<<blocks, kS16Threads, 0, stream>>>(p, store);
  TANDEM_CUDA_CHECK_LAUNCH("gemm_s16_kernel");
}

}  // namespace

void gemm_s16s16_dequantize(std::int64_t m, std::int64_t n, std::int64_t k, const std::int16_t* a,
                            std::int64_t lda, const std::int16_t* b, std::int64_t ldb, float scale,
                            float* c, std::int64_t ldc, cudaStream_t stream) {
  const StoreDequantized store{c, ldc, scale, false};
  gemm_s16(m, n, k, a, lda, b, ldb, store, stream);
}

}  // namespace tandem::cuda::detail

namespace tandem::cuda {

void gemm_s16s16s32(std::int64_t m, std::int64_t n, std::int64_t k, const std::int16_t* a,
                    std::int64_t lda, const std::int16_t* b, std::int64_t ldb, std::int32_t* c,
                    std::int64_t ldc, const Stream& stream) {
  detail::check_gemm_args("gemm_s16s16s32", m, n, k, k, lda, n, ldb, ldc);
  if (m == 0 || n == 0) return;
  const detail::DeviceScope scope(stream.device());
  const detail::StoreInt32 store{c, ldc, false};
  detail::gemm_s16(m, n, k, a, lda, b, ldb, store, detail::native(stream));
}

}  // namespace tandem::cuda
