// How batch_apply splits a batch among workers, shared by the OpenMP path
// (batch_apply_api.cpp) and the reference on std::threads (reference/batch_apply.cpp):
// contiguous row blocks, one per worker, no more workers than rows nor than
// max_threads(); each block keeps its exception, and the first (in row order) is
// rethrown once every block has finished.
#pragma once

#include <algorithm>
#include <cstdint>
#include <exception>
#include <string>
#include <vector>

#include <tandem/cpu/kernels.h>
#include <tandem/cpu/threads_used.h>
#include <tandem/error.h>

namespace tandem::cpu::detail {

class BatchBlocks {
 public:
  BatchBlocks(const RowOp& op, const float* x, float* y, std::int64_t rows, std::int64_t cols,
              int workers)
      : op_(op),
        x_(x),
        y_(y),
        rows_(rows),
        cols_(cols),
        count_(block_count(rows, workers)),
        errors_(static_cast<std::size_t>(count_)) {}

  std::int64_t count() const { return count_; }

  // Block b: rows [rows * b / count, rows * (b + 1) / count), sizes differing by at most one.
  void run(std::int64_t b) {
    try {
      const std::int64_t begin = rows_ * b / count_ * cols_;
      const std::int64_t end = rows_ * (b + 1) / count_ * cols_;
      if (end > begin) op_(x_ + begin, y_ + begin, end - begin);
    } catch (...) {
      errors_[static_cast<std::size_t>(b)] = std::current_exception();
    }
  }

  void rethrow_first_error() const {
    for (const auto& e : errors_) {
      if (e) std::rethrow_exception(e);
    }
  }

 private:
  static std::int64_t block_count(std::int64_t rows, int workers) {
    if (workers < 1) {
      throw ArgumentError("batch_apply: workers must be at least 1, got " +
                          std::to_string(workers));
    }
    return std::clamp<std::int64_t>(
        workers, 1, std::min<std::int64_t>(std::max<std::int64_t>(rows, 1), max_threads()));
  }

  const RowOp& op_;
  const float* x_;
  float* y_;
  std::int64_t rows_, cols_, count_;
  std::vector<std::exception_ptr> errors_;
};

}  // namespace tandem::cpu::detail
