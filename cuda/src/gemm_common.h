// Private to the GEMM kernels: argument checks, the device scope every entry point
// opens, and the internal entry points the dispatchers and quantized_matmul share.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include <tandem/cuda/kernels.h>
#include <tandem/cuda/runtime.h>
#include <tandem/epilogue.h>
#include <tandem/transpose.h>
#include "check.h"
#include "device_scope.h"

namespace tandem::cuda::detail {

inline cudaStream_t native(const Stream& stream) {
  return static_cast<cudaStream_t>(stream.native());
}

inline bool is_aligned(const void* p, std::uintptr_t bytes) {
  return reinterpret_cast<std::uintptr_t>(p) % bytes == 0;
}

// Negative sizes are ShapeErrors; a leading dimension shorter than the row it
// strides over is an ArgumentError. a_cols / b_cols: the columns of A and B as stored.
void check_gemm_args(const char* op, std::int64_t m, std::int64_t n, std::int64_t k,
                     std::int64_t a_cols, std::int64_t lda, std::int64_t b_cols, std::int64_t ldb,
                     std::int64_t ldc);

// Streaming multiprocessors of the current device.
int sm_count();

// Blocks of a 1-D grid: tiles_m * tiles_n, refused (ArgumentError) past 2^31 - 1.
unsigned grid_blocks(const char* op, std::int64_t tiles_m, std::int64_t tiles_n);

// The SGEMM implementations on checked arguments, m and n positive, the stream's
// device current. The epilogue (bias per column, activation) is applied in the store
// of the two kernels; cuBLAS's is followed by sgemm_epilogue_pass.
void sgemm_tiled_basic(Transpose trans_a, Transpose trans_b, std::int64_t m, std::int64_t n,
                       std::int64_t k, float alpha, const float* a, std::int64_t lda,
                       const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc,
                       cudaStream_t stream, const Epilogue& epilogue);
// cuda.tiled with its tile shape given; automatic: sgemm_tiled_natural_config's.
void sgemm_tiled(SgemmTiledConfig config, Transpose trans_a, Transpose trans_b, std::int64_t m,
                 std::int64_t n, std::int64_t k, float alpha, const float* a, std::int64_t lda,
                 const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc,
                 cudaStream_t stream, const Epilogue& epilogue);
// The tile shape cuda.tiled picks for an m x n C on the current device (large or
// small): the one rule that sgemm_tiled and sgemm_tiled_config share.
SgemmTiledConfig sgemm_tiled_natural_config(std::int64_t m, std::int64_t n);
void sgemm_cublas(Transpose trans_a, Transpose trans_b, std::int64_t m, std::int64_t n,
                  std::int64_t k, float alpha, const float* a, std::int64_t lda, const float* b,
                  std::int64_t ldb, float beta, float* c, std::int64_t ldc, const Stream& stream,
                  const Epilogue& epilogue);

// C[i][j] = act(C[i][j] + bias[j]) over the m x n matrix C, in place, as one kernel on
// the stream (sgemm_tiled_basic.cu): the epilogue of an SGEMM whose store cannot apply
// it (cuBLAS). Nothing is launched for the identity epilogue or an empty C.
void sgemm_epilogue_pass(std::int64_t m, std::int64_t n, float* c, std::int64_t ldc,
                         const Epilogue& epilogue, cudaStream_t stream);

// The integer GEMMs with the dequantizing store: C = float(A * B) * scale, rounded
// like the reference (int32 -> float to nearest, then one float multiply). Checked
// arguments, m and n positive, the stream's device current.
void gemm_s8s8_dequantize(std::int64_t m, std::int64_t n, std::int64_t k, const std::int8_t* a,
                          std::int64_t lda, const std::int8_t* b, std::int64_t ldb, float scale,
                          float* c, std::int64_t ldc, cudaStream_t stream);
void gemm_s16s16_dequantize(std::int64_t m, std::int64_t n, std::int64_t k, const std::int16_t* a,
                            std::int64_t lda, const std::int16_t* b, std::int64_t ldb, float scale,
                            float* c, std::int64_t ldc, cudaStream_t stream);

// dst (cols x rows, leading dimension ldd) = the transpose of src (rows x cols, lds),
// int8; rows and cols positive. For cuBLAS's int8 "TN" layout.
void transpose_s8(const std::int8_t* src, std::int64_t rows, std::int64_t cols, std::int64_t lds,
                  std::int8_t* dst, std::int64_t ldd, cudaStream_t stream);

}  // namespace tandem::cuda::detail
