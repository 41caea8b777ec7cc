#include <algorithm>
#include <exception>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <tandem/cpu/reference.h>
#include <tandem/cpu/threads_used.h>
#include <tandem/error.h>

namespace tandem::cpu::reference {

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
  std::vector<std::thread> threads;
  threads.reserve(static_cast<std::size_t>(blocks));
  const auto run_block = [&](std::int64_t b) {
    try {
      const std::int64_t begin = first_row(b) * cols;
      const std::int64_t end = first_row(b + 1) * cols;
      if (end > begin) op(x + begin, y + begin, end - begin);
    } catch (...) {
      errors[static_cast<std::size_t>(b)] = std::current_exception();
    }
  };
  const auto join_all = [&] {
    for (auto& t : threads) t.join();
  };
  for (std::int64_t b = 0; b < blocks; ++b) {
    try {
      threads.emplace_back(run_block, b);
    } catch (const std::system_error& e) {
      // The workers already started finish before the error leaves: a joinable
      // std::thread destroyed would end the process.
      join_all();
      throw DeviceError("batch_apply: cannot start worker " + std::to_string(b + 1) + " of " +
                        std::to_string(blocks) + ": " + e.what());
    }
  }
  join_all();
  for (const auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

}  // namespace tandem::cpu::reference
