// batch_apply's reference: the row blocks of batch_blocks.h, one std::thread each.
#include <cstdint>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <tandem/cpu/reference.h>
#include <tandem/error.h>

#include "../batch_blocks.h"

namespace tandem::cpu::reference {

void batch_apply(const RowOp& op, const float* x, float* y, std::int64_t rows, std::int64_t cols,
                 int workers) {
  detail::BatchBlocks blocks(op, x, y, rows, cols, workers);
  std::vector<std::thread> threads;
  threads.reserve(static_cast<std::size_t>(blocks.count()));
  const auto join_all = [&] {
    for (auto& t : threads) t.join();
  };
  for (std::int64_t b = 0; b < blocks.count(); ++b) {
    try {
      threads.emplace_back([&blocks, b] { blocks.run(b); });
    } catch (const std::system_error& e) {
      // The workers already started finish before the error leaves: a joinable
      // std::thread destroyed would end the process.
      join_all();
      throw DeviceError("batch_apply: cannot start worker " + std::to_string(b + 1) + " of " +
                        std::to_string(blocks.count()) + ": " + e.what());
    }
  }
  join_all();
  blocks.rethrow_first_error();
}

}  // namespace tandem::cpu::reference
