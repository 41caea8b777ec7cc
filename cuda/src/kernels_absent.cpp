// The CUDA kernels of a build without CUDA: each is a DeviceError saying so. (Callers
// see device_count() == 0 first; these keep a direct call from linking into nothing.)
#include <string>

#include <tandem/cuda/kernels.h>
#include <tandem/error.h>

namespace tandem::cuda {
namespace {

[[noreturn]] void absent(const char* op) {
  throw DeviceError(std::string(op) + ": " + unavailable_reason());
}

}  // namespace

void sgemm(SgemmImpl, Transpose, Transpose, std::int64_t, std::int64_t, std::int64_t, float,
           const float*, std::int64_t, const float*, std::int64_t, float, float*, std::int64_t,
           const Stream&, const Epilogue&) {
  absent("sgemm");
}
const char* sgemm_tiled_config(std::int64_t, std::int64_t, int) { absent("sgemm_tiled_config"); }
void sgemm_tiled_with(SgemmTiledConfig, Transpose, Transpose, std::int64_t, std::int64_t,
                      std::int64_t, float, const float*, std::int64_t, const float*, std::int64_t,
                      float, float*, std::int64_t, const Stream&, const Epilogue&) {
  absent("sgemm_tiled_with");
}
void relu(const float*, float*, std::int64_t, const Stream&) { absent("relu"); }
void add(const float*, const float*, float*, std::int64_t, const Stream&) { absent("add"); }
void add(const float*, const float*, float*, std::int64_t, const Stream&, const LaunchConfig&) {
  absent("add");
}
void multiply(const float*, const float*, float*, std::int64_t, const Stream&) {
  absent("multiply");
}
void squared_difference(const float*, const float*, float*, std::int64_t, const Stream&) {
  absent("squared_difference");
}
void copy(const float*, float*, std::int64_t, const Stream&) { absent("copy"); }
void copy_engine(const float*, float*, std::int64_t, const Stream&) { absent("copy_engine"); }
void relu(const float*, float*, std::int64_t, const Stream&, const LaunchConfig&) {
  absent("relu");
}
double fma_peak(std::int64_t, const Stream&) { absent("fma_peak"); }
double dot(const float*, const float*, std::int64_t, const Stream&) { absent("dot"); }
double euclidean_distance(const float*, const float*, std::int64_t, const Stream&) {
  absent("euclidean_distance");
}
double cosine_similarity(const float*, const float*, std::int64_t, const Stream&) {
  absent("cosine_similarity");
}
float quantize_scale(const float*, std::int64_t, int, const Stream&) { absent("quantize_scale"); }
void quantize(const float*, std::int64_t, float, std::int8_t*, const Stream&) {
  absent("quantize");
}
void quantize(const float*, std::int64_t, float, std::int16_t*, const Stream&) {
  absent("quantize");
}
void dequantize(const std::int8_t*, std::int64_t, float, float*, const Stream&) {
  absent("dequantize");
}
void dequantize(const std::int16_t*, std::int64_t, float, float*, const Stream&) {
  absent("dequantize");
}
void quantized_relu(const float*, float*, std::int64_t, int, const Stream&) {
  absent("quantized_relu");
}
void relu_s8(const std::int8_t*, std::int8_t*, std::int64_t, const Stream&) { absent("relu_s8"); }
void relu_s16(const std::int16_t*, std::int16_t*, std::int64_t, const Stream&) {
  absent("relu_s16");
}
void gemm_s8s8s32(std::int64_t, std::int64_t, std::int64_t, const std::int8_t*, std::int64_t,
                  const std::int8_t*, std::int64_t, std::int32_t*, std::int64_t, const Stream&) {
  absent("gemm_s8s8s32");
}
void gemm_s16s16s32(std::int64_t, std::int64_t, std::int64_t, const std::int16_t*, std::int64_t,
                    const std::int16_t*, std::int64_t, std::int32_t*, std::int64_t, const Stream&) {
  absent("gemm_s16s16s32");
}
void gemm_s8s8s32_cublas(std::int64_t, std::int64_t, std::int64_t, const std::int8_t*, std::int64_t,
                         const std::int8_t*, std::int64_t, std::int32_t*, std::int64_t,
                         const Stream&) {
  absent("gemm_s8s8s32_cublas");
}
void quantized_matmul(const float*, const float*, float*, std::int64_t, std::int64_t, std::int64_t,
                      int, const Stream&) {
  absent("quantized_matmul");
}
void quantized_linear_s8(std::int64_t, std::int64_t, std::int64_t, const std::int8_t*, std::int64_t,
                         const std::int8_t*, std::int64_t, const QuantizedLayerStore&, void*,
                         std::int64_t, const Stream&) {
  absent("quantized_linear_s8");
}
const char* cublas_int8_layout_name(CublasInt8Layout layout) {
  return layout == CublasInt8Layout::nn ? "NN" : "TN";
}
bool gemm_s8s8s32_cublas_in(CublasInt8Layout, std::int64_t, std::int64_t, std::int64_t,
                            const std::int8_t*, std::int64_t, const std::int8_t*, std::int64_t,
                            std::int32_t*, std::int64_t, const Stream&) {
  absent("gemm_s8s8s32_cublas_in");
}
void transpose_s8(const std::int8_t*, std::int64_t, std::int64_t, std::int64_t, std::int8_t*,
                  std::int64_t, const Stream&) {
  absent("transpose_s8");
}
void sgemm_cublas_default_math(std::int64_t, std::int64_t, std::int64_t, const float*, const float*,
                               float*, const Stream&) {
  absent("sgemm_cublas_default_math");
}

}  // namespace tandem::cuda
