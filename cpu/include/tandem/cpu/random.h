// Reproducible random fills: the same seed gives the same numbers on every platform
// (the standard library's distributions are implementation-defined, so they are
// not used).
#pragma once

#include <cstdint>

namespace tandem::cpu {

// Samples of N(mean, stddev^2): splitmix64 bits through the Box-Muller transform.
void fill_normal(float* x, std::int64_t n, std::uint64_t seed, float mean = 0.0f,
                 float stddev = 1.0f);

// Integers uniform in [lo, hi], for tests that want exact float arithmetic.
void fill_uniform_int(float* x, std::int64_t n, std::uint64_t seed, int lo, int hi);

}  // namespace tandem::cpu
