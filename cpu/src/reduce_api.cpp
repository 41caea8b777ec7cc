// dot, euclidean_distance, cosine_similarity: each thread reduces its chunk with the
// path's kernel (float lanes, double totals), and the per-chunk results are added in
// chunk order, so a given n and thread count always give the same result.
#include <algorithm>
#include <array>
#include <cmath>

#include <tandem/cpu/kernels.h>
#include <tandem/cpu/reference.h>

#include "kernels/tables.h"
#include "parallel_reduce.h"
#include "run.h"
#include "tuning.h"

namespace tandem::cpu {
namespace {

const ReduceKernels& kernels(const char* op, Isa isa) {
  return detail::select(op, isa, avx512::reduce, avx2::reduce, baseline::reduce);
}

template <typename Kernel>
double reduce_sum(Kernel kernel, const float* x, const float* y, std::int64_t n,
                  const RunOptions& run) {
  const auto partials = detail::parallel_partials<double>(
      std::max<std::int64_t>(n, 0), run.threads, tuning::kReduceMinPerThread,
      tuning::kFloatsPerLine, [&](std::int64_t begin, std::int64_t end) {
        return kernel(x + begin, y + begin, end - begin);
      });
  double sum = 0.0;
  for (const double p : partials) sum += p;
  return sum;
}

}  // namespace

double dot(const float* x, const float* y, std::int64_t n, const RunOptions& run) {
  return reduce_sum(kernels("dot", run.isa).dot, x, y, n, run);
}

double euclidean_distance(const float* x, const float* y, std::int64_t n, const RunOptions& run) {
  return std::sqrt(
      reduce_sum(kernels("euclidean_distance", run.isa).squared_distance, x, y, n, run));
}

double cosine_similarity(const float* x, const float* y, std::int64_t n, const RunOptions& run) {
  const auto kernel = kernels("cosine_similarity", run.isa).cosine_parts;
  using Parts = std::array<double, 3>;
  const auto partials = detail::parallel_partials<Parts>(
      std::max<std::int64_t>(n, 0), run.threads, tuning::kReduceMinPerThread,
      tuning::kFloatsPerLine, [&](std::int64_t begin, std::int64_t end) {
        Parts parts{};
        kernel(x + begin, y + begin, end - begin, parts.data());
        return parts;
      });
  Parts sum{};
  for (const Parts& p : partials) {
    for (std::size_t i = 0; i < sum.size(); ++i) sum[i] += p[i];
  }
  const double norm_x = std::sqrt(sum[1]);
  const double norm_y = std::sqrt(sum[2]);
  return sum[0] /
         (std::max(norm_x, reference::kCosineEps) * std::max(norm_y, reference::kCosineEps));
}

}  // namespace tandem::cpu
