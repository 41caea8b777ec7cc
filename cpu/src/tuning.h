// Thresholds measured on the development machines (2 vCPUs; docs/cpu-kernels.md),
// not guessed. The thread thresholds say where a second thread starts to pay; they
// come from the sweep `tandem_bench --benchmark_filter='^threads/'` (bench/threading_bench.cpp).
#pragma once

#include <cstdint>

namespace tandem::cpu::tuning {

// Threads per processor at most (detail::max_threads()): room to test splits finer than
// the cores on a small machine, far below what makes thread creation fail.
inline constexpr int kMaxThreadsPerProcessor = 4;

// Elements per cache line: chunk boundaries of threaded 1-D work are multiples of it.
inline constexpr std::int64_t kFloatsPerLine = 16;

// Element-wise ops and reductions: measured, 2 threads are 1.3-1.6x faster than one
// at 65536 elements (relu, add, dot) and no faster at 32768; so at least 32768
// elements per thread.
inline constexpr std::int64_t kElementwiseMinPerThread = std::int64_t{1} << 15;
inline constexpr std::int64_t kReduceMinPerThread = std::int64_t{1} << 15;

// Quantization passes do more work per byte: 2 threads are 1.16x faster at 16384
// elements and 0.82x at 8192; so at least 8192 elements per thread.
inline constexpr std::int64_t kQuantizeMinPerThread = std::int64_t{1} << 13;

// SGEMM: a thread per 32768 multiply-adds at least, so 2 threads from about 41^3. The
// sweep's rows split across 2 threads (Zen 4, AVX-512, after threads came to own
// regions of C): 0.76x one thread at 32^3 (1535 vs 1163 ns), 1.19x at 48^3 (3111 vs
// 3693 ns), 1.28x at 64^3.
inline constexpr double kGemmMinMacsPerThread = 1 << 15;

// SGEMM without packing (A and B read as stored, one thread) up to 64^3 multiply-adds:
// there the operands fit in L1 and packing cost a 32^3 GEMM a quarter of its time
// (`perf record`, Zen 4).
inline constexpr double kSmallGemmMacs = 64.0 * 64.0 * 64.0;

// SGEMM reads A in place, unpacked, when at most this many of the microkernel's MR rows
// fall in one L1 set (half of an 8-way L1): more, and the rows evict each other.
inline constexpr int kInPlaceRowsPerL1Set = 4;

// Integer GEMM: SGEMM's figure (not swept separately: its microkernels run at the
// same rate here, ~35 G multiply-adds/s on one thread, with the same packing).
inline constexpr double kIgemmMinMacsPerThread = kGemmMinMacsPerThread;

}  // namespace tandem::cpu::tuning
