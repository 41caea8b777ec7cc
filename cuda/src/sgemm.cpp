// sgemm(): the argument checks every implementation shares, then a switch to the
// implementation asked for, which applies the epilogue; sgemm_tiled_with and
// sgemm_tiled_config, cuda.tiled's tile shape forced and reported. Also the small
// helpers of gemm_common.h.
#include <cuda_runtime_api.h>

#include <cstdint>
#include <limits>
#include <string>

#include <tandem/cuda/kernels.h>
#include <tandem/epilogue.h>
#include <tandem/error.h>
#include "gemm_common.h"

namespace tandem::cuda {
namespace detail {

void check_gemm_args(const char* op, std::int64_t m, std::int64_t n, std::int64_t k,
                     std::int64_t a_cols, std::int64_t lda, std::int64_t b_cols, std::int64_t ldb,
                     std::int64_t ldc) {
  if (m < 0 || n < 0 || k < 0) {
    throw ShapeError(std::string(op) + ": negative dimension in m = " + std::to_string(m) +
                     ", n = " + std::to_string(n) + ", k = " + std::to_string(k));
  }
  const auto check_ld = [op](const char* name, std::int64_t ld, std::int64_t cols,
                             const char* what) {
    if (ld < cols) {
      throw ArgumentError(std::string(op) + ": " + name + " = " + std::to_string(ld) +
                          " is less than the " + std::to_string(cols) + " columns of " + what);
    }
  };
  check_ld("lda", lda, a_cols, "A");
  check_ld("ldb", ldb, b_cols, "B");
  check_ld("ldc", ldc, n, "C");
}

int sm_count() {
  int device = 0;
  TANDEM_CUDA_CHECK(cudaGetDevice(&device));
  int count = 0;
  TANDEM_CUDA_CHECK(cudaDeviceGetAttribute(&count, cudaDevAttrMultiProcessorCount, device));
  return count;
}

unsigned grid_blocks(const char* op, std::int64_t tiles_m, std::int64_t tiles_n) {
  // Both are at most ~2^61 / 32 here, but their product may not fit: divide instead.
  constexpr std::int64_t kMax = std::numeric_limits<std::int32_t>::max();
  if (tiles_m > kMax / tiles_n) {
    throw ArgumentError(std::string(op) + ": " + std::to_string(tiles_m) + " x " +
                        std::to_string(tiles_n) + " output tiles exceed one grid");
  }
  return static_cast<unsigned>(tiles_m * tiles_n);
}

}  // namespace detail

namespace {

// sgemm's body, with cuda.tiled's tile shape given (automatic everywhere but in
// sgemm_tiled_with). op names the call in errors.
void sgemm_checked(const char* op, SgemmImpl impl, SgemmTiledConfig tiled_config, Transpose trans_a,
                   Transpose trans_b, std::int64_t m, std::int64_t n, std::int64_t k, float alpha,
                   const float* a, std::int64_t lda, const float* b, std::int64_t ldb, float beta,
                   float* c, std::int64_t ldc, const Stream& stream, const Epilogue& epilogue) {
  detail::check_gemm_args(op, m, n, k, trans_a == Transpose::yes ? m : k, lda,
                          trans_b == Transpose::yes ? k : n, ldb, ldc);
  if (activation_name(epilogue.activation) == "?") {
    throw ArgumentError(std::string(op) + ": unknown activation " +
                        std::to_string(static_cast<int>(epilogue.activation)));
  }
  if (m == 0 || n == 0) return;
  const detail::DeviceScope scope(stream.device());
  if (k == 0 || alpha == 0.0f) {
    // BLAS: A and B are not read; C = beta * C, without reading C when beta == 0. (A
    // kernel would compute 0 * NaN = NaN for NaN in A; cuBLAS is not promised to skip.)
    // Then the epilogue: C = act(beta * C + bias), or act(bias) when beta == 0.
    detail::sgemm_tiled_basic(trans_a, trans_b, m, n, 0, 0.0f, a, lda, b, ldb, beta, c, ldc,
                              detail::native(stream), epilogue);
    return;
  }
  switch (impl) {
    case SgemmImpl::tiled_basic:
      detail::sgemm_tiled_basic(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc,
                                detail::native(stream), epilogue);
      return;
    case SgemmImpl::tiled:
      detail::sgemm_tiled(tiled_config, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c,
                          ldc, detail::native(stream), epilogue);
      return;
    case SgemmImpl::cublas:
      detail::sgemm_cublas(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, stream,
                           epilogue);
      return;
  }
  throw ArgumentError(std::string(op) + ": unknown implementation " +
                      std::to_string(static_cast<int>(impl)));
}

}  // namespace

void sgemm(SgemmImpl impl, Transpose trans_a, Transpose trans_b, std::int64_t m, std::int64_t n,
           std::int64_t k, float alpha, const float* a, std::int64_t lda, const float* b,
           std::int64_t ldb, float beta, float* c, std::int64_t ldc, const Stream& stream,
           const Epilogue& epilogue) {
  sgemm_checked("sgemm", impl, SgemmTiledConfig::automatic, trans_a, trans_b, m, n, k, alpha, a,
                lda, b, ldb, beta, c, ldc, stream, epilogue);
}

const char* sgemm_tiled_config(std::int64_t m, std::int64_t n, int device) {
  if (m < 0 || n < 0) {
    throw ShapeError("sgemm_tiled_config: negative dimension in m = " + std::to_string(m) +
                     ", n = " + std::to_string(n));
  }
  require_device("sgemm_tiled_config", device);
  const detail::DeviceScope scope(device);
  return detail::sgemm_tiled_natural_config(m, n) == SgemmTiledConfig::large ? "large" : "small";
}

void sgemm_tiled_with(SgemmTiledConfig config, Transpose trans_a, Transpose trans_b, std::int64_t m,
                      std::int64_t n, std::int64_t k, float alpha, const float* a, std::int64_t lda,
                      const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc,
                      const Stream& stream, const Epilogue& epilogue) {
  if (config != SgemmTiledConfig::automatic && config != SgemmTiledConfig::large &&
      config != SgemmTiledConfig::small) {
    throw ArgumentError("sgemm_tiled_with: unknown tile configuration " +
                        std::to_string(static_cast<int>(config)));
  }
  sgemm_checked("sgemm_tiled_with", SgemmImpl::tiled, config, trans_a, trans_b, m, n, k, alpha, a,
                lda, b, ldb, beta, c, ldc, stream, epilogue);
}

}  // namespace tandem::cuda
