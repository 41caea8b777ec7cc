#include <cuda_runtime_api.h>
#include <dlfcn.h>

#include <string>

#include <tandem/cuda/memory.h>
#include <tandem/cuda/runtime.h>
#include "check.h"
#include "device_scope.h"
#include "staged_copy.h"

namespace tandem::cuda {
namespace {

struct Discovery {
  int count = 0;
  std::string reason;
};

bool driver_library_present() {
  void* driver = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL);
  if (driver == nullptr) return false;
  dlclose(driver);
  return true;
}

Discovery discover() {
  Discovery d;
  const cudaError_t status = cudaGetDeviceCount(&d.count);
  if (status != cudaSuccess) {
    cudaGetLastError();  // clear it, so it does not surface from a later call
    d.count = 0;
    d.reason = std::string("cudaGetDeviceCount: ") + cudaGetErrorString(status);
    // The static runtime says "driver version is insufficient" also when there is no
    // driver at all: tell the two apart by whether the driver library loads.
    if (status == cudaErrorInsufficientDriver && !driver_library_present()) {
      d.reason = "no NVIDIA driver (libcuda.so.1 cannot be loaded)";
    }
  } else if (d.count == 0) {
    d.reason = "cudaGetDeviceCount: no CUDA device";
  }
  return d;
}

const Discovery& discovery() {
  static const Discovery d = discover();
  return d;
}

int attribute(cudaDeviceAttr attr, int device) {
  int value = 0;
  TANDEM_CUDA_CHECK(cudaDeviceGetAttribute(&value, attr, device));
  return value;
}

// Blocking copies and fills are ordered against every stream of the device: they wait
// for all work queued before them (a download sees finished kernels, even on Tandem's
// non-blocking streams) and are complete when they return (an upload from pageable
// memory is visible to the next kernel on any stream).
void copy(int device, void* dst, const void* src, std::size_t bytes, cudaMemcpyKind kind) {
  if (bytes == 0) return;
  detail::DeviceScope guard(device);
  TANDEM_CUDA_CHECK(cudaDeviceSynchronize());
  if (kind == cudaMemcpyDeviceToDevice) {
    TANDEM_CUDA_CHECK(cudaMemcpy(dst, src, bytes, kind));
  } else {
    detail::staged_copy(dst, src, bytes, kind);
  }
  TANDEM_CUDA_CHECK(cudaDeviceSynchronize());
}

cudaStream_t as_stream(void* handle) { return static_cast<cudaStream_t>(handle); }
cudaEvent_t as_event(void* handle) { return static_cast<cudaEvent_t>(handle); }

}  // namespace

bool built_with_cuda() { return true; }

int device_count() { return discovery().count; }

const std::string& unavailable_reason() { return discovery().reason; }

void require_device(const char* op, int device) {
  if (device_count() == 0) {
    throw DeviceError(std::string(op) + ": cuda:" + std::to_string(device) +
                      " requested but no GPU is usable (" + unavailable_reason() + ")");
  }
  if (device < 0 || device >= device_count()) {
    throw DeviceError(std::string(op) + ": cuda:" + std::to_string(device) +
                      " does not exist (devices: " + std::to_string(device_count()) + ")");
  }
}

GpuProperties device_properties(int device) {
  require_device("device_properties", device);
  cudaDeviceProp prop{};
  TANDEM_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
  GpuProperties p;
  p.index = device;
  p.name = prop.name;
  p.compute_major = prop.major;
  p.compute_minor = prop.minor;
  p.sm_count = prop.multiProcessorCount;
  p.warp_size = prop.warpSize;
  p.max_threads_per_sm = prop.maxThreadsPerMultiProcessor;
  p.clock_khz = attribute(cudaDevAttrClockRate, device);
  p.memory_clock_khz = attribute(cudaDevAttrMemoryClockRate, device);
  p.memory_bus_bits = attribute(cudaDevAttrGlobalMemoryBusWidth, device);
  p.global_memory_bytes = static_cast<std::int64_t>(prop.totalGlobalMem);
  p.l2_bytes = prop.l2CacheSize;
  p.shared_memory_per_sm_bytes = static_cast<std::int64_t>(prop.sharedMemPerMultiprocessor);
  p.shared_memory_per_block_optin_bytes = static_cast<std::int64_t>(prop.sharedMemPerBlockOptin);
  return p;
}

