// batch_apply on OpenMP: contiguous row blocks, one per worker, as the reference does
// on std::threads (the split is batch_blocks.h). Every block runs whatever number of
// threads OpenMP grants, so the result is op over the whole batch in any case.
#include <omp.h>

#include <cstdint>

#include <tandem/cpu/kernels.h>

#include "batch_blocks.h"

namespace tandem::cpu {

void batch_apply(const RowOp& op, const float* x, float* y, std::int64_t rows, std::int64_t cols,
                 int workers) {
  detail::BatchBlocks blocks(op, x, y, rows, cols, workers);
  const std::int64_t count = blocks.count();
  // An exception must not leave the parallel region: each block keeps its own.
#pragma omp parallel for num_threads(static_cast <int>(count)) schedule(static, 1)
  for (std::int64_t b = 0; b < count; ++b) blocks.run(b);
  blocks.rethrow_first_error();
}

}  // namespace tandem::cpu
