#include <algorithm>
#include <exception>
#include <string>
#include <thread>
#include <vector>

#include <tandem/cpu/reference.h>
#include <tandem/error.h>

namespace tandem::cpu::reference {

void batch_apply(const RowOp& op, const float* x, float* y, std::int64_t rows, std::int64_t cols,
                 int workers) {
  if (workers < 1) {
    throw ArgumentError("batch_apply: workers must be at least 1, got " + std::to_string(workers));
  }
  const std::int64_t blocks = std::clamp<std::int64_t>(workers, 1, std::max<std::int64_t>(rows, 1));
  // Block b gets rows [rows * b / blocks, rows * (b + 1) / blocks): sizes differ by at most one.
  const auto first_row = [&](std::int64_t b) { return rows * b / blocks; };

  std::vector<std::exception_ptr> errors(static_cast<std::size_t>(blocks));
  std::vector<std::thread> threads;
  threads.reserve(static_cast<std::size_t>(blocks));
  for (std::int64_t b = 0; b < blocks; ++b) {
    threads.emplace_back([&, b] {
      try {
        const std::int64_t begin = first_row(b) * cols;
        const std::int64_t end = first_row(b + 1) * cols;
        if (end > begin) op(x + begin, y + begin, end - begin);
      } catch (...) {
        errors[static_cast<std::size_t>(b)] = std::current_exception();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

}  // namespace tandem::cpu::reference
