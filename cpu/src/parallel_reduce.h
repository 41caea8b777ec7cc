// Threaded reductions over 1-D work: per-chunk partial results, returned in chunk
// order so that the caller combines them in a fixed order (the result then depends
// only on n and the thread count, not on scheduling).
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "parallel.h"

namespace tandem::cpu::detail {

// Splits [0, n) exactly as parallel_chunks() does and returns f(begin, end) of every
// chunk, first chunk first (an empty chunk contributes T{}). f must not throw.
template <typename T, typename F>
std::vector<T> parallel_partials(std::int64_t n, int threads, std::int64_t min_chunk,
                                 std::int64_t align, F&& f) {
  const std::int64_t chunks = chunk_count(n, threads, min_chunk);
  std::vector<T> partials(static_cast<std::size_t>(chunks));
  if (chunks == 1) {
    partials[0] = f(std::int64_t{0}, n);
    return partials;
  }
  // ceil(n / chunks), rounded up to a multiple of align: the chunks cover all of n.
  const std::int64_t per = ((n + chunks - 1) / chunks + align - 1) / align * align;
#pragma omp parallel for num_threads(static_cast <int>(chunks)) schedule(static, 1)
  for (std::int64_t c = 0; c < chunks; ++c) {
    const std::int64_t begin = std::min(c * per, n);
    const std::int64_t end = std::min(begin + per, n);
    if (end > begin) partials[static_cast<std::size_t>(c)] = f(begin, end);
  }
  return partials;
}

}  // namespace tandem::cpu::detail
