// A CUB transform-reduce over the indices 0..n-1, its result copied back: what the
// reductions and the quantization scans share.
#pragma once

#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include <thrust/iterator/counting_iterator.h>
#include <cub/device/device_reduce.cuh>

#include <tandem/cuda/memory.h>
#include <tandem/cuda/runtime.h>
#include "check.h"
#include "device_scope.h"

namespace tandem::cuda::detail {

// reduce(init, transform(0), ..., transform(n - 1)) on the device, for n > 0; waits.
template <typename T, typename ReduceOp, typename TransformOp>
T transform_reduce(const char* op, std::int64_t n, ReduceOp reduce, TransformOp transform, T init,
                   const Stream& stream) {
  const int device = stream.device();
  DeviceScope scope(device);
  const auto s = static_cast<cudaStream_t>(stream.native());
  const std::string call = std::string(op) + ": cub::DeviceReduce::TransformReduce";
  const thrust::counting_iterator<std::int64_t> first(0);

  std::size_t temp_bytes = 0;
  detail::check(
      cub::DeviceReduce::TransformReduce(nullptr, temp_bytes, first, static_cast<T*>(nullptr), n,
                                         reduce, transform, init, s),
      call.c_str());
  // The result first, then the temporary storage at the next 256-byte boundary.
  constexpr std::size_t kResultBytes = (sizeof(T) + 255) / 256 * 256;
  const DeviceBuffer buffer(device, kResultBytes + std::max<std::size_t>(temp_bytes, 1));
  auto* result = buffer.as<T>();
  void* temp = static_cast<char*>(buffer.get()) + kResultBytes;
  detail::check(cub::DeviceReduce::TransformReduce(temp, temp_bytes, first, result, n, reduce,
                                                   transform, init, s),
                call.c_str());
  T host{};
  TANDEM_CUDA_CHECK(cudaMemcpyAsync(&host, result, sizeof(T), cudaMemcpyDeviceToHost, s));
  TANDEM_CUDA_CHECK(cudaStreamSynchronize(s));
  return host;
}

}  // namespace tandem::cuda::detail
