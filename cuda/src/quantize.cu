// Symmetric per-tensor quantization on the device, bit-exact with the reference.
//
// Validation comes first and writes nothing: the bit width and the scale on the host;
// finiteness of x with a CUB reduction (quantize: the smallest index whose element is
// NaN/Inf, n if none; quantize_scale and quantized_relu: max of |x| with NaN/Inf mapped
// to +Inf, so a +Inf maximum means a bad element, whose index is then looked up). An
// error has the reference's message, the bad value and its index included.
//
// Bit-exactness: the scale is max|x| / quant_max in float on the host, as the reference
// computes it; inv_scale = 1 / scale is rounded to float once on the host; the kernels
// compute __fmul_rn(x, inv_scale) (never contracted into an FMA), clamp in float to the
// type's range and convert with __float2int_rn (round half to even, the reference's
// nearbyint in the default rounding mode). Clamping before rounding gives the same
// integer as rounding before clamping, since the bounds are integers. Dequantization is
// __fmul_rn(float(q), scale).
//
// The map kernels are grid-stride loops like elementwise.cu's: 4 elements per thread
// per step (one 128-bit float load or store) when both pointers are aligned to 4
// elements, single elements otherwise.
#include <cuda_runtime.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>

#include <thrust/iterator/counting_iterator.h>
#include <cub/device/device_reduce.cuh>
#include <cuda/functional>

#include <tandem/cuda/kernels.h>
#include <tandem/cuda/memory.h>
#include <tandem/cuda/runtime.h>
#include <tandem/error.h>
#include <tandem/quantization_rules.h>
#include "check.h"
#include "device_scope.h"
#include "transform_reduce.cuh"

