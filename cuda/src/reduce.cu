// Reductions: dot, euclidean_distance and cosine_similarity with
// cub::DeviceReduce::TransformReduce over the element indices, accumulating in double
// like the reference. Every float product is exact in double (24 + 24 bits < 53), so
// only the order of the additions differs from the reference's sequential sum: the
// results agree to within the summation error bound, (n - 1) * 2^-53 * sum|term| each.
// cosine_similarity takes x.y, x.x and y.y in one pass (a struct of three doubles).
//
// One device allocation per call holds the result and CUB's temporary storage; the
// result comes back with cudaMemcpyAsync on the stream, which is then synchronized.
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include <thrust/iterator/counting_iterator.h>
#include <cub/device/device_reduce.cuh>
#include <cuda/std/functional>

#include <tandem/cuda/kernels.h>
#include <tandem/cuda/memory.h>
#include <tandem/cuda/runtime.h>
#include "check.h"
#include "device_scope.h"

namespace tandem::cuda {
namespace {

using detail::DeviceScope;

// The terms, by element index. __dmul_rn/__dsub_rn keep nvcc from contracting a
// product with the reduction's addition into an FMA.
struct DotTerm {
  const float* x;
  const float* y;
  __device__ double operator()(std::int64_t i) const {
    return __dmul_rn(static_cast<double>(x[i]), static_cast<double>(y[i]));
  }
};

struct SquaredDistanceTerm {
  const float* x;
  const float* y;
  __device__ double operator()(std::int64_t i) const {
    const double d = __dsub_rn(static_cast<double>(x[i]), static_cast<double>(y[i]));
    return __dmul_rn(d, d);
  }
};

struct Moments {
  double xy;
  double xx;
  double yy;
};

struct MomentsTerm {
  const float* x;
  const float* y;
  __device__ Moments operator()(std::int64_t i) const {
    const auto a = static_cast<double>(x[i]);
    const auto b = static_cast<double>(y[i]);
    return {__dmul_rn(a, b), __dmul_rn(a, a), __dmul_rn(b, b)};
  }
};

struct AddMoments {
  __host__ __device__ Moments operator()(const Moments& a, const Moments& b) const {
    return {a.xy + b.xy, a.xx + b.xx, a.yy + b.yy};
  }
};

// reduce(init, transform(0), ..., transform(n - 1)) on the device, for n > 0.
template <typename T, typename ReduceOp, typename TransformOp>
T transform_reduce(const char* name, std::int64_t n, ReduceOp reduce, TransformOp transform, T init,
                   const Stream& stream) {
  const int device = stream.device();
  DeviceScope scope(device);
  const auto s = static_cast<cudaStream_t>(stream.native());
  const std::string call = std::string(name) + ": cub::DeviceReduce::TransformReduce";
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

double sum_of(const char* name, std::int64_t n, auto term, const Stream& stream) {
  if (n <= 0) return 0.0;
  return transform_reduce(name, n, ::cuda::std::plus<double>{}, term, 0.0, stream);
}

}  // namespace

double dot(const float* x, const float* y, std::int64_t n, const Stream& stream) {
  return sum_of("dot", n, DotTerm{x, y}, stream);
}

double euclidean_distance(const float* x, const float* y, std::int64_t n, const Stream& stream) {
  return std::sqrt(sum_of("euclidean_distance", n, SquaredDistanceTerm{x, y}, stream));
}

double cosine_similarity(const float* x, const float* y, std::int64_t n, const Stream& stream) {
  if (n <= 0) return 0.0;
  const Moments m = transform_reduce("cosine_similarity", n, AddMoments{}, MomentsTerm{x, y},
                                     Moments{0.0, 0.0, 0.0}, stream);
  constexpr double eps = 1e-8;  // reference::kCosineEps, as PyTorch: a zero vector gives 0
  return m.xy / (std::max(std::sqrt(m.xx), eps) * std::max(std::sqrt(m.yy), eps));
}

}  // namespace tandem::cuda
