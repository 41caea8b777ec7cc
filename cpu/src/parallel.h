// Splitting 1-D work across OpenMP threads.
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstdint>

#include "tuning.h"

namespace tandem::cpu::detail {

// The most threads a kernel starts: tuning::kMaxThreadsPerProcessor per processor
// OpenMP sees, and no more than OMP_THREAD_LIMIT. More only oversubscribes the cores;
// far more (threads = 100000) makes libgomp fail to create them, which ends the process.
// Read once: omp_get_num_procs() is a system call (sched_getaffinity), which cost a
// 32^3 GEMM a tenth of its time when asked on every call.
inline int max_threads() {
  static const int cap = std::max(
      1, std::min(tuning::kMaxThreadsPerProcessor * omp_get_num_procs(), omp_get_thread_limit()));
  return cap;
}

// requested (0: OpenMP's default), capped at max_threads().
inline int resolve_threads(int requested) {
  return std::min(requested > 0 ? requested : omp_get_max_threads(), max_threads());
}

// How many chunks (threads) parallel_chunks() splits [0, n) into.
inline int chunk_count(std::int64_t n, int threads, std::int64_t min_chunk) {
  return static_cast<int>(std::clamp<std::int64_t>(n / std::max<std::int64_t>(min_chunk, 1), 1,
                                                   resolve_threads(threads)));
}

// Calls f(begin, end) on contiguous chunks of [0, n): as many chunks as threads,
// but none smaller than min_chunk elements (so small inputs stay on one thread), and
// every boundary a multiple of `align` elements (a cache line), so that threads never
// share a line they write.
template <typename F>
void parallel_chunks(std::int64_t n, int threads, std::int64_t min_chunk, std::int64_t align,
                     F&& f) {
  const std::int64_t chunks = chunk_count(n, threads, min_chunk);
  if (chunks == 1) {
    f(std::int64_t{0}, n);
    return;
  }
  // ceil(n / chunks), rounded up to a multiple of align: the chunks cover all of n.
  const std::int64_t per = ((n + chunks - 1) / chunks + align - 1) / align * align;
#pragma omp parallel for num_threads(static_cast <int>(chunks)) schedule(static, 1)
  for (std::int64_t c = 0; c < chunks; ++c) {
    const std::int64_t begin = std::min(c * per, n);
    const std::int64_t end = std::min(begin + per, n);
    if (end > begin) f(begin, end);
  }
}

}  // namespace tandem::cpu::detail