namespace tandem::cuda {
namespace {

using detail::DeviceScope;
using detail::transform_reduce;

constexpr int kThreads = 256;

// ---- Host-side checks, with the reference's messages ---------------------------------

using quant::require_bits;
using quant::require_scale;

// ---- Device reductions -----------------------------------------------------------------

struct AbsOrInf {
  const float* x;
  __device__ float operator()(std::int64_t i) const {
    const float v = x[i];
    return isfinite(v) ? fabsf(v) : __int_as_float(0x7f800000);  // +Inf
  }
};

struct IndexIfNotFinite {
  const float* x;
  std::int64_t n;
  __device__ std::int64_t operator()(std::int64_t i) const { return isfinite(x[i]) ? n : i; }
};

// Throws the reference's ArgumentError if x[0..n) holds NaN or Inf, naming the first.
void check_finite(const char* op, const char* what, const float* x, std::int64_t n,
                  const Stream& stream) {
  if (n <= 0) return;
  const std::int64_t bad =
      transform_reduce(op, n, ::cuda::minimum<std::int64_t>{}, IndexIfNotFinite{x, n}, n, stream);
  if (bad >= n) return;
  float value = 0.0f;
  {
    DeviceScope scope(stream.device());
    const auto s = static_cast<cudaStream_t>(stream.native());
    TANDEM_CUDA_CHECK(cudaMemcpyAsync(&value, x + bad, sizeof(float), cudaMemcpyDeviceToHost, s));
    TANDEM_CUDA_CHECK(cudaStreamSynchronize(s));
  }
  throw ArgumentError(std::string(op) + ": " + what + " holds " + std::to_string(value) +
                      " at element " + std::to_string(bad) + " of " + std::to_string(n) +
                      "; quantization needs finite values");
}

// The reference's scale_of: bits, finiteness, then max|x| / quant_max in float.
float scale_of(const char* op, const float* x, std::int64_t n, int bits, const Stream& stream) {
  require_bits(op, bits);
  if (n <= 0) return 1.0f;
  const float max_abs =
      transform_reduce(op, n, ::cuda::maximum<float>{}, AbsOrInf{x}, 0.0f, stream);
  if (!std::isfinite(max_abs)) {
    check_finite(op, "input", x, n, stream);  // finds the bad element and throws
    throw ArgumentError(std::string(op) + ": input holds NaN or Inf");  // not reached
  }
  return quant::symmetric_scale(max_abs, bits);
}

// ---- Map kernels ---------------------------------------------------------------------------

template <typename Q>
using Range = quant::QuantRange<Q>;

// round_half_even(x * inv_scale) clamped to Q's range. A NaN product (0 * Inf, only
// possible with a subnormal scale whose inverse overflows) passes the clamp and
// converts to 0.
template <typename Q>
__device__ Q quantize_one(float x, float inv_scale) {
  const float v = __fmul_rn(x, inv_scale);
  const float c = v < Range<Q>::lo ? Range<Q>::lo : (v > Range<Q>::hi ? Range<Q>::hi : v);
  return static_cast<Q>(__float2int_rn(c));
}

template <typename Q>
struct Quantize {
  float inv_scale;
  __device__ Q operator()(float x) const { return quantize_one<Q>(x, inv_scale); }
};

template <typename Q>
struct Dequantize {
  float scale;
  __device__ float operator()(Q q) const { return __fmul_rn(static_cast<float>(q), scale); }
};

template <typename Q>
struct QuantizedRelu {
  float inv_scale;
  float scale;
  __device__ float operator()(float x) const {
    const Q q = quantize_one<Q>(x, inv_scale);
    return __fmul_rn(static_cast<float>(q > 0 ? q : Q{0}), scale);
  }
};

// Four elements moved as one aligned load or store (128 bits for float).
template <typename T>
struct alignas(4 * sizeof(T)) Pack4 {
  T v[4];
};

__device__ std::int64_t thread_index() {
  return std::int64_t{blockIdx.x} * blockDim.x + threadIdx.x;
}
__device__ std::int64_t grid_stride() { return std::int64_t{gridDim.x} * blockDim.x; }

// y[i] = op(x[i]); x and y aligned to 4 elements.
template <typename In, typename Out, typename Op>
__global__ void map_vec4_kernel(const In* x, Out* y, std::int64_t n, Op op) {
  const std::int64_t n4 = n / 4;
  const auto* x4 = reinterpret_cast<const Pack4<In>*>(x);
  auto* y4 = reinterpret_cast<Pack4<Out>*>(y);
  for (std::int64_t i = thread_index(); i < n4; i += grid_stride()) {
    const Pack4<In> a = x4[i];
    Pack4<Out> b;
#pragma unroll
    for (int j = 0; j < 4; ++j) b.v[j] = op(a.v[j]);
    y4[i] = b;
  }
  // The n % 4 (< 4) elements after the last pack: one each for threads 0..2.
  const std::int64_t tail = 4 * n4 + thread_index();
  if (tail < n) y[tail] = op(x[tail]);
}

template <typename In, typename Out, typename Op>
__global__ void map_scalar_kernel(const In* x, Out* y, std::int64_t n, Op op) {
  for (std::int64_t i = thread_index(); i < n; i += grid_stride()) y[i] = op(x[i]);
}

template <typename T>
bool aligned_to_4(const T* p) {
  return reinterpret_cast<std::uintptr_t>(p) % (4 * sizeof(T)) == 0;
}

template <typename In, typename Out, typename Op>
void launch_map(const char* op_name, const In* x, Out* y, std::int64_t n, const Stream& stream,
                Op op) {
  if (n <= 0) return;
  const int device = stream.device();
  DeviceScope scope(device);
  const auto s = static_cast<cudaStream_t>(stream.native());
  TANDEM_CUDA_CHECK_BEFORE_LAUNCH(op_name);
  if (aligned_to_4(x) && aligned_to_4(y)) {
    const int blocks =
        detail::elementwise_blocks(device, std::max<std::int64_t>(n / 4, 1), kThreads);
    map_vec4_kernel<<<blocks, kThreads, 0, s>>>(x, y, n, op);
  } else {
    map_scalar_kernel<<<detail::elementwise_blocks(device, n, kThreads), kThreads, 0, s>>>(x, y, n,
                                                                                           op);
  }
  TANDEM_CUDA_CHECK_LAUNCH(op_name);
}

// max(q, 0) on quantized values: the scale is unchanged.
struct ReluQuantized {
  template <typename Q>
  __device__ Q operator()(Q q) const {
    return q > 0 ? q : Q{0};
  }
};

template <typename Q>
void quantize_as(const float* x, std::int64_t n, float scale, Q* q, const Stream& stream) {
  require_scale("quantize", scale);
  check_finite("quantize", "input", x, n, stream);
  launch_map("quantize", x, q, n, stream, Quantize<Q>{1.0f / scale});
}

template <typename Q>
void dequantize_as(const Q* q, std::int64_t n, float scale, float* x, const Stream& stream) {
  require_scale("dequantize", scale);
  launch_map("dequantize", q, x, n, stream, Dequantize<Q>{scale});
}

}  // namespace

float quantize_scale(const float* x, std::int64_t n, int bits, const Stream& stream) {
  return scale_of("quantize", x, n, bits, stream);
}

void quantize(const float* x, std::int64_t n, float scale, std::int8_t* q, const Stream& stream) {
  quantize_as(x, n, scale, q, stream);
}
void quantize(const float* x, std::int64_t n, float scale, std::int16_t* q, const Stream& stream) {
  quantize_as(x, n, scale, q, stream);
}
void dequantize(const std::int8_t* q, std::int64_t n, float scale, float* x, const Stream& stream) {
  dequantize_as(q, n, scale, x, stream);
}
void dequantize(const std::int16_t* q, std::int64_t n, float scale, float* x,
                const Stream& stream) {
  dequantize_as(q, n, scale, x, stream);
}

void relu_s8(const std::int8_t* q, std::int8_t* y, std::int64_t n, const Stream& stream) {
  launch_map("relu_s8", q, y, n, stream, ReluQuantized{});
}
void relu_s16(const std::int16_t* q, std::int16_t* y, std::int64_t n, const Stream& stream) {
  launch_map("relu_s16", q, y, n, stream, ReluQuantized{});
}

void quantized_relu(const float* x, float* y, std::int64_t n, int bits, const Stream& stream) {
  const float scale = scale_of("quantized_relu", x, n, bits, stream);
  const float inv_scale = 1.0f / scale;
  if (bits == 8) {
    launch_map("quantized_relu", x, y, n, stream, QuantizedRelu<std::int8_t>{inv_scale, scale});
  } else {
    launch_map("quantized_relu", x, y, n, stream, QuantizedRelu<std::int16_t>{inv_scale, scale});
  }
}

}  // namespace tandem::cuda
