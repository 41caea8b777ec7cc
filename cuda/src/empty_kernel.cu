#include <cuda_runtime.h>

#include <tandem/cuda/runtime.h>
#include "check.h"

namespace tandem::cuda {
namespace {

__global__ void empty_kernel() {}

}  // namespace

void launch_empty_kernel(const Stream& stream) {
  TANDEM_CUDA_CHECK_BEFORE_LAUNCH("empty_kernel");
  empty_kernel<<<1, 1, 0, static_cast<cudaStream_t>(stream.native())>>>();
  TANDEM_CUDA_CHECK(cudaGetLastError());
}

}  // namespace tandem::cuda
