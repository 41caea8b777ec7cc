// Stream-ordered device scratch memory (cudaMallocAsync / cudaFreeAsync): freed after
// the work queued on the stream before the destructor, without waiting for it, so a
// call that needs temporaries neither synchronizes nor pays cudaMalloc's cost.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>

#include "check.h"

namespace tandem::cuda::detail {

class StreamScratch {
 public:
  StreamScratch(std::size_t bytes, cudaStream_t stream) : stream_(stream) {
    TANDEM_CUDA_CHECK(cudaMallocAsync(&ptr_, bytes, stream));
  }
  ~StreamScratch() { cudaFreeAsync(ptr_, stream_); }
  StreamScratch(const StreamScratch&) = delete;
  StreamScratch& operator=(const StreamScratch&) = delete;
  template <typename T>
  T* as(std::size_t byte_offset = 0) const {
    return reinterpret_cast<T*>(static_cast<unsigned char*>(ptr_) + byte_offset);
  }

 private:
  void* ptr_ = nullptr;
  cudaStream_t stream_;
};

}  // namespace tandem::cuda::detail
