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

// Before a kernel launch: an error still pending from an earlier asynchronous operation
// would otherwise surface after the launch and be blamed on this kernel. It is reported
// as what it is (and cleared, where it is not sticky), and the kernel is not launched.
inline void check_before_launch(const char* kernel) {
  const cudaError_t status = cudaGetLastError();
  if (status != cudaSuccess) {
    throw DeviceError(std::string(kernel) + ": not launched: an earlier CUDA operation failed: " +
                      cudaGetErrorString(status));
  }
}

}  // namespace tandem::cuda::detail

#define TANDEM_CUDA_CHECK(call) ::tandem::cuda::detail::check((call), #call)

#define TANDEM_CUDA_CHECK_BEFORE_LAUNCH(kernel) ::tandem::cuda::detail::check_before_launch(kernel)

// After a kernel launch: a bad configuration or a missing kernel image surfaces here.
#define TANDEM_CUDA_CHECK_LAUNCH(kernel) ::tandem::cuda::detail::check(cudaGetLastError(), kernel)
