#include "blis_anchor.h"

#include <blis.h>

namespace tandem::bench {

void blis_set_threads(int threads) { bli_thread_set_num_threads(threads); }

void blis_sgemm(std::int64_t m, std::int64_t n, std::int64_t k, const float* a, const float* b,
                float* c) {
  // BLIS takes non-const operands; it does not write A and B. Row-major: each row is
  // `columns` apart, each column 1.
  float one = 1.0f, zero = 0.0f;
  bli_sgemm(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, m, n, k, &one, const_cast<float*>(a), k, 1,
            const_cast<float*>(b), n, 1, &zero, c, n, 1);
}

std::string blis_version() { return bli_info_get_version_str(); }
std::string blis_arch() { return bli_arch_string(bli_arch_query_id()); }

}  // namespace tandem::bench
