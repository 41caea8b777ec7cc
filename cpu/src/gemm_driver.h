// What the packed GEMM drivers (sgemm_api.cpp, igemm_api.cpp) share: index rounding,
// cache-line aligned packing buffers, and how many threads a problem gets.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include <tandem/checked.h>
#include <tandem/cpu/kernels.h>
#include <tandem/error.h>

#include "parallel.h"

namespace tandem::cpu::detail {

using Index = std::int64_t;

inline Index round_up(Index x, Index multiple) { return (x + multiple - 1) / multiple * multiple; }
inline Index ceil_div(Index x, Index y) { return (x + y - 1) / y; }

struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};

// Packing buffers, cache-line aligned. Allocated before the parallel region, so a
// failure is an exception on the calling thread rather than inside OpenMP.
template <typename T>
std::unique_ptr<T[], FreeDeleter> allocate_packing(const char* op, Index count) {
  const auto bytes = buffer_bytes(std::max<Index>(count, 1), Index{sizeof(T)}, 64);
  if (!bytes) {
    throw ArgumentError(std::string(op) + ": a packing buffer of " + std::to_string(count) +
                        " elements overflows the address space");
  }
  std::unique_ptr<T[], FreeDeleter> buffer(
      static_cast<T*>(std::aligned_alloc(64, static_cast<std::size_t>(*bytes))));
  if (!buffer) {
    throw DeviceError(std::string(op) + ": cannot allocate " + std::to_string(*bytes) +
                      " bytes for packing");
  }
  return buffer;
}

// A caller's blocking bounded by the problem: no block larger than its dimension, so
// that rounding it up to the microkernel's tile cannot overflow and no loop is empty.
// Zero (or less) still means "derive from the caches".
inline GemmBlocking bounded_by_problem(const GemmBlocking& given, Index m, Index n, Index k) {
  const auto bound = [](Index value, Index extent) {
    return value > 0 ? std::min(value, std::max<Index>(extent, 1)) : Index{0};
  };
  return {bound(given.mc, m), bound(given.kc, k), bound(given.nc, n)};
}

// A thread per min_macs_per_thread multiply-adds at least (tuning.h), at most the
// requested count (0: OpenMP's default).
inline int gemm_threads(Index m, Index n, Index k, double min_macs_per_thread, int requested) {
  const double macs = static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
  if (macs < min_macs_per_thread) return 1;
  return static_cast<int>(
      std::clamp<double>(macs / min_macs_per_thread, 1, resolve_threads(requested)));
}

}  // namespace tandem::cpu::detail
