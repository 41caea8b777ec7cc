// The CUDA runtime as Tandem uses it: device discovery, memory, streams and event
// timing. This header needs no CUDA headers, so CPU-only consumers can include it.
//
// "No GPU" is a normal state, not an error: when cudaGetDeviceCount fails for any
// reason (no driver, a driver older than the runtime, no device) device_count() is 0
// and unavailable_reason() says why. Every other CUDA failure is a DeviceError that
// names the CUDA call and cudaGetErrorString.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace tandem::cuda {

// True when this build of Tandem contains the CUDA kernels.
bool built_with_cuda();

// Usable GPUs; detected once, never throws.
int device_count();

// Why device_count() is 0; empty when there is a GPU.
const std::string& unavailable_reason();

// Throws DeviceError naming `op` when `device` is not a usable GPU index.
void require_device(const char* op, int device);

struct GpuProperties {
  int index = 0;
  std::string name;
  int compute_major = 0;
  int compute_minor = 0;
  int sm_count = 0;
  int warp_size = 0;
  int max_threads_per_sm = 0;
  int clock_khz = 0;         // peak SM clock
  int memory_clock_khz = 0;  // peak memory clock
  int memory_bus_bits = 0;
  std::int64_t global_memory_bytes = 0;
  std::int64_t l2_bytes = 0;
  std::int64_t shared_memory_per_sm_bytes = 0;
  std::int64_t shared_memory_per_block_optin_bytes = 0;
};

GpuProperties device_properties(int device);

// ---- Memory (raw; Tensor and the RAII buffers sit on top) -------------------------
// The copies and memset_zero are blocking and ordered against every stream of the
// device: they wait for the work queued before them and are complete on return.
void* device_malloc(int device, std::size_t bytes);
void device_free(int device, void* ptr) noexcept;
void copy_host_to_device(int device, void* dst, const void* src, std::size_t bytes);
void copy_device_to_host(int device, void* dst, const void* src, std::size_t bytes);
void copy_device_to_device(int device, void* dst, const void* src, std::size_t bytes);
void memset_zero(int device, void* ptr, std::size_t bytes);
// The GPU whose memory ptr points into, or -1 for host memory (always -1 without a
// GPU). Managed memory counts as its device's.
int pointer_device(const void* ptr);

// ---- Streams and events -----------------------------------------------------------
// A non-blocking stream on one device. Every kernel launch takes one.
class Stream {
 public:
  explicit Stream(int device);
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  int device() const { return device_; }
  void* native() const { return handle_; }  // a cudaStream_t
  void synchronize() const;

 private:
  int device_;
  void* handle_ = nullptr;
};

// Times work enqueued on a stream between start() and stop() with CUDA events.
class EventTimer {
 public:
  explicit EventTimer(int device);
  ~EventTimer();
  EventTimer(const EventTimer&) = delete;
  EventTimer& operator=(const EventTimer&) = delete;

  void start(const Stream& stream);
  void stop(const Stream& stream);
  // Waits for the stop event; the elapsed GPU time in microseconds.
  double elapsed_us() const;

 private:
  int device_;
  void* start_ = nullptr;
  void* stop_ = nullptr;
};

// Launches a kernel that does nothing: what timing a launch costs by itself.
void launch_empty_kernel(const Stream& stream);

}  // namespace tandem::cuda
