// The CPU's measured ceilings: the FMA peak of each SIMD path and the read bandwidth
// of each memory level (found in a working-set sweep, cache_levels.h), on one thread
// and on all of them. Every study is judged against these, with the same statistic
// (medians; the best samples only bound what a measurement may reach).
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <tandem/cpu/cache_sizes.h>

#include "cache_levels.h"
#include "measure.h"

namespace tandem::analyzer {

// The thread counts the ceilings are measured at: 1 and every hardware thread.
std::vector<int> ceiling_thread_counts();

// Read and copy bandwidth (GB/s) of `threads` threads, each on its own array, per
// working set (bytes per thread) from 4 KiB to well past any last-level cache.
struct SweepRow {
  std::int64_t bytes;
  Measurement read, copy;
};
using Sweep = std::vector<SweepRow>;
Sweep bandwidth_sweep(int threads, bool quick);
std::vector<SweepPoint> sweep_points(const Sweep& sweep);

// The cache sizes the kernels should use, from the one-thread levels (see
// MemoryLevel::effective_bytes), with a note per level where cpuinfo disagrees or the
// sweep found no plateau of its own.
struct MeasuredCaches {
  cpu::CacheSizes sizes;
  std::vector<std::string> notes;
};
MeasuredCaches measured_caches(const std::vector<MemoryLevel>& one_thread_levels);

ReportedCaches cpuinfo_caches();

struct CpuCeilings {
  std::map<std::pair<std::string, int>, Measurement> fma;  // (path, threads) -> GFLOP/s
  // The int8 multiply-add peak of each integer GEMM implementation that has one
  // (cpu.amx, cpu.avx512, cpu.avx2_vnni): (implementation, threads) -> GOP/s.
  std::map<std::pair<std::string, int>, Measurement> int8;
  std::map<int, Sweep> sweep;                      // by thread count
  std::map<int, std::vector<MemoryLevel>> levels;  // by thread count
  MeasuredCaches caches;

  // The FMA peak (median GFLOP/s) for a kernel of `implementation` on `threads`
  // threads: its own path's when measured, else the best path's (reference and
  // baseline code is judged against what the machine can do); at the largest measured
  // thread count not above `threads`. Sets `peak_of` to the path it used.
  const Measurement& compute(const std::string& implementation, int threads,
                             std::string* peak_of = nullptr) const;
  // The memory levels measured at the largest thread count not above `threads`.
  const std::vector<MemoryLevel>& levels_at(int threads) const;

  nlohmann::json to_json() const;
};

// Measures the FMA and int8 peaks (twice: at the start and the end of the analysis,
// keeping the faster run per row, as a shared VM can catch two vCPUs on one core) and
// the sweep.
CpuCeilings measure_fma_and_bandwidth(bool quick);
void remeasure_fma(CpuCeilings& ceilings, bool quick);

}  // namespace tandem::analyzer
