// "cuda.tiled_basic": the teaching baseline. One 32 x 32 tile of C per block of
// 32 x 32 threads, one output per thread; the K dimension is walked in 32-wide
// slices staged through shared memory. Loads are bounds-checked (zero fill), and each
// operand is read along its contiguous dimension whichever way it is transposed, so
// global loads coalesce in all four cases; the +1 padding keeps the transposed
// shared-memory stores free of bank conflicts. The store (gemm_stores.cuh) applies
// alpha, beta and, in the EPILOGUE instantiation, the bias and activation.
//
// Also here, beside this kernel that every implementation's K = 0 case uses: the
// epilogue as a pass over C, for cuBLAS, whose store cannot take it.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include <tandem/epilogue.h>
#include "gemm_common.h"
#include "gemm_stores.cuh"

namespace tandem::cuda::detail {
namespace {

constexpr int kTile = 32;

struct BasicParams {
  std::int64_t m, n, k;
  float alpha, beta;
  const float* a;
  std::int64_t lda;
  const float* b;
  std::int64_t ldb;
  float* c;
  std::int64_t ldc;
  std::int64_t tiles_n;
  bool trans_a, trans_b;
  const float* bias;  // the epilogue (read by the EPILOGUE kernel only)
  Activation activation;
};

template <bool EPILOGUE>
__global__ void __launch_bounds__(kTile* kTile) sgemm_tiled_basic_kernel(BasicParams p) {
  // as[i][q] = op(A)(m0 + i, k0 + q); bs[q][j] = op(B)(k0 + q, n0 + j).
  __shared__ float as[kTile][kTile + 1];
  __shared__ float bs[kTile][kTile + 1];
  const int tx = static_cast<int>(threadIdx.x);
  const int ty = static_cast<int>(threadIdx.y);
  const std::int64_t tile = blockIdx.x;
  const std::int64_t m0 = tile / p.tiles_n * kTile;
  const std::int64_t n0 = tile % p.tiles_n * kTile;
  float acc = 0.0f;
  for (std::int64_t k0 = 0; k0 < p.k; k0 += kTile) {
    if (!p.trans_a) {  // A is m x k: consecutive threads walk along k
      const std::int64_t i = m0 + ty, q = k0 + tx;
      as[ty][tx] = (i < p.m && q < p.k) ? p.a[i * p.lda + q] : 0.0f;
    } else {  // A is k x m: consecutive threads walk along m
      const std::int64_t i = m0 + tx, q = k0 + ty;
      as[tx][ty] = (i < p.m && q < p.k) ? p.a[q * p.lda + i] : 0.0f;
    }
    if (!p.trans_b) {  // B is k x n: along n
      const std::int64_t q = k0 + ty, j = n0 + tx;
      bs[ty][tx] = (q < p.k && j < p.n) ? p.b[q * p.ldb + j] : 0.0f;
    } else {  // B is n x k: along k
      const std::int64_t q = k0 + tx, j = n0 + ty;
      bs[tx][ty] = (q < p.k && j < p.n) ? p.b[j * p.ldb + q] : 0.0f;
    }
    __syncthreads();
#pragma unroll
    for (int q = 0; q < kTile; ++q) acc = fmaf(as[ty][q], bs[q][tx], acc);
    __syncthreads();
  }
  const std::int64_t i = m0 + ty, j = n0 + tx;
  if (i < p.m && j < p.n) {
    const StoreSgemm<EPILOGUE> store{p.c, p.ldc, p.alpha, p.beta, false, p.bias, p.activation};
    store.one(i, j, acc, EPILOGUE ? store.bias_at(j) : -0.0f);
  }
}

// C[i][j] = act(C[i][j] + bias[j]) over m x n, with the SGEMM store's arithmetic
// (finish()): a grid-stride walk, consecutive threads on consecutive columns. Each
// thread divides once for its first (row, column), then steps it by the grid's stride
// in rows and columns.
struct EpiloguePassParams {
  float* c;
  std::int64_t ldc, m, n;
  const float* bias;
  Activation activation;
};

constexpr int kPassThreads = 256;

__global__ void __launch_bounds__(kPassThreads) sgemm_epilogue_kernel(EpiloguePassParams p) {
  const StoreSgemm<true> store{p.c, p.ldc, 1.0f, 0.0f, false, p.bias, p.activation};
  const std::int64_t first = std::int64_t{blockIdx.x} * blockDim.x + threadIdx.x;
  const std::int64_t stride = std::int64_t{gridDim.x} * blockDim.x;
  const std::int64_t stride_rows = stride / p.n, stride_cols = stride % p.n;
  std::int64_t row = first / p.n, col = first % p.n;
  while (row < p.m) {
    float* out = p.c + row * p.ldc + col;
    *out = store.finish(*out, store.bias_at(col));
    row += stride_rows;
    col += stride_cols;
    if (col >= p.n) {
      col -= p.n;
      ++row;
    }
  }
}

}  // namespace

void sgemm_tiled_basic(Transpose trans_a, Transpose trans_b, std::int64_t m, std::int64_t n,
                       std::int64_t k, float alpha, const float* a, std::int64_t lda,
                       const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc,
                       cudaStream_t stream, const Epilogue& epilogue) {
  const std::int64_t tiles_m = (m + kTile - 1) / kTile;
  const std::int64_t tiles_n = (n + kTile - 1) / kTile;
  const unsigned blocks = grid_blocks("sgemm", tiles_m, tiles_n);
  const BasicParams p{m,
                      n,
                      k,
                      alpha,
                      beta,
                      a,
                      lda,
                      b,
                      ldb,
                      c,
                      ldc,
                      tiles_n,
                      trans_a == Transpose::yes,
                      trans_b == Transpose::yes,
                      epilogue.bias,
                      epilogue.activation};
  // The identity epilogue runs the plain kernel (no bias load in its store).
  TANDEM_CUDA_CHECK_BEFORE_LAUNCH("sgemm_tiled_basic_kernel");
  if (epilogue.is_identity()) {
    sgemm_tiled_basic_kernel<false><<<blocks, dim3(kTile, kTile), 0, stream>>>(p);
  } else {
    sgemm_tiled_basic_kernel<true><<<blocks, dim3(kTile, kTile), 0, stream>>>(p);
  }
  TANDEM_CUDA_CHECK_LAUNCH("sgemm_tiled_basic_kernel");
}

void sgemm_epilogue_pass(std::int64_t m, std::int64_t n, float* c, std::int64_t ldc,
                         const Epilogue& epilogue, cudaStream_t stream) {
  if (m <= 0 || n <= 0 || epilogue.is_identity()) return;
  int device = 0;
  TANDEM_CUDA_CHECK(cudaGetDevice(&device));
  // One element per thread, up to the blocks the device keeps resident.
  const std::int64_t blocks_for_all = (m * n + kPassThreads - 1) / kPassThreads;
  const int blocks = static_cast<int>(
      std::min<std::int64_t>(blocks_for_all, elementwise_blocks(device, m * n, kPassThreads)));
  const EpiloguePassParams p{c, ldc, m, n, epilogue.bias, epilogue.activation};
  TANDEM_CUDA_CHECK_BEFORE_LAUNCH("sgemm_epilogue_kernel");
  sgemm_epilogue_kernel<<<static_cast<unsigned>(blocks), kPassThreads, 0, stream>>>(p);
  TANDEM_CUDA_CHECK_LAUNCH("sgemm_epilogue_kernel");
}

}  // namespace tandem::cuda::detail
