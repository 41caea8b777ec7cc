#include <algorithm>
#include <cmath>

#include <tandem/cpu/reference.h>

namespace tandem::cpu::reference {

double dot(const float* x, const float* y, std::int64_t n) {
  double acc = 0.0;
  for (std::int64_t i = 0; i < n; ++i) acc += double{x[i]} * double{y[i]};
  return acc;
}

double squared_distance(const float* x, const float* y, std::int64_t n) {
  double acc = 0.0;
  for (std::int64_t i = 0; i < n; ++i) {
    const double d = double{x[i]} - double{y[i]};
    acc += d * d;
  }
  return acc;
}

double euclidean_distance(const float* x, const float* y, std::int64_t n) {
  return std::sqrt(squared_distance(x, y, n));
}

double cosine_similarity(const float* x, const float* y, std::int64_t n) {
  const double norm_x = std::sqrt(dot(x, x, n));
  const double norm_y = std::sqrt(dot(y, y, n));
  return dot(x, y, n) / (std::max(norm_x, kCosineEps) * std::max(norm_y, kCosineEps));
}

}  // namespace tandem::cpu::reference
