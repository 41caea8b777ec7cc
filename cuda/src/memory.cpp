// What builds with and without CUDA share: DeviceBuffer on the runtime's
// device_malloc/device_free (which work, or throw "no GPU", in both), the move and
// release logic of PinnedBuffer (whose allocation is the runtime's), and the names.
#include <utility>

#include <tandem/cuda/kernels.h>
#include <tandem/cuda/memory.h>
#include <tandem/cuda/runtime.h>

namespace tandem::cuda {

DeviceBuffer::DeviceBuffer(int device, std::size_t bytes)
    : device_(device), ptr_(device_malloc(device, bytes)), bytes_(bytes) {}

DeviceBuffer::~DeviceBuffer() { release(); }

DeviceBuffer::DeviceBuffer(DeviceBuffer&& other) noexcept
    : device_(other.device_),
      ptr_(std::exchange(other.ptr_, nullptr)),
      bytes_(std::exchange(other.bytes_, 0)) {}

DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& other) noexcept {
  if (this != &other) {
    release();
    device_ = other.device_;
    ptr_ = std::exchange(other.ptr_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

void DeviceBuffer::release() noexcept {
  device_free(device_, ptr_);
  ptr_ = nullptr;
  bytes_ = 0;
}

PinnedBuffer::~PinnedBuffer() { release(); }

PinnedBuffer::PinnedBuffer(PinnedBuffer&& other) noexcept
    : ptr_(std::exchange(other.ptr_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}

PinnedBuffer& PinnedBuffer::operator=(PinnedBuffer&& other) noexcept {
  if (this != &other) {
    release();
    ptr_ = std::exchange(other.ptr_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

const char* sgemm_impl_name(SgemmImpl impl) {
  switch (impl) {
    case SgemmImpl::tiled_basic:
      return "cuda.tiled_basic";
    case SgemmImpl::tiled:
      return "cuda.tiled";
    case SgemmImpl::cublas:
      return "cuda.cublas";
  }
  return "cuda.?";
}

}  // namespace tandem::cuda
