#include <cmath>

#include <tandem/cpu/reference.h>

namespace tandem::cpu::reference {
namespace {

template <typename F>
void binary(const float* x, const float* y, float* out, std::int64_t n, F f) {
  for (std::int64_t i = 0; i < n; ++i) out[i] = f(x[i], y[i]);
}

}  // namespace

void relu(const float* x, float* y, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    y[i] = (v > 0.0f || std::isnan(v)) ? v : 0.0f;
  }
}

void add(const float* x, const float* y, float* out, std::int64_t n) {
  binary(x, y, out, n, [](float a, float b) { return a + b; });
}

void multiply(const float* x, const float* y, float* out, std::int64_t n) {
  binary(x, y, out, n, [](float a, float b) { return a * b; });
}

void squared_difference(const float* x, const float* y, float* out, std::int64_t n) {
  binary(x, y, out, n, [](float a, float b) {
    const float d = a - b;
    return d * d;
  });
}

}  // namespace tandem::cpu::reference
