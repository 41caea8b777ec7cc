// batch_apply on OpenMP: contiguous row blocks, one per worker, as the reference does
// on std::threads. Every block runs whatever number of threads OpenMP grants, so the
// result is op over the whole batch in any case.
#include <omp.h>

#include <algorithm>
#include <exception>
#include <string>
#include <vector>

#include <tandem/cpu/kernels.h>
#include <tandem/cpu/threads_used.h>
#include <tandem/error.h>

namespace tandem::cpu {

void batch_apply(const RowOp& op, const float* x, float* y, std::int64_t rows, std::int64_t cols,
                 int workers) {
  if (workers < 1) {
    throw ArgumentError("batch_apply: workers must be at least 1, got " + std::to_string(workers));
  }
  // No more workers than rows, nor than max_threads() (threads_used.h).
  const std::int64_t blocks = std::clamp<std::int64_t>(
      workers, 1, std::min<std::int64_t>(std::max<std::int64_t>(rows, 1), max_threads()));
  // Block b gets rows [rows * b / blocks, rows * (b + 1) / blocks): sizes differ by at most one.
  const auto first_row = [&](std::int64_t b) { return rows * b / blocks; };

  std::vector<std::exception_ptr> errors(static_cast<std::size_t>(blocks));
  // An exception must not leave the parallel region: each block keeps its own, and the
  // first block's (in row order) is rethrown.
#pragma omp parallel for num_threads(static_cast <int>(blocks)) schedule(static, 1)
  for (std::int64_t b = 0; b < blocks; ++b) {
    try {
      const std::int64_t begin = first_row(b) * cols;
      const std::int64_t end = first_row(b + 1) * cols;
      if (end > begin) op(x + begin, y + begin, end - begin);
    } catch (...) {
      errors[static_cast<std::size_t>(b)] = std::current_exception();
    }
  }
  for (const auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

}  // namespace tandem::cpu
