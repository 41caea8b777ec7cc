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
#include "transform_reduce.cuh"

namespace tandem::cuda {
namespace {

using detail::transform_reduce;

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
