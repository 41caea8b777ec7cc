// The fast CPU kernels: SIMD per path (see isa.h), threaded with OpenMP. Same
// conventions and semantics as the reference kernels (reference.h), which they are
// tested against. Each runs on RunOptions::isa (default: best_isa()); asking for a
// path this CPU does not support is a DeviceError. Inputs with data-dependent
// errors (NaN/Inf where a scale is derived) are checked before anything is written.
#pragma once

#include <cstdint>

#include <tandem/cpu/isa.h>
#include <tandem/transpose.h>

namespace tandem::cpu {

struct RunOptions {
  Isa isa = best_isa();
  // 0: OpenMP's default (all cores). Inputs below the measured size where threads
  // start to pay run on one thread whatever this says.
  int threads = 0;
};

// ---- SGEMM --------------------------------------------------------------------------
// Cache blocking of the packed GEMM, in elements: A is packed mc x kc at a time, B
// kc x nc. 0 means "derive from the detected caches" (see gemm_blocking()).
struct GemmBlocking {
  std::int64_t mc = 0;
  std::int64_t kc = 0;
  std::int64_t nc = 0;
};

// The blocking sgemm uses on `isa` for this CPU when none is given.
GemmBlocking gemm_blocking(Isa isa);

// C = alpha * op(A) * op(B) + beta * C, BLAS semantics on row-major storage (see
// reference::gemm). beta == 0 never reads C.
void sgemm(Transpose trans_a, Transpose trans_b, std::int64_t m, std::int64_t n, std::int64_t k,
           float alpha, const float* a, std::int64_t lda, const float* b, std::int64_t ldb,
           float beta, float* c, std::int64_t ldc, const RunOptions& run = {},
           const GemmBlocking& blocking = {});

// ---- Element-wise (out may alias an input) --------------------------------------------
void relu(const float* x, float* y, std::int64_t n, const RunOptions& run = {});
void add(const float* x, const float* y, float* out, std::int64_t n, const RunOptions& run = {});
void multiply(const float* x, const float* y, float* out, std::int64_t n,
              const RunOptions& run = {});
void squared_difference(const float* x, const float* y, float* out, std::int64_t n,
                        const RunOptions& run = {});

}  // namespace tandem::cpu
