// An int8 transpose through shared memory, 32 x 32 tiles (coalesced reads along the
// source's rows, writes along the destination's): cuBLAS's int8 GEMM wants B
// transposed (its TN layout; sgemm_cublas.cpp).
#include <cuda_runtime.h>

#include <cstdint>

#include "gemm_common.h"

namespace tandem::cuda::detail {
namespace {

constexpr int kTransposeTile = 32;
constexpr int kTransposeRows = 8;  // threads per block: 32 x 8

__global__ void __launch_bounds__(kTransposeTile* kTransposeRows)
    transpose_s8_kernel(const std::int8_t* __restrict__ src, std::int64_t rows, std::int64_t cols,
                        std::int64_t lds, std::int8_t* __restrict__ dst, std::int64_t ldd,
                        std::int64_t tiles_c) {
  __shared__ std::int8_t tile[kTransposeTile][kTransposeTile + 1];
  const std::int64_t r0 = static_cast<std::int64_t>(blockIdx.x) / tiles_c * kTransposeTile;
  const std::int64_t c0 = static_cast<std::int64_t>(blockIdx.x) % tiles_c * kTransposeTile;
  const int tx = static_cast<int>(threadIdx.x), ty = static_cast<int>(threadIdx.y);
  for (int y = ty; y < kTransposeTile; y += kTransposeRows) {  // coalesced along src rows
    const std::int64_t r = r0 + y, c = c0 + tx;
    if (r < rows && c < cols) tile[y][tx] = src[r * lds + c];
  }
  __syncthreads();
  for (int y = ty; y < kTransposeTile; y += kTransposeRows) {  // coalesced along dst rows
    const std::int64_t c = c0 + y, r = r0 + tx;
    if (c < cols && r < rows) dst[c * ldd + r] = tile[tx][y];
  }
}

}  // namespace

void transpose_s8(const std::int8_t* src, std::int64_t rows, std::int64_t cols, std::int64_t lds,
                  std::int8_t* dst, std::int64_t ldd, cudaStream_t stream) {
  const std::int64_t tiles_r = (rows + kTransposeTile - 1) / kTransposeTile;
  const std::int64_t tiles_c = (cols + kTransposeTile - 1) / kTransposeTile;
  const unsigned blocks = grid_blocks("transpose_s8", tiles_r, tiles_c);
  TANDEM_CUDA_CHECK_BEFORE_LAUNCH("transpose_s8_kernel");
  transpose_s8_kernel<<<blocks, dim3(kTransposeTile, kTransposeRows), 0, stream>>>(
      src, rows, cols, lds, dst, ldd, tiles_c);
  TANDEM_CUDA_CHECK_LAUNCH("transpose_s8_kernel");
}

}  // namespace tandem::cuda::detail
