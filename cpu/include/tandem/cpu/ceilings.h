// Loops that measure one core's ceilings: FMA throughput (register-only) and load
// bandwidth (a sum with enough accumulators that only the loads limit it). Used by
// the analyzer's ceilings and by tandem_bench's fma_peak benchmarks.
#pragma once

#include <cstdint>

#include <tandem/cpu/isa.h>

namespace tandem::cpu {

// Runs `iterations` rounds of independent FMAs on the calling thread, on `isa` (on
// baseline, which has no FMA, a multiply then an add, as its GEMM does; an unsupported
// path: a DeviceError): the path's compute peak. Returns the floating-point operations
// done (2 per lane per FMA or multiply-add).
double fma_peak_loop(Isa isa, std::int64_t iterations);

// The int8 multiply-add peak of the integer GEMM's units: `iterations` rounds of
// independent vpdpbusd (14 chains: AVX-512 VNNI for the avx512 path's vectors, AVX-VNNI
// for avx2's avx_vnni unit) or, for amx, of four tdpbssd into four 16 x 16 int32 tiles
// (AMX-INT8), on the calling thread. Returns the operations done (2 per multiply-add). A
// unit this CPU lacks, or one without an int8 multiply-add, is a DeviceError.
double int8_peak_loop(Isa isa, IgemmUnit unit, std::int64_t iterations);

// Sums x[0..n) `passes` times over in float with 8 vector accumulators on `isa` (any
// path): a load-bound read of 4 n passes bytes, the passes inside one loop so that
// small (L1) working sets pay no per-call overhead. The value only keeps the loads.
float sum_floats(Isa isa, const float* x, std::int64_t n, int passes = 1);

// Copies x[0..n) to y[0..n) `passes` times over with non-temporal (streaming) stores on
// `isa`: the traffic of a kernel that streams its output past the caches (read + write,
// and no read-for-ownership of y), which can move more bytes than a read alone. x and y
// 64-byte aligned, n a multiple of 4.
void stream_copy_floats(Isa isa, const float* x, float* y, std::int64_t n, int passes = 1);

}  // namespace tandem::cpu
