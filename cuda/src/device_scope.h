// Makes a device current for the calling thread (kernels and CUB launch on the current
// device, which must be the stream's) and restores the previous one on exit.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "check.h"

namespace tandem::cuda::detail {

class DeviceScope {
 public:
  explicit DeviceScope(int device) {
    TANDEM_CUDA_CHECK(cudaGetDevice(&previous_));
    if (previous_ != device) {
      TANDEM_CUDA_CHECK(cudaSetDevice(device));
      changed_ = true;
    }
  }
  ~DeviceScope() {
    if (changed_) static_cast<void>(cudaSetDevice(previous_));
  }
  DeviceScope(const DeviceScope&) = delete;
  DeviceScope& operator=(const DeviceScope&) = delete;

 private:
  int previous_ = 0;
  bool changed_ = false;
};

// Blocks for a grid-stride launch of `threads_per_block`-thread blocks over
// `work_items` items on `device`: one item per thread, up to what the device keeps
// resident at once (defined in elementwise.cu).
int elementwise_blocks(int device, std::int64_t work_items, int threads_per_block);

}  // namespace tandem::cuda::detail
