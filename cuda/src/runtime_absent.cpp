// The CUDA runtime of a build without CUDA: no devices, and a DeviceError that says
// so for anything that needs one.
#include <string>

#include <tandem/cuda/memory.h>
#include <tandem/cuda/runtime.h>
#include <tandem/error.h>

namespace tandem::cuda {
namespace {

[[noreturn]] void absent(const char* op) {
  throw DeviceError(std::string(op) + ": " + unavailable_reason());
}

}  // namespace

bool built_with_cuda() { return false; }
int device_count() { return 0; }

int pointer_device(const void*) { return -1; }

const std::string& unavailable_reason() {
  static const std::string reason = "Tandem was built without CUDA (TANDEM_CUDA=OFF or no nvcc)";
  return reason;
}

void require_device(const char* op, int device) {
  throw DeviceError(std::string(op) + ": cuda:" + std::to_string(device) +
                    " requested but no GPU is usable (" + unavailable_reason() + ")");
}
GpuProperties device_properties(int /*device*/) { absent("device_properties"); }
void* device_malloc(int /*device*/, std::size_t /*bytes*/) { absent("device_malloc"); }
void device_free(int /*device*/, void* /*ptr*/) noexcept {}
void copy_host_to_device(int, void*, const void*, std::size_t) { absent("copy_host_to_device"); }
void copy_device_to_host(int, void*, const void*, std::size_t) { absent("copy_device_to_host"); }
void copy_device_to_device(int, void*, const void*, std::size_t) {
  absent("copy_device_to_device");
}
void memset_zero(int, void*, std::size_t) { absent("memset_zero"); }

Stream::Stream(int device) : device_(device) { absent("Stream"); }
Stream::~Stream() = default;
void Stream::synchronize() const { absent("Stream::synchronize"); }

EventTimer::EventTimer(int device) : device_(device) { absent("EventTimer"); }
EventTimer::~EventTimer() = default;
void EventTimer::start(const Stream&) { absent("EventTimer::start"); }
void EventTimer::stop(const Stream&) { absent("EventTimer::stop"); }
double EventTimer::elapsed_us() const { absent("EventTimer::elapsed_us"); }

void launch_empty_kernel(const Stream&) { absent("launch_empty_kernel"); }

PinnedBuffer::PinnedBuffer(std::size_t bytes) : bytes_(bytes) { absent("PinnedBuffer"); }
void PinnedBuffer::release() noexcept {}

}  // namespace tandem::cuda
