#include <tandem/cpu/kernels.h>

#include "kernels/tables.h"
#include "parallel.h"
#include "run.h"
#include "tuning.h"

namespace tandem::cpu {
namespace {

const ElementwiseKernels& kernels(const char* op, Isa isa) {
  return detail::select(op, isa, avx512::elementwise, avx2::elementwise, baseline::elementwise);
}

template <typename Kernel>
void run_binary(Kernel kernel, const float* x, const float* y, float* out, std::int64_t n,
                const RunOptions& run) {
  detail::parallel_chunks(n, run.threads, tuning::kElementwiseMinPerThread, tuning::kFloatsPerLine,
                          [&](std::int64_t begin, std::int64_t end) {
                            kernel(x + begin, y + begin, out + begin, end - begin);
                          });
}

}  // namespace

void relu(const float* x, float* y, std::int64_t n, const RunOptions& run) {
  const auto kernel = kernels("relu", run.isa).relu;
  detail::parallel_chunks(
      n, run.threads, tuning::kElementwiseMinPerThread, tuning::kFloatsPerLine,
      [&](std::int64_t begin, std::int64_t end) { kernel(x + begin, y + begin, end - begin); });
}

void add(const float* x, const float* y, float* out, std::int64_t n, const RunOptions& run) {
  run_binary(kernels("add", run.isa).add, x, y, out, n, run);
}

void multiply(const float* x, const float* y, float* out, std::int64_t n, const RunOptions& run) {
  run_binary(kernels("multiply", run.isa).multiply, x, y, out, n, run);
}

void squared_difference(const float* x, const float* y, float* out, std::int64_t n,
                        const RunOptions& run) {
  run_binary(kernels("squared_difference", run.isa).squared_difference, x, y, out, n, run);
}

}  // namespace tandem::cpu
