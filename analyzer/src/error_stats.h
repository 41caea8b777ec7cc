// The error of a result against the exact one, as the quantization study reports it.
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

namespace tandem::analyzer {

struct ErrorStats {
  double mse = 0.0;      // mean squared error
  double max_rel = 0.0;  // max |got - want| over max |want| (absolute when want is all zero)
};

inline ErrorStats error_stats(const std::vector<float>& got, const std::vector<float>& want) {
  ErrorStats e;
  double sum = 0.0, worst = 0.0, scale = 0.0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double d = static_cast<double>(got[i]) - static_cast<double>(want[i]);
    sum += d * d;
    worst = std::max(worst, std::fabs(d));
    scale = std::max(scale, std::fabs(static_cast<double>(want[i])));
  }
  e.mse = got.empty() ? 0.0 : sum / static_cast<double>(got.size());
  e.max_rel = scale > 0.0 ? worst / scale : worst;
  return e;
}

}  // namespace tandem::analyzer
