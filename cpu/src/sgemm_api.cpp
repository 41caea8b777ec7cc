// The packed SGEMM: the shared BLIS loops (gemm_driver.h) around the path's f32
// packing and microkernel (kernels/sgemm.cpp). The packing is plain C++ (its cost is
// O(mk + kn) against the microkernel's O(mnk)).
#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <tandem/cpu/cache_sizes.h>
#include <tandem/cpu/kernels.h>
#include <tandem/error.h>

#include "gemm_driver.h"
#include "kernels/tables.h"
#include "parallel.h"
#include "run.h"
#include "tuning.h"

namespace tandem::cpu {
namespace {

using Index = std::int64_t;

const SgemmKernels& kernels(Isa isa) { return detail::select("sgemm", isa, kSgemmByPath); }

// A view of op(X) for X stored row-major with leading dimension ld.
struct Operand {
  const float* data;
  Index ld;
  bool trans;
  float at(Index row, Index col) const {
    return trans ? data[col * ld + row] : data[row * ld + col];
  }
};

// A[ic:ic+mc, pc:pc+kc] as micro-panels of MR rows, a[p * MR + i], zero-padded.
void pack_a(const Operand& a, Index ic, Index pc, Index mc, Index kc, Index mr, float* dst) {
  for (Index ir = 0; ir < mc; ir += mr) {
    float* panel = dst + ir * kc;
    const Index rows = std::min(mr, mc - ir);
    for (Index i = 0; i < mr; ++i) {
      if (i < rows && !a.trans) {
        const float* src = a.data + (ic + ir + i) * a.ld + pc;
        for (Index p = 0; p < kc; ++p) panel[p * mr + i] = src[p];
      } else if (i < rows) {
        for (Index p = 0; p < kc; ++p) panel[p * mr + i] = a.at(ic + ir + i, pc + p);
      } else {
        for (Index p = 0; p < kc; ++p) panel[p * mr + i] = 0.0f;
      }
    }
  }
}

// B[pc:pc+kc, jc+jr:jc+jr+NR] as one micro-panel b[p * NR + j], zero-padded.
void pack_b_panel(const Operand& b, Index pc, Index col0, Index kc, Index cols, Index nr,
                  float* dst) {
  for (Index p = 0; p < kc; ++p) {
    float* row = dst + p * nr;
    if (!b.trans) {
      const float* src = b.data + (pc + p) * b.ld + col0;
      for (Index j = 0; j < cols; ++j) row[j] = src[j];
    } else {
      for (Index j = 0; j < cols; ++j) row[j] = b.at(pc + p, col0 + j);
    }
    for (Index j = cols; j < nr; ++j) row[j] = 0.0f;
  }
}

// C = beta * C, without reading C when beta == 0: all of GEMM when k == 0 or alpha == 0.
void scale_c(Index m, Index n, float beta, float* c, Index ldc) {
  for (Index i = 0; i < m; ++i) {
    float* row = c + i * ldc;
    for (Index j = 0; j < n; ++j) row[j] = beta == 0.0f ? 0.0f : beta * row[j];
  }
}

// The f32 blocking: a B micro-panel of kc x NR floats fills L1 (measured on the MLP
// layer 128x784x256: kc 392 beats 256 by 2%; half of L1 was the first guess).
detail::BlockingRule blocking_rule(const SgemmKernels& k) {
  return {k.mr,           k.nr,          /*bytes_per_k=*/4,
          /*l1_share=*/1, /*kc_step=*/8, /*kc_min=*/64,
          /*kc_max=*/512, /*k_group=*/1};
}

// The f32 GEMM as the shared loops see it (gemm_driver.h): float panels, alpha and
// beta applied by the microkernel (beta only in the first k block).
struct SgemmView {
  const SgemmKernels& kern;
  Operand a, b;
  float alpha, beta;
  float* c;
  Index ldc;

  Index a_panel(Index kc) const { return kern.mr * kc; }
  Index b_panel(Index kc) const { return kern.nr * kc; }
  void pack_a(Index ic, Index pc, Index rows, Index kc, float* dst) const {
    cpu::pack_a(a, ic, pc, rows, kc, kern.mr, dst);
  }
  void pack_b(Index pc, Index col, Index kc, Index cols, float* dst) const {
    pack_b_panel(b, pc, col, kc, cols, kern.nr, dst);
  }
  void micro(Index kc, const float* pa, const float* pb, Index row, Index col, Index rows,
             Index cols, Index pc, bool /*last_k*/) const {
    kern.microkernel(kc, pa, pb, c + row * ldc + col, ldc, alpha, pc == 0 ? beta : 1.0f, rows,
                     cols);
  }
};

}  // namespace

GemmBlocking gemm_blocking(Isa isa) { return detail::derive_blocking(blocking_rule(kernels(isa))); }

GemmBlocking sgemm_blocking_used(Isa isa, Index m, Index n, Index k, int threads,
                                 const GemmBlocking& blocking) {
  return detail::blocking_used(blocking_rule(kernels(isa)), m, n, k, threads, blocking);
}

void sgemm(Transpose trans_a, Transpose trans_b, Index m, Index n, Index k, float alpha,
           const float* a, Index lda, const float* b, Index ldb, float beta, float* c, Index ldc,
           const RunOptions& run, const GemmBlocking& blocking) {
  const SgemmKernels& kern = kernels(run.isa);
  if (m == 0 || n == 0) return;
  if (k == 0 || alpha == 0.0f) {
    scale_c(m, n, beta, c, ldc);
    return;
  }
  const int threads = detail::gemm_threads(m, n, k, tuning::kGemmMinMacsPerThread, run.threads);
  const SgemmView view{kern,
                       {a, lda, trans_a == Transpose::yes},
                       {b, ldb, trans_b == Transpose::yes},
                       alpha,
                       beta,
                       c,
                       ldc};
  detail::blis_loops<float>("sgemm", view, m, n, k,
                            detail::blocking_used(blocking_rule(kern), m, n, k, threads, blocking),
                            kern.mr, kern.nr, threads);
}

}  // namespace tandem::cpu
