// Thresholds measured on the development machine (2 vCPUs, see docs/benchmarks.md),
// not guessed. Each says where a second thread starts to pay.
#pragma once

#include <cstdint>

namespace tandem::cpu::tuning {

// Element-wise ops: below this many elements per thread, one thread is faster.
inline constexpr std::int64_t kElementwiseMinPerThread = std::int64_t{1} << 16;

// Elements per cache line: chunk boundaries of threaded 1-D work are multiples of it.
inline constexpr std::int64_t kFloatsPerLine = 16;

}  // namespace tandem::cpu::tuning

namespace tandem::cpu::tuning {

// SGEMM: a thread per this many multiply-adds at least (smaller problems run on fewer
// threads, down to one).
inline constexpr double kGemmMinMacsPerThread = 1 << 18;

}  // namespace tandem::cpu::tuning
