// Element-wise kernels: relu, add, multiply, squared_difference and copy.
//
// Grid-stride loops over 256-thread blocks; the grid is at most what the device keeps
// resident at once (SMs x max threads per SM / 256), fewer for small inputs. relu and
// add also take an explicit LaunchConfig (the analyzer's sweep; the tests' small grids). When every
// pointer is 16-byte aligned the loop moves float4s (128-bit loads and stores) and the
// first n % 4 threads finish the scalar tail; otherwise it moves single floats. Every
// thread reads an element and writes the same element, so an output may alias an input.
//
// Bit-exact with the reference: the arithmetic is the IEEE round-to-nearest intrinsics
// (__fadd_rn, __fmul_rn, __fsub_rn), which nvcc never contracts into an FMA, and
// without -ftz denormals are kept as the CPU keeps them.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include <tandem/cuda/kernels.h>
#include <tandem/cuda/runtime.h>
#include <tandem/error.h>
#include "check.h"
#include "device_scope.h"

namespace tandem::cuda {
namespace {

using detail::DeviceScope;

// Resident blocks of threads_per_block per device (the limits read once for all devices).
int resident_blocks(int device, int threads_per_block) {
  struct Limits {
    int sms = 0;
    int threads_per_sm = 0;
  };
  static const std::vector<Limits> limits = [] {
    std::vector<Limits> all;
    for (int d = 0; d < device_count(); ++d) {
      Limits l;
      TANDEM_CUDA_CHECK(cudaDeviceGetAttribute(&l.sms, cudaDevAttrMultiProcessorCount, d));
      TANDEM_CUDA_CHECK(
          cudaDeviceGetAttribute(&l.threads_per_sm, cudaDevAttrMaxThreadsPerMultiProcessor, d));
      all.push_back(l);
    }
    return all;
  }();
  if (device < 0 || static_cast<std::size_t>(device) >= limits.size()) {
    throw DeviceError("elementwise_blocks: cuda:" + std::to_string(device) + " does not exist");
  }
  const Limits& l = limits[static_cast<std::size_t>(device)];
  return std::max(l.sms, 1) * std::max(l.threads_per_sm / threads_per_block, 1);
}

bool aligned16(const void* p) { return reinterpret_cast<std::uintptr_t>(p) % 16 == 0; }

// The global index of this thread and the grid's stride, in 64 bits.
__device__ std::int64_t thread_index() {
  return std::int64_t{blockIdx.x} * blockDim.x + threadIdx.x;
}
__device__ std::int64_t grid_stride() { return std::int64_t{gridDim.x} * blockDim.x; }

struct Relu {
  // The reference's (v > 0 || isnan(v)) ? v : 0: NaN fails v <= 0 and propagates, while
  // -0 passes it and becomes +0.
  __device__ float operator()(float v) const { return v <= 0.0f ? 0.0f : v; }
};
struct Identity {
  __device__ float operator()(float v) const { return v; }
};
struct Add {
  __device__ float operator()(float a, float b) const { return __fadd_rn(a, b); }
};
struct Multiply {
  __device__ float operator()(float a, float b) const { return __fmul_rn(a, b); }
};
struct SquaredDifference {
  __device__ float operator()(float a, float b) const {
    const float d = __fsub_rn(a, b);
    return __fmul_rn(d, d);
  }
};

// y[i] = op(x[i]); x and y 16-byte aligned.
template <typename Op>
__global__ void unary_vec4_kernel(const float* x, float* y, std::int64_t n, Op op) {
  const std::int64_t n4 = n / 4;
  const auto* x4 = reinterpret_cast<const float4*>(x);
  auto* y4 = reinterpret_cast<float4*>(y);
  for (std::int64_t i = thread_index(); i < n4; i += grid_stride()) {
    const float4 v = x4[i];
    y4[i] = make_float4(op(v.x), op(v.y), op(v.z), op(v.w));
  }
  // The n % 4 (< 4) elements after the last float4: one each for threads 0..2.
  const std::int64_t tail = 4 * n4 + thread_index();
  if (tail < n) y[tail] = op(x[tail]);
}

template <typename Op>
__global__ void unary_scalar_kernel(const float* x, float* y, std::int64_t n, Op op) {
  for (std::int64_t i = thread_index(); i < n; i += grid_stride()) y[i] = op(x[i]);
}

// out[i] = op(x[i], y[i]); x, y and out 16-byte aligned.
template <typename Op>
__global__ void binary_vec4_kernel(const float* x, const float* y, float* out, std::int64_t n,
                                   Op op) {
  const std::int64_t n4 = n / 4;
  const auto* x4 = reinterpret_cast<const float4*>(x);
  const auto* y4 = reinterpret_cast<const float4*>(y);
  auto* out4 = reinterpret_cast<float4*>(out);
  for (std::int64_t i = thread_index(); i < n4; i += grid_stride()) {
    const float4 a = x4[i];
    const float4 b = y4[i];
    out4[i] = make_float4(op(a.x, b.x), op(a.y, b.y), op(a.z, b.z), op(a.w, b.w));
  }
  const std::int64_t tail = 4 * n4 + thread_index();
  if (tail < n) out[tail] = op(x[tail], y[tail]);
}

template <typename Op>
__global__ void binary_scalar_kernel(const float* x, const float* y, float* out, std::int64_t n,
                                     Op op) {
  for (std::int64_t i = thread_index(); i < n; i += grid_stride()) out[i] = op(x[i], y[i]);
}

// A launch shape's limits: threads a multiple of 32 up to 1024, blocks >= 0.
void check_launch_config(const char* name, const LaunchConfig& config) {
  const int threads = config.threads_per_block;
  if (threads < 32 || threads > 1024 || threads % 32 != 0 || config.blocks < 0) {
    throw ArgumentError(std::string(name) + ": launch of " + std::to_string(config.blocks) +
                        " blocks of " + std::to_string(threads) +
                        " threads (threads a multiple of 32 up to 1024, blocks >= 0)");
  }
}

// The grid: config.blocks when given, else one work item (a float4 on the vector path,
// at least one for the tail) per thread up to the resident maximum.
int launch_blocks(int device, std::int64_t n, bool vec, const LaunchConfig& config) {
  if (config.blocks > 0) return config.blocks;
  const std::int64_t items = vec ? std::max<std::int64_t>(n / 4, 1) : n;
  return detail::elementwise_blocks(device, items, config.threads_per_block);
}

// config: the default shape (256 threads, blocks for the work up to the resident
// maximum), or the one given.
template <typename Op>
void launch_unary(const char* name, const float* x, float* y, std::int64_t n, const Stream& stream,
                  Op op, const LaunchConfig& config = {}) {
  if (n <= 0) return;
  check_launch_config(name, config);
  const int device = stream.device();
  DeviceScope scope(device);
  const auto s = static_cast<cudaStream_t>(stream.native());
  const bool vec = aligned16(x) && aligned16(y);
  const int blocks = launch_blocks(device, n, vec, config);
  const int threads = config.threads_per_block;
  TANDEM_CUDA_CHECK_BEFORE_LAUNCH(name);
  if (vec) {
    unary_vec4_kernel<<<blocks, threads, 0, s>>>(x, y, n, op);
  } else {
    unary_scalar_kernel<<<blocks, threads, 0, s>>>(x, y, n, op);
  }
  TANDEM_CUDA_CHECK_LAUNCH(name);
}

template <typename Op>
void launch_binary(const char* name, const float* x, const float* y, float* out, std::int64_t n,
                   const Stream& stream, Op op, const LaunchConfig& config = {}) {
  if (n <= 0) return;
  check_launch_config(name, config);
  const int device = stream.device();
  DeviceScope scope(device);
  const auto s = static_cast<cudaStream_t>(stream.native());
  const bool vec = aligned16(x) && aligned16(y) && aligned16(out);
  const int blocks = launch_blocks(device, n, vec, config);
  const int threads = config.threads_per_block;
  TANDEM_CUDA_CHECK_BEFORE_LAUNCH(name);
  if (vec) {
    binary_vec4_kernel<<<blocks, threads, 0, s>>>(x, y, out, n, op);
  } else {
    binary_scalar_kernel<<<blocks, threads, 0, s>>>(x, y, out, n, op);
  }
  TANDEM_CUDA_CHECK_LAUNCH(name);
}

}  // namespace

namespace detail {

int elementwise_blocks(int device, std::int64_t work_items, int threads_per_block) {
  const std::int64_t wanted =
      (std::max<std::int64_t>(work_items, 1) + threads_per_block - 1) / threads_per_block;
  return static_cast<int>(
      std::min<std::int64_t>(wanted, resident_blocks(device, threads_per_block)));
}

}  // namespace detail

void relu(const float* x, float* y, std::int64_t n, const Stream& stream) {
  launch_unary("relu", x, y, n, stream, Relu{});
}

void relu(const float* x, float* y, std::int64_t n, const Stream& stream,
          const LaunchConfig& config) {
  launch_unary("relu", x, y, n, stream, Relu{}, config);
}

void add(const float* x, const float* y, float* out, std::int64_t n, const Stream& stream) {
  launch_binary("add", x, y, out, n, stream, Add{});
}

void add(const float* x, const float* y, float* out, std::int64_t n, const Stream& stream,
         const LaunchConfig& config) {
  launch_binary("add", x, y, out, n, stream, Add{}, config);
}

void multiply(const float* x, const float* y, float* out, std::int64_t n, const Stream& stream) {
  launch_binary("multiply", x, y, out, n, stream, Multiply{});
}

void squared_difference(const float* x, const float* y, float* out, std::int64_t n,
                        const Stream& stream) {
  launch_binary("squared_difference", x, y, out, n, stream, SquaredDifference{});
}

void copy(const float* x, float* y, std::int64_t n, const Stream& stream) {
  launch_unary("copy", x, y, n, stream, Identity{});
}

void copy_engine(const float* x, float* y, std::int64_t n, const Stream& stream) {
  if (n <= 0) return;
  DeviceScope scope(stream.device());
  TANDEM_CUDA_CHECK(cudaMemcpyAsync(y, x, static_cast<std::size_t>(n) * sizeof(float),
                                    cudaMemcpyDeviceToDevice,
                                    static_cast<cudaStream_t>(stream.native())));
}

}  // namespace tandem::cuda
