// GPU/CPU parity tests: moving test data to and from device 0.
#pragma once

#include <cstdint>
#include <vector>

#include <tandem/cuda/memory.h>
#include <tandem/cuda/runtime.h>

#include "gpu_test.h"

namespace tandem::testing {

template <typename T>
cuda::DeviceBuffer upload(const std::vector<T>& host, int device = 0) {
  cuda::DeviceBuffer buffer(device, host.size() * sizeof(T));
  cuda::copy_host_to_device(device, buffer.get(), host.data(), host.size() * sizeof(T));
  return buffer;
}

template <typename T>
std::vector<T> download(const cuda::DeviceBuffer& buffer, std::size_t count) {
  std::vector<T> host(count);
  cuda::copy_device_to_host(buffer.device(), host.data(), buffer.get(), count * sizeof(T));
  return host;
}

}  // namespace tandem::testing
