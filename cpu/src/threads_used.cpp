#include <tandem/cpu/threads_used.h>

#include "gemm_driver.h"
#include "parallel.h"
#include "tuning.h"

namespace tandem::cpu {

int max_threads() { return detail::max_threads(); }

int elementwise_threads(std::int64_t n, int requested) {
  return detail::chunk_count(n, requested, tuning::kElementwiseMinPerThread);
}

int reduction_threads(std::int64_t n, int requested) {
  return detail::chunk_count(n, requested, tuning::kReduceMinPerThread);
}

int quantize_threads(std::int64_t n, int requested) {
  return detail::chunk_count(n, requested, tuning::kQuantizeMinPerThread);
}

int gemm_threads(std::int64_t m, std::int64_t n, std::int64_t k, int requested) {
  return detail::gemm_threads(m, n, k, tuning::kGemmMinMacsPerThread, requested);
}

}  // namespace tandem::cpu
