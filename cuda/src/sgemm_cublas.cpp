// "cuda.cublas" and the int8 anchor: cuBLAS, which is column-major, on row-major
// operands. A row-major matrix is the column-major storage of its transpose, so
// C = op(A) op(B) is computed as C^T = op(B)^T op(A)^T: the operands swapped, m and n
// swapped, each transpose flag kept.
//
// SGEMM's epilogue (bias, activation) cannot go into cublasSgemm's store: it is one more
// kernel over C after it (sgemm_epilogue_pass), the anchor's cost of a read and a write
// of C. cuBLASLt's CUBLASLT_EPILOGUE_RELU_BIAS would fuse it, but its ReLU is not
// documented to propagate NaN or to turn -0 into +0, nor its bias to be added to the
// float result of alpha * AB + beta * C (rather than inside that sum), so it is not
// promised to match the reference and the other kernels.
#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>

#include <tandem/cuda/kernels.h>
#include <tandem/error.h>
#include "cublas_handle.h"
#include "gemm_common.h"
#include "stream_scratch.h"

namespace tandem::cuda {
namespace {

// cuBLAS takes int sizes.
int as_int(const char* op, const char* name, std::int64_t v) {
  if (v > std::numeric_limits<int>::max()) {
    throw ArgumentError(std::string(op) + ": " + name + " = " + std::to_string(v) +
                        " exceeds cuBLAS's int range");
  }
  return static_cast<int>(v);
}

cublasOperation_t op_of(Transpose t) { return t == Transpose::yes ? CUBLAS_OP_T : CUBLAS_OP_N; }

using detail::StreamScratch;

}  // namespace

namespace detail {

void sgemm_cublas(Transpose trans_a, Transpose trans_b, std::int64_t m, std::int64_t n,
                  std::int64_t k, float alpha, const float* a, std::int64_t lda, const float* b,
                  std::int64_t ldb, float beta, float* c, std::int64_t ldc, const Stream& stream,
                  const Epilogue& epilogue) {
  // K = 0 (C = beta * C) may come with zero leading dimensions, which cuBLAS refuses;
  // the basic kernel does it without touching A or B, the epilogue in its store.
  if (k == 0) {
    sgemm_tiled_basic(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc,
                      native(stream), epilogue);
    return;
  }
  constexpr const char* op = "sgemm";
  const int mi = as_int(op, "m", m), ni = as_int(op, "n", n), ki = as_int(op, "k", k);
  const int ldai = as_int(op, "lda", lda), ldbi = as_int(op, "ldb", ldb),
            ldci = as_int(op, "ldc", ldc);
  cublasHandle_t handle = cublas_handle(stream, CUBLAS_PEDANTIC_MATH);
  TANDEM_CUBLAS_CHECK(cublasSgemm(handle, op_of(trans_b), op_of(trans_a), ni, mi, ki, &alpha, b,
                                  ldbi, a, ldai, &beta, c, ldci));
  // Ordered after cublasSgemm on the same stream; nothing for the identity epilogue.
  sgemm_epilogue_pass(m, n, c, ldc, epilogue, native(stream));
}

}  // namespace detail

namespace {

// The int8 anchor's preconditions: cuBLAS's int8 kernels (IMMA with the regular data
// ordering) need 4-byte aligned pointers, leading dimensions that are multiples of 4, and
// m and k (of its column-major problem: our n and k) multiples of 4; we ask the same of
// our m too rather than rely on a slower path existing for it.
void check_int8_anchor(const char* op, std::int64_t m, std::int64_t n, std::int64_t k,
                       std::int64_t lda, std::int64_t ldb, std::int64_t ldc, const void* a,
                       const void* b, const void* c) {
  const bool shapes_ok =
      m % 4 == 0 && n % 4 == 0 && k % 4 == 0 && lda % 4 == 0 && ldb % 4 == 0 && ldc % 4 == 0;
  const bool pointers_ok =
      detail::is_aligned(a, 4) && detail::is_aligned(b, 4) && detail::is_aligned(c, 4);
  if (!shapes_ok || !pointers_ok) {
    throw ArgumentError(
        std::string(op) + ": cuBLAS's int8 GEMM needs m, n, k, lda, ldb, ldc " +
        "that are multiples of 4 and 4-byte aligned pointers; got m = " + std::to_string(m) +
        ", n = " + std::to_string(n) + ", k = " + std::to_string(k) +
        ", lda = " + std::to_string(lda) + ", ldb = " + std::to_string(ldb) +
        ", ldc = " + std::to_string(ldc) + (pointers_ok ? "" : ", a pointer not 4-byte aligned"));
  }
}

}  // namespace

const char* cublas_int8_layout_name(CublasInt8Layout layout) {
  return layout == CublasInt8Layout::nn ? "NN" : "TN";
}

bool gemm_s8s8s32_cublas_in(CublasInt8Layout layout, std::int64_t m, std::int64_t n, std::int64_t k,
                            const std::int8_t* a, std::int64_t lda, const std::int8_t* b,
                            std::int64_t ldb, std::int32_t* c, std::int64_t ldc,
                            const Stream& stream) {
  constexpr const char* op = "gemm_s8s8s32_cublas";
  const bool nn = layout == CublasInt8Layout::nn;
  detail::check_gemm_args(op, m, n, k, k, lda, nn ? n : k, ldb, ldc);
  if (k == 0) throw ArgumentError(std::string(op) + ": K = 0 has no cuBLAS call");
  check_int8_anchor(op, m, n, k, lda, ldb, ldc, a, b, c);
  if (m == 0 || n == 0) return true;
  const int mi = as_int(op, "m", m), ni = as_int(op, "n", n), ki = as_int(op, "k", k);
  const int ldai = as_int(op, "lda", lda), ldbi = as_int(op, "ldb", ldb),
            ldci = as_int(op, "ldc", ldc);
  const detail::DeviceScope scope(stream.device());
  const std::int32_t alpha = 1, beta = 0;
  cublasHandle_t handle = detail::cublas_handle(stream, CUBLAS_DEFAULT_MATH);
  // Row-major operands: C^T = B^T A^T. NN: both as they are. TN: bt (n x k row-major) is
  // cuBLAS's column-major k x n matrix, transposed back by op T.
  const cublasStatus_t status = cublasGemmEx(
      handle, nn ? CUBLAS_OP_N : CUBLAS_OP_T, CUBLAS_OP_N, ni, mi, ki, &alpha, b, CUDA_R_8I, ldbi,
      a, CUDA_R_8I, ldai, &beta, c, CUDA_R_32I, ldci, CUBLAS_COMPUTE_32I, CUBLAS_GEMM_DEFAULT);
  if (status == CUBLAS_STATUS_NOT_SUPPORTED) return false;
  detail::cublas_check(status, nn ? "cublasGemmEx(int8, NN)" : "cublasGemmEx(int8, TN)");
  return true;
}

void transpose_s8(const std::int8_t* src, std::int64_t rows, std::int64_t cols, std::int64_t lds,
                  std::int8_t* dst, std::int64_t ldd, const Stream& stream) {
  if (rows <= 0 || cols <= 0) return;
  const detail::DeviceScope scope(stream.device());
  detail::transpose_s8(src, rows, cols, lds, dst, ldd, detail::native(stream));
}

void gemm_s8s8s32_cublas(std::int64_t m, std::int64_t n, std::int64_t k, const std::int8_t* a,
                         std::int64_t lda, const std::int8_t* b, std::int64_t ldb, std::int32_t* c,
                         std::int64_t ldc, const Stream& stream) {
  constexpr const char* op = "gemm_s8s8s32_cublas";
  detail::check_gemm_args(op, m, n, k, k, lda, n, ldb, ldc);
  if (m == 0 || n == 0) return;
  check_int8_anchor(op, m, n, k, lda, ldb, ldc, a, b, c);
  const detail::DeviceScope scope(stream.device());
  if (k == 0) {  // C = 0; the zero leading dimensions K = 0 allows are cuBLAS errors
    TANDEM_CUDA_CHECK(cudaMemset2DAsync(c, static_cast<std::size_t>(ldc) * sizeof(std::int32_t), 0,
                                        static_cast<std::size_t>(n) * sizeof(std::int32_t),
                                        static_cast<std::size_t>(m), detail::native(stream)));
    return;
  }
  if (gemm_s8s8s32_cublas_in(CublasInt8Layout::nn, m, n, k, a, lda, b, ldb, c, ldc, stream)) {
    return;
  }
  // cuBLAS's int8 tensor-core kernels may take only the "TN" layout, where both operands
  // are contiguous along K: B is copied transposed into stream-ordered scratch first.
  const StreamScratch bt(static_cast<std::size_t>(n) * static_cast<std::size_t>(k),
                         detail::native(stream));
  transpose_s8(b, k, n, ldb, bt.as<std::int8_t>(), k, stream);
  if (!gemm_s8s8s32_cublas_in(CublasInt8Layout::tn, m, n, k, a, lda, bt.as<std::int8_t>(), k, c,
                              ldc, stream)) {
    detail::cublas_check(CUBLAS_STATUS_NOT_SUPPORTED, "cublasGemmEx(int8, NN and TN)");
  }
}

void sgemm_cublas_default_math(std::int64_t m, std::int64_t n, std::int64_t k, const float* a,
                               const float* b, float* c, const Stream& stream) {
  constexpr const char* op = "sgemm_cublas_default_math";
  detail::check_gemm_args(op, m, n, k, k, k, n, n, n);
  if (m == 0 || n == 0 || k == 0) {
    throw ArgumentError(std::string(op) + ": an anchor for non-empty problems only");
  }
  const int mi = as_int(op, "m", m), ni = as_int(op, "n", n), ki = as_int(op, "k", k);
  const detail::DeviceScope scope(stream.device());
  const float alpha = 1.0f, beta = 0.0f;
  cublasHandle_t handle = detail::cublas_handle(stream, CUBLAS_DEFAULT_MATH);
  TANDEM_CUBLAS_CHECK(cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N, ni, mi, ki, &alpha, b, ni, a,
                                  ki, &beta, c, ni));
}

}  // namespace tandem::cuda
