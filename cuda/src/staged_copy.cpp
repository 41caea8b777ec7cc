// Pageable host memory cannot be read by the copy engines, so cudaMemcpy from it goes
// through the driver's own small bounce buffer, at a fraction of the link's bandwidth.
// Here the host side is copied, chunk by chunk, into one of two pinned buffers while
// the copy engine moves the other: the CPU's memcpy and the DMA overlap.
#include "staged_copy.h"

#include <algorithm>
#include <cstring>

#include <tandem/cuda/memory.h>
#include "check.h"

namespace tandem::cuda::detail {
namespace {

// Chunks of 4 MiB; copies under 1 MiB are left to cudaMemcpy, whose latency they are
// dominated by. (Sizes to be tuned on a GPU: `tandem_bench --benchmark_filter=transfer/`.)
constexpr std::size_t kChunkBytes = std::size_t{4} << 20;
constexpr std::size_t kMinStagedBytes = std::size_t{1} << 20;

// Two pinned chunks per thread that stages a copy: no lock, and pinned memory is
// portable across devices (unified addressing).
struct StagingBuffers {
  PinnedBuffer slot[2] = {PinnedBuffer(kChunkBytes), PinnedBuffer(kChunkBytes)};
};

StagingBuffers& staging_buffers() {
  thread_local StagingBuffers buffers;
  return buffers;
}

// One event per slot: "the copy engine is done with this slot's chunk".
class SlotEvents {
 public:
  SlotEvents() {
    for (cudaEvent_t& e : events_) {
      const cudaError_t status = cudaEventCreateWithFlags(&e, cudaEventDisableTiming);
      if (status != cudaSuccess) {  // a throwing constructor runs no destructor
        e = nullptr;
        for (cudaEvent_t made : events_) {
          if (made != nullptr) cudaEventDestroy(made);
        }
        detail::check(status, "cudaEventCreateWithFlags(&e, cudaEventDisableTiming)");
      }
    }
  }
  ~SlotEvents() {
    for (cudaEvent_t e : events_) {
      if (e != nullptr) cudaEventDestroy(e);
    }
  }
  SlotEvents(const SlotEvents&) = delete;
  SlotEvents& operator=(const SlotEvents&) = delete;
  cudaEvent_t operator[](std::size_t slot) const { return events_[slot]; }

 private:
  cudaEvent_t events_[2] = {nullptr, nullptr};
};

bool is_page_locked(const void* host) {
  cudaPointerAttributes attributes{};
  if (cudaPointerGetAttributes(&attributes, host) != cudaSuccess) {
    cudaGetLastError();  // unregistered memory on older drivers: not page-locked
    return false;
  }
  return attributes.type == cudaMemoryTypeHost;
}

void to_device(char* dst, const char* src, std::size_t bytes) {
  StagingBuffers& buffers = staging_buffers();
  const SlotEvents done;
  std::size_t chunk = 0;
  for (std::size_t offset = 0; offset < bytes; offset += kChunkBytes, ++chunk) {
    const std::size_t slot = chunk % 2;
    const std::size_t n = std::min(kChunkBytes, bytes - offset);
    if (chunk >= 2) TANDEM_CUDA_CHECK(cudaEventSynchronize(done[slot]));
    char* pinned = static_cast<char*>(buffers.slot[slot].get());
    std::memcpy(pinned, src + offset, n);
    TANDEM_CUDA_CHECK(cudaMemcpyAsync(dst + offset, pinned, n, cudaMemcpyHostToDevice, nullptr));
    TANDEM_CUDA_CHECK(cudaEventRecord(done[slot], nullptr));
  }
  TANDEM_CUDA_CHECK(cudaStreamSynchronize(nullptr));
}

void to_host(char* dst, const char* src, std::size_t bytes) {
  StagingBuffers& buffers = staging_buffers();
  const SlotEvents done;
  const auto issue = [&](std::size_t chunk) {
    const std::size_t offset = chunk * kChunkBytes;
    const std::size_t slot = chunk % 2;
    TANDEM_CUDA_CHECK(cudaMemcpyAsync(buffers.slot[slot].get(), src + offset,
                                      std::min(kChunkBytes, bytes - offset), cudaMemcpyDeviceToHost,
                                      nullptr));
    TANDEM_CUDA_CHECK(cudaEventRecord(done[slot], nullptr));
  };
  const std::size_t chunks = (bytes + kChunkBytes - 1) / kChunkBytes;
  issue(0);
  for (std::size_t chunk = 0; chunk < chunks; ++chunk) {
    // The next chunk's slot was emptied by the memcpy of the previous iteration.
    if (chunk + 1 < chunks) issue(chunk + 1);
    const std::size_t slot = chunk % 2;
    const std::size_t offset = chunk * kChunkBytes;
    TANDEM_CUDA_CHECK(cudaEventSynchronize(done[slot]));
    std::memcpy(dst + offset, buffers.slot[slot].get(), std::min(kChunkBytes, bytes - offset));
  }
}

}  // namespace

void staged_copy(void* dst, const void* src, std::size_t bytes, cudaMemcpyKind kind) {
  const bool to_dev = kind == cudaMemcpyHostToDevice;
  const void* host = to_dev ? src : dst;
  if (bytes < kMinStagedBytes || is_page_locked(host)) {
    TANDEM_CUDA_CHECK(cudaMemcpy(dst, src, bytes, kind));
  } else if (to_dev) {
    to_device(static_cast<char*>(dst), static_cast<const char*>(src), bytes);
  } else {
    to_host(static_cast<char*>(dst), static_cast<const char*>(src), bytes);
  }
}

}  // namespace tandem::cuda::detail
