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
  return detail::select(op, isa, kReduceByPath);
}

// Float lanes overflow where the double result does not (dot of [2e19] with itself is
// 4e38 > FLT_MAX). A chunk whose fast sum is not finite is summed again in double
// (the reference's loop): finite inputs then give a finite result whenever it fits a
// double, and the fast path pays one isfinite per chunk. Inputs holding inf or NaN
// take both passes and give the reference's inf or NaN.
template <typename Kernel, typename Exact>
double reduce_sum(Kernel kernel, Exact exact, const float* x, const float* y, std::int64_t n,
                  const RunOptions& run) {
  const auto partials = detail::parallel_partials<double>(
      std::max<std::int64_t>(n, 0), run.threads, tuning::kReduceMinPerThread,
      tuning::kFloatsPerLine, [&](std::int64_t begin, std::int64_t end) {
        const double fast = kernel(x + begin, y + begin, end - begin);
        return std::isfinite(fast) ? fast : exact(x + begin, y + begin, end - begin);
      });
  double sum = 0.0;
  for (const double p : partials) sum += p;
  return sum;
}

}  // namespace

double dot(const float* x, const float* y, std::int64_t n, const RunOptions& run) {
  return reduce_sum(kernels("dot", run.isa).dot, reference::dot, x, y, n, run);
}

double euclidean_distance(const float* x, const float* y, std::int64_t n, const RunOptions& run) {
  return std::sqrt(reduce_sum(kernels("euclidean_distance", run.isa).squared_distance,
                              reference::squared_distance, x, y, n, run));
}

double cosine_similarity(const float* x, const float* y, std::int64_t n, const RunOptions& run) {
  const auto kernel = kernels("cosine_similarity", run.isa).cosine_parts;
  using Parts = std::array<double, 3>;
  const auto partials = detail::parallel_partials<Parts>(
      std::max<std::int64_t>(n, 0), run.threads, tuning::kReduceMinPerThread,
      tuning::kFloatsPerLine, [&](std::int64_t begin, std::int64_t end) {
        const std::int64_t count = end - begin;
        Parts parts{};
        kernel(x + begin, y + begin, count, parts.data());
        if (!std::all_of(parts.begin(), parts.end(), [](double p) { return std::isfinite(p); })) {
          parts = {reference::dot(x + begin, y + begin, count),
                   reference::dot(x + begin, x + begin, count),
                   reference::dot(y + begin, y + begin, count)};  // as reduce_sum's
        }
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
