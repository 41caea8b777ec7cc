// The BLIS anchor (Debian's libblis 0.9, its OpenMP build): f32 GEMM through BLIS's
// own typed API, bli_sgemm.
//
// In a file of its own because blis.h declares a CBLAS of its own, which clashes with
// OpenBLAS's cblas.h. libblis exports cblas_sgemm too: tandem_bench links it after
// OpenBLAS, and add_anchor_context checks that cblas_sgemm is OpenBLAS's.
#pragma once

#include <cstdint>
#include <string>

namespace tandem::bench {

// BLIS's thread count for the calls that follow (a global setting, like OpenBLAS's).
void blis_set_threads(int threads);

// C (m x n) = A (m x k) * B (k x n), all row-major and contiguous.
void blis_sgemm(std::int64_t m, std::int64_t n, std::int64_t k, const float* a, const float* b,
                float* c);

// BLIS's version, and the sub-configuration it picked for this CPU (e.g. "zen3", "skx").
std::string blis_version();
std::string blis_arch();

}  // namespace tandem::bench
