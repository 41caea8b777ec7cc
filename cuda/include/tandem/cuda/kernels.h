// The CUDA kernels, on raw device pointers; every call takes the stream it runs on
// (pointers must be on stream.device()). Same semantics as the reference kernels
// (tandem/cpu/reference.h), which the GPU/CPU parity tests compare them against.
// Launch and CUDA/cuBLAS failures are DeviceErrors naming the call; nothing here
// exits or aborts. Calls are asynchronous unless they return a value computed on the
// device (reductions, scales), which they wait for.
#pragma once

#include <cstdint>

#include <tandem/cuda/runtime.h>
#include <tandem/epilogue.h>
#include <tandem/transpose.h>

namespace tandem::cuda {

// ---- SGEMM ------------------------------------------------------------------------
// The implementations, by their public names.
enum class SgemmImpl {
  tiled_basic,  // "cuda.tiled_basic": one level of shared-memory tiles, one output per thread
  tiled,        // "cuda.tiled": register-blocked, vectorized, double-buffered tiles
  cublas,       // "cuda.cublas": cublasSgemm, math mode pinned to pedantic FP32 (no TF32)
};
const char* sgemm_impl_name(SgemmImpl impl);

// C = alpha * op(A) * op(B) + beta * C, BLAS semantics on row-major storage, any m, n,
// k, leading dimensions. beta == 0 never reads C.
// epilogue: then C = act(C + bias[j]) (tandem/epilogue.h; bias on stream.device()), in the store.
void sgemm(SgemmImpl impl, Transpose trans_a, Transpose trans_b, std::int64_t m, std::int64_t n,
           std::int64_t k, float alpha, const float* a, std::int64_t lda, const float* b,
           std::int64_t ldb, float beta, float* c, std::int64_t ldc, const Stream& stream,
           const Epilogue& epilogue = {});

// ---- Element-wise (float4 loads/stores when aligned, scalar tail) --------------------
void relu(const float* x, float* y, std::int64_t n, const Stream& stream);
void add(const float* x, const float* y, float* out, std::int64_t n, const Stream& stream);
void multiply(const float* x, const float* y, float* out, std::int64_t n, const Stream& stream);
void squared_difference(const float* x, const float* y, float* out, std::int64_t n,
                        const Stream& stream);
// A float4 device-to-device copy (the same kernel as relu, without the max), and the
// copy engine's (cudaMemcpyAsync device to device): the bandwidth anchors of the
// element-wise kernels. relu against `copy` holds by construction; against
// `copy_engine` it does not.
void copy(const float* x, float* y, std::int64_t n, const Stream& stream);
void copy_engine(const float* x, float* y, std::int64_t n, const Stream& stream);

// An explicit launch shape for relu (the analyzer's block and grid sweep) and add (the
// tests' small grids, whose grid-stride loops iterate): threads per block (a multiple of
// 32, at most 1024) and blocks (0: as many as stay resident).
struct LaunchConfig {
  int threads_per_block = 256;
  int blocks = 0;
};
void relu(const float* x, float* y, std::int64_t n, const Stream& stream,
          const LaunchConfig& config);

// ---- Ceilings ----------------------------------------------------------------------------
// Enqueues a register-only FMA loop on every resident thread of the device; returns the
// floating-point operations it does (2 per FMA). Time it with events or a synchronize.
double fma_peak(std::int64_t iterations, const Stream& stream);

// ---- Reductions (CUB; results copied back, so these wait) ---------------------------
double dot(const float* x, const float* y, std::int64_t n, const Stream& stream);
double euclidean_distance(const float* x, const float* y, std::int64_t n, const Stream& stream);
double cosine_similarity(const float* x, const float* y, std::int64_t n, const Stream& stream);

// ---- Quantization (the reference's semantics, bit-exact) -----------------------------
// max|x| / quant_max(bits), reduced on the device; NaN/Inf is an ArgumentError.
float quantize_scale(const float* x, std::int64_t n, int bits, const Stream& stream);
void quantize(const float* x, std::int64_t n, float scale, std::int8_t* q, const Stream& stream);
void quantize(const float* x, std::int64_t n, float scale, std::int16_t* q, const Stream& stream);
void dequantize(const std::int8_t* q, std::int64_t n, float scale, float* x, const Stream& stream);
void dequantize(const std::int16_t* q, std::int64_t n, float scale, float* x, const Stream& stream);
void quantized_relu(const float* x, float* y, std::int64_t n, int bits, const Stream& stream);
// y = max(q, 0) on quantized values, same scale (cpu::relu_s8's contract; y may alias q).
void relu_s8(const std::int8_t* q, std::int8_t* y, std::int64_t n, const Stream& stream);
void relu_s16(const std::int16_t* q, std::int16_t* y, std::int64_t n, const Stream& stream);

// ---- Integer GEMM (int32 accumulation, wrapping like the reference) -------------------
// int8 with __dp4a (K in groups of 4), int16 with int32 multiply-adds.
void gemm_s8s8s32(std::int64_t m, std::int64_t n, std::int64_t k, const std::int8_t* a,
                  std::int64_t lda, const std::int8_t* b, std::int64_t ldb, std::int32_t* c,
                  std::int64_t ldc, const Stream& stream);
void gemm_s16s16s32(std::int64_t m, std::int64_t n, std::int64_t k, const std::int16_t* a,
                    std::int64_t lda, const std::int16_t* b, std::int64_t ldb, std::int32_t* c,
                    std::int64_t ldc, const Stream& stream);
// The int8 anchor: cublasGemmEx (CUDA_R_8I in, CUDA_R_32I out), in the "NN" layout
// (B as it is) where cuBLAS takes it, else "TN" (B copied transposed into scratch first).
void gemm_s8s8s32_cublas(std::int64_t m, std::int64_t n, std::int64_t k, const std::int8_t* a,
                         std::int64_t lda, const std::int8_t* b, std::int64_t ldb, std::int32_t* c,
                         std::int64_t ldc, const Stream& stream);

// ---- The anchors' parts, for timing them without their preparation ---------------------
// One cublasGemmEx of the int8 anchor in a given layout: nn reads B (k x n row-major, ldb)
// as it is; tn reads B transposed (n x k row-major, ldb >= k; transpose_s8 makes it).
// Returns false, having written nothing, where cuBLAS does not support the layout for
// these operands (CUBLAS_STATUS_NOT_SUPPORTED); other failures throw. Same preconditions
// as gemm_s8s8s32_cublas, K > 0.
enum class CublasInt8Layout { nn, tn };
const char* cublas_int8_layout_name(CublasInt8Layout layout);  // "NN", "TN"
bool gemm_s8s8s32_cublas_in(CublasInt8Layout layout, std::int64_t m, std::int64_t n, std::int64_t k,
                            const std::int8_t* a, std::int64_t lda, const std::int8_t* b,
                            std::int64_t ldb, std::int32_t* c, std::int64_t ldc,
                            const Stream& stream);
// dst (cols x rows, leading dimension ldd) = the transpose of src (rows x cols, lds).
void transpose_s8(const std::int8_t* src, std::int64_t rows, std::int64_t cols, std::int64_t lds,
                  std::int8_t* dst, std::int64_t ldd, const Stream& stream);
// cublasSgemm (row-major C = A B) in cuBLAS's default math mode, beside cuda.cublas's
// pedantic one: cuBLAS may choose other kernels there. TF32 stays off: cublasSgemm uses
// it only under CUBLAS_TF32_TENSOR_OP_MATH (or CUBLAS_WORKSPACE/NVIDIA_TF32_OVERRIDE).
void sgemm_cublas_default_math(std::int64_t m, std::int64_t n, std::int64_t k, const float* a,
                               const float* b, float* c, const Stream& stream);

// Quantize A and B on the device (scales reduced on the device), integer GEMM with the
// dequantization fused into its store. K above reference::max_quantized_k(bits) is an
// ArgumentError. Bit-exact against reference::quantized_matmul.
void quantized_matmul(const float* a, const float* b, float* c, std::int64_t m, std::int64_t n,
                      std::int64_t k, int bits, const Stream& stream);

// The int8 quantized layer (cpu::quantized_linear's contract, on device pointers):
// y (m x n, leading dimension ldy) = act(float(x W) * scales[per_column ? j : 0] +
// bias[j]) for x (m x k, lda) and W (k x n, ldw) int8, int32 sums (exact for K within
// quant::max_exact_layer_k(8), which the caller checks); f32 y, or with
// inverse_out_scale > 0 int8 y = round_half_even(clamp(value * inverse_out_scale, -128,
// 127)). The dp4a GEMM with all of it in its store. Bit-exact against
// reference::quantized_linear. scales and bias (nullable) are device arrays.
struct QuantizedLayerStore {
  const float* scales = nullptr;
  bool per_column = false;
  const float* bias = nullptr;
  Activation activation = Activation::none;
  float inverse_out_scale = 0.0f;  // > 0: requantized int8 y
};
void quantized_linear_s8(std::int64_t m, std::int64_t n, std::int64_t k, const std::int8_t* x,
                         std::int64_t lda, const std::int8_t* w, std::int64_t ldw,
                         const QuantizedLayerStore& store, void* y, std::int64_t ldy,
                         const Stream& stream);

// ---- Launch choices the tests force and observe (issue 18) ----------------------------
// cuda.tiled's tile shapes: large (128 x 128) when its grid fills at least one wave of
// the device's SMs, small (64 x 64) otherwise; automatic applies that rule.
enum class SgemmTiledConfig { automatic, large, small };
// "large" or "small": the shape cuda.tiled picks for an m x n C on `device`, by the
// same code that sgemm runs.
const char* sgemm_tiled_config(std::int64_t m, std::int64_t n, int device);
// sgemm(SgemmImpl::tiled, ...) with the tile shape forced, so that both are testable on
// any shape.
void sgemm_tiled_with(SgemmTiledConfig config, Transpose trans_a, Transpose trans_b, std::int64_t m,
                      std::int64_t n, std::int64_t k, float alpha, const float* a, std::int64_t lda,
                      const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc,
                      const Stream& stream, const Epilogue& epilogue = {});
// add with an explicit launch shape (LaunchConfig): a small grid makes every thread of
// its grid-stride loop iterate many times.
void add(const float* x, const float* y, float* out, std::int64_t n, const Stream& stream,
         const LaunchConfig& config);

}  // namespace tandem::cuda
