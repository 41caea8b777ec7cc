// The GPU's FP32 FMA ceiling: every resident thread runs independent FMA chains in
// registers (enough to cover the FMA latency of 4 cycles on each of the SM's 4
// schedulers), and one thread in the whole grid stores a result so that the chains
// stay live.
#include <cuda_runtime.h>

#include <cstdint>

#include <tandem/cuda/kernels.h>
#include "check.h"
#include "device_scope.h"

namespace tandem::cuda {
namespace {

constexpr int kChains = 8;
constexpr int kThreads = 256;

__device__ float g_sink;

__global__ void fma_peak_kernel(std::int64_t iterations) {
  float acc[kChains];
#pragma unroll
  for (int i = 0; i < kChains; ++i) acc[i] = static_cast<float>(threadIdx.x + i);
  const float a = 0.999999f, b = 1e-7f;
  for (std::int64_t it = 0; it < iterations; ++it) {
#pragma unroll
    for (int i = 0; i < kChains; ++i) acc[i] = fmaf(acc[i], a, b);
  }
  float sum = 0.0f;
#pragma unroll
  for (int i = 0; i < kChains; ++i) sum += acc[i];
  if (sum == -1.0f) g_sink = sum;  // never true; the compiler cannot know
}

}  // namespace

double fma_peak(std::int64_t iterations, const Stream& stream) {
  const int device = stream.device();
  const detail::DeviceScope scope(device);
  int sms = 0, threads_per_sm = 0;
  TANDEM_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  TANDEM_CUDA_CHECK(
      cudaDeviceGetAttribute(&threads_per_sm, cudaDevAttrMaxThreadsPerMultiProcessor, device));
  const int blocks = sms * (threads_per_sm / kThreads);
  TANDEM_CUDA_CHECK_BEFORE_LAUNCH("fma_peak_kernel");
  fma_peak_kernel<<<blocks, kThreads, 0, static_cast<cudaStream_t>(stream.native())>>>(iterations);
  TANDEM_CUDA_CHECK_LAUNCH("fma_peak_kernel");
  return 2.0 * kChains * static_cast<double>(iterations) * blocks * kThreads;
}

}  // namespace tandem::cuda
