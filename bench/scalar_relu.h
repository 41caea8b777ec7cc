// relu as a plain scalar loop, compiled without auto-vectorization (see
// bench/CMakeLists.txt): the anchor that shows what the SIMD paths are worth.
#pragma once

#include <cstdint>

namespace tandem::bench {

void scalar_relu(const float* x, float* y, std::int64_t n);

}  // namespace tandem::bench
