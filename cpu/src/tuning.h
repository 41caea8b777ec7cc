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

namespace tandem::cpu::tuning {

// Reductions (dot, euclidean_distance, cosine_similarity) and the quantization passes
// (scan, quantize, dequantize, quantized_relu): below this many elements per thread,
// one thread. Provisional: the element-wise figure, since these are as memory-bound
// (quantize does more arithmetic per byte, so its true threshold is lower, if anything).
inline constexpr std::int64_t kReduceMinPerThread = std::int64_t{1} << 16;
inline constexpr std::int64_t kQuantizeMinPerThread = std::int64_t{1} << 16;

// Element-wise ops write with non-temporal (streaming) stores when the output is at
// least this many bytes (and does not overlap an input). The L3 of the development
// machine (8 MiB): an output that large cannot stay in the cache for whoever reads it
// next, so ordinary stores only add the read-for-ownership of every line and evict
// the inputs; streaming measured ~1.4x faster far above it. Below it, an output that
// stays in L3 is worth more to the next op than the saved bandwidth.
inline constexpr std::int64_t kStreamingStoreMinBytes = std::int64_t{8} << 20;

}  // namespace tandem::cpu::tuning

namespace tandem::cpu::tuning {

// Integer GEMM (int8/int16 -> int32, quantized matmul): a thread per this many
// multiply-adds at least. Provisional: SGEMM's figure, the microkernels doing about as
// many multiply-adds per cycle here (vpmaddwd: 16 per instruction, one per cycle).
inline constexpr double kIgemmMinMacsPerThread = 1 << 18;

}  // namespace tandem::cpu::tuning
