// Turns a failed CUDA runtime call into a DeviceError naming the call.
#pragma once

#include <cuda_runtime_api.h>

#include <string>

#include <tandem/error.h>

namespace tandem::cuda::detail {

inline void check(cudaError_t status, const char* call) {
  if (status != cudaSuccess) {
    throw DeviceError(std::string(call) + ": " + cudaGetErrorString(status));
  }
}

}  // namespace tandem::cuda::detail

#define TANDEM_CUDA_CHECK(call) ::tandem::cuda::detail::check((call), #call)

// After a kernel launch: a bad configuration or a missing kernel image surfaces here.
#define TANDEM_CUDA_CHECK_LAUNCH(kernel) ::tandem::cuda::detail::check(cudaGetLastError(), kernel)
