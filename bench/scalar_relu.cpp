// Compiled with -fno-tree-vectorize -fno-tree-slp-vectorize (bench/CMakeLists.txt),
// so this stays one element per iteration whatever -O level the build uses.
#include "scalar_relu.h"

namespace tandem::bench {

void scalar_relu(const float* x, float* y, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    y[i] = (v > 0.0f || v != v) ? v : 0.0f;  // NaN propagates, as in the reference
  }
}

}  // namespace tandem::bench
