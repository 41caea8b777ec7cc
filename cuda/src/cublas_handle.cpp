#include "cublas_handle.h"

#include <cuda_runtime_api.h>

#include <map>
#include <string>

#include <tandem/error.h>

namespace tandem::cuda::detail {
namespace {

// This thread's handles by device. Destroyed with the thread; errors are ignored
// there (at process exit the CUDA context may already be going away).
class Handles {
 public:
  Handles() = default;
  Handles(const Handles&) = delete;
  Handles& operator=(const Handles&) = delete;
  ~Handles() {
    int previous = 0;
    const bool restore = cudaGetDevice(&previous) == cudaSuccess;
    for (const auto& [device, handle] : by_device_) {
      if (cudaSetDevice(device) != cudaSuccess) continue;
      // The handle remembers the last stream it ran on, which may already be destroyed
      // (another thread-local, or the caller's): back to the default stream first.
      cublasSetStream(handle, nullptr);
      cublasDestroy(handle);
    }
    if (restore) cudaSetDevice(previous);
  }

  cublasHandle_t get(int device) {
    const auto found = by_device_.find(device);
    if (found != by_device_.end()) return found->second;
    cublasHandle_t handle = nullptr;
    TANDEM_CUBLAS_CHECK(cublasCreate(&handle));
    try {
      TANDEM_CUBLAS_CHECK(cublasSetPointerMode(handle, CUBLAS_POINTER_MODE_HOST));
      by_device_.emplace(device, handle);
    } catch (...) {
      cublasDestroy(handle);
      throw;
    }
    return handle;
  }

 private:
  std::map<int, cublasHandle_t> by_device_;
};

thread_local Handles handles;

}  // namespace

void cublas_check(cublasStatus_t status, const char* call) {
  if (status != CUBLAS_STATUS_SUCCESS) {
    throw DeviceError(std::string(call) + ": " + cublasGetStatusString(status));
  }
}

cublasHandle_t cublas_handle(const Stream& stream, cublasMath_t math_mode) {
  cublasHandle_t handle = handles.get(stream.device());
  TANDEM_CUBLAS_CHECK(cublasSetStream(handle, static_cast<cudaStream_t>(stream.native())));
  TANDEM_CUBLAS_CHECK(cublasSetMathMode(handle, math_mode));
  return handle;
}

}  // namespace tandem::cuda::detail
