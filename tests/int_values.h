// Uniform integer test data in [lo, hi] as any element type (exact in every type that
// holds the range): the integer GEMM and quantized-layer tests' operands.
#pragma once

#include <cstdint>
#include <vector>

#include <tandem/cpu/random.h>

namespace tandem::testing {

template <typename T>
std::vector<T> ints(std::int64_t count, std::uint64_t seed, int lo, int hi) {
  std::vector<float> v(static_cast<std::size_t>(count));
  cpu::fill_uniform_int(v.data(), count, seed, lo, hi);
  return std::vector<T>(v.begin(), v.end());
}

}  // namespace tandem::testing
