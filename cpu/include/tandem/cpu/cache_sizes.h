// The cache sizes the kernels are sized from (GEMM blocking, the streaming-store
// threshold). cpuinfo reports what CPUID says, which on a VM is the host's caches (a
// 260 MiB L3 on a 2-vCPU guest that measures a 64 MiB last level): measured sizes,
// from `tandem calibrate` through the dispatcher's profile, replace them when set.
#pragma once

#include <cstdint>
#include <string>

namespace tandem::cpu {

struct CacheSizes {
  std::int64_t l1d_bytes = 0;  // one core's L1 data cache
  std::int64_t l2_bytes = 0;   // one core's L2
  std::int64_t l3_bytes = 0;   // the last level, 0 when there is none
  std::string source;          // "measured (<where>)", "cpuinfo" or "defaults"
};

// The sizes in use: the measured ones when set, else cpuinfo's, else defaults (32 KiB,
// 256 KiB, 4 MiB) for a level cpuinfo does not report. Thread-safe.
CacheSizes effective_cache_sizes();

// Replaces the sizes in use (a level <= 0 keeps cpuinfo's); thread-safe. A kernel
// sizes itself from the sizes in use when it is called.
void set_measured_cache_sizes(const CacheSizes& measured);

// Back to cpuinfo's sizes.
void clear_measured_cache_sizes();

// Outputs of at least this many bytes are written with non-temporal stores: the
// last-level cache in use (an output that large cannot stay in the cache for whoever
// reads it next, so ordinary stores only add the read-for-ownership of every line).
std::int64_t streaming_store_min_bytes();

}  // namespace tandem::cpu
