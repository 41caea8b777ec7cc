// How many threads a CPU kernel splits one call into, for `requested` threads (0:
// OpenMP's default). A call too small to split runs on fewer threads than requested;
// the analyzer reports this beside its thread-scaling figures, so that a speedup is
// never claimed for a size that did not split.
#pragma once

#include <cstdint>

namespace tandem::cpu {

// The most threads any CPU kernel starts, and the most workers batch_apply runs: 4
// per processor OpenMP sees, at most OMP_THREAD_LIMIT. Larger requests are capped.
int max_threads();

int elementwise_threads(std::int64_t n, int requested);  // relu, add, multiply, ...
int reduction_threads(std::int64_t n, int requested);    // dot, distances
int quantize_threads(std::int64_t n, int requested);     // quantize, dequantize
int gemm_threads(std::int64_t m, std::int64_t n, std::int64_t k, int requested);  // f32 GEMM

}  // namespace tandem::cpu