void* device_malloc(int device, std::size_t bytes) {
  require_device("device_malloc", device);
  if (bytes == 0) return nullptr;
  detail::DeviceScope guard(device);
  void* ptr = nullptr;
  const cudaError_t status = cudaMalloc(&ptr, bytes);
  if (status != cudaSuccess) {
    cudaGetLastError();
    throw DeviceError("cudaMalloc of " + std::to_string(bytes) + " bytes on cuda:" +
                      std::to_string(device) + ": " + cudaGetErrorString(status));
  }
  return ptr;
}

void device_free(int device, void* ptr) noexcept {
  if (ptr == nullptr) return;
  int previous = 0;
  cudaGetDevice(&previous);
  cudaSetDevice(device);
  cudaFree(ptr);
  cudaSetDevice(previous);
}

void copy_host_to_device(int device, void* dst, const void* src, std::size_t bytes) {
  copy(device, dst, src, bytes, cudaMemcpyHostToDevice);
}
void copy_device_to_host(int device, void* dst, const void* src, std::size_t bytes) {
  copy(device, dst, src, bytes, cudaMemcpyDeviceToHost);
}
void copy_device_to_device(int device, void* dst, const void* src, std::size_t bytes) {
  copy(device, dst, src, bytes, cudaMemcpyDeviceToDevice);
}

void memset_zero(int device, void* ptr, std::size_t bytes) {
  if (bytes == 0) return;
  detail::DeviceScope guard(device);
  TANDEM_CUDA_CHECK(cudaDeviceSynchronize());
  TANDEM_CUDA_CHECK(cudaMemset(ptr, 0, bytes));
  TANDEM_CUDA_CHECK(cudaDeviceSynchronize());
}

int pointer_device(const void* ptr) {
  if (ptr == nullptr || device_count() == 0) return -1;
  cudaPointerAttributes attributes{};
  if (cudaPointerGetAttributes(&attributes, ptr) != cudaSuccess) {
    cudaGetLastError();  // memory CUDA does not know: the host's
    return -1;
  }
  const bool on_device =
      attributes.type == cudaMemoryTypeDevice || attributes.type == cudaMemoryTypeManaged;
  return on_device ? attributes.device : -1;
}

PinnedBuffer::PinnedBuffer(std::size_t bytes) : bytes_(bytes) {
  if (bytes == 0) return;
  const cudaError_t status = cudaMallocHost(&ptr_, bytes);
  if (status != cudaSuccess) {
    cudaGetLastError();
    ptr_ = nullptr;
    throw DeviceError("cudaMallocHost of " + std::to_string(bytes) +
                      " bytes: " + cudaGetErrorString(status));
  }
}

void PinnedBuffer::release() noexcept {
  if (ptr_ != nullptr) cudaFreeHost(ptr_);
  ptr_ = nullptr;
  bytes_ = 0;
}

Stream::Stream(int device) : device_(device) {
  require_device("Stream", device);
  detail::DeviceScope guard(device);
  cudaStream_t s = nullptr;
  TANDEM_CUDA_CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  handle_ = s;
}

Stream::~Stream() {
  if (handle_ != nullptr) cudaStreamDestroy(as_stream(handle_));
}

void Stream::synchronize() const { TANDEM_CUDA_CHECK(cudaStreamSynchronize(as_stream(handle_))); }

EventTimer::EventTimer(int device) : device_(device) {
  require_device("EventTimer", device);
  detail::DeviceScope guard(device);
  cudaEvent_t start = nullptr;
  cudaEvent_t stop = nullptr;
  TANDEM_CUDA_CHECK(cudaEventCreate(&start));
  // A constructor that throws runs no destructor: the first event goes with the failure.
  if (const cudaError_t status = cudaEventCreate(&stop); status != cudaSuccess) {
    cudaEventDestroy(start);
    detail::check(status, "cudaEventCreate(&stop)");
  }
  start_ = start;
  stop_ = stop;
}

EventTimer::~EventTimer() {
  if (start_ != nullptr) cudaEventDestroy(as_event(start_));
  if (stop_ != nullptr) cudaEventDestroy(as_event(stop_));
}

void EventTimer::start(const Stream& stream) {
  TANDEM_CUDA_CHECK(cudaEventRecord(as_event(start_), as_stream(stream.native())));
}

void EventTimer::stop(const Stream& stream) {
  TANDEM_CUDA_CHECK(cudaEventRecord(as_event(stop_), as_stream(stream.native())));
}

double EventTimer::elapsed_us() const {
  TANDEM_CUDA_CHECK(cudaEventSynchronize(as_event(stop_)));
  float ms = 0.0f;
  TANDEM_CUDA_CHECK(cudaEventElapsedTime(&ms, as_event(start_), as_event(stop_)));
  return double{ms} * 1000.0;
}

}  // namespace tandem::cuda
