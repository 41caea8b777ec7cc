// The packed SGEMM: BLIS's loops around the path's microkernel.
//
//   for jc in n, step nc:          B panel  kc x nc, packed once, shared by all threads
//     for pc in k, step kc:
//       for ic in m, step mc:      A block  mc x kc, packed by the thread that uses it
//         for jr in nc, step NR:
//           for ir in mc, step MR: microkernel(C[ir:ir+MR, jr:jr+NR] += A_ir * B_jr)
//
// Threads split the (ic, jr) work: by blocks of A when there are enough of them, and
// also by ranges of B's micro-panels when m is short. The packing is plain C++ (its
// cost is O(mk + kn) against the microkernel's O(mnk)).
#include <omp.h>

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

using Buffer = std::unique_ptr<float[], detail::FreeDeleter>;
using detail::ceil_div;
using detail::round_up;

Buffer allocate(Index floats) { return detail::allocate_packing<float>("sgemm", floats); }

const SgemmKernels& kernels(Isa isa) {
  return detail::select("sgemm", isa, avx512::sgemm, avx2::sgemm, baseline::sgemm);
}

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

GemmBlocking derive_blocking(const SgemmKernels& k) {
  const CacheSizes caches = effective_cache_sizes();
  const Index l1 = caches.l1d_bytes, l2 = caches.l2_bytes, l3 = caches.l3_bytes;
  GemmBlocking b;
  // A micro-panel of B (kc x NR) fills L1 while the microkernel streams A past it.
  // (Measured on the MLP layer 128x784x256: kc 392 beats 256 by 2%; half of L1 was
  // the first guess.)
  b.kc = std::clamp<Index>(l1 / (k.nr * 4) / 8 * 8, 64, 512);
  // The packed A block takes half of L2.
  b.mc = std::max<Index>(l2 / 2 / (b.kc * 4) / k.mr * k.mr, k.mr);
  // The packed B panel takes half of one L3.
  b.nc = std::max<Index>(l3 / 2 / (b.kc * 4) / k.nr * k.nr, k.nr);
  return b;
}

GemmBlocking resolve(const GemmBlocking& given, const SgemmKernels& k) {
  const GemmBlocking derived = derive_blocking(k);
  GemmBlocking b;
  b.kc = given.kc > 0 ? given.kc : derived.kc;
  b.mc = given.mc > 0 ? round_up(given.mc, k.mr) : derived.mc;
  b.nc = given.nc > 0 ? round_up(given.nc, k.nr) : derived.nc;
  return b;
}

}  // namespace

GemmBlocking gemm_blocking(Isa isa) { return resolve({}, kernels(isa)); }

GemmBlocking sgemm_blocking_used(Isa isa, Index m, Index n, Index k, int threads,
                                 const GemmBlocking& blocking) {
  const SgemmKernels& kern = kernels(isa);
  const GemmBlocking blk = resolve(detail::bounded_by_problem(blocking, m, n, k), kern);
  // mc shrinks so the blocks of A divide evenly among the threads.
  const Index ic_blocks = round_up(ceil_div(m, blk.mc), threads);
  GemmBlocking used;
  used.mc = std::min(round_up(ceil_div(m, ic_blocks), kern.mr), round_up(m, kern.mr));
  // Equal k blocks (784 = 4 x 196, not 3 x 256 + 16): a short last block pays the
  // microkernel's C load and store for little work.
  used.kc = ceil_div(k, ceil_div(k, blk.kc));
  used.nc = std::min(blk.nc, round_up(n, kern.nr));
  return used;
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
  const Index mr = kern.mr, nr = kern.nr;
  const Operand op_a{a, lda, trans_a == Transpose::yes};
  const Operand op_b{b, ldb, trans_b == Transpose::yes};

  const int threads = detail::gemm_threads(m, n, k, tuning::kGemmMinMacsPerThread, run.threads);

  const GemmBlocking used = sgemm_blocking_used(run.isa, m, n, k, threads, blocking);
  const Index mc = used.mc, kc = used.kc, nc = used.nc;

  const Buffer packed_b = allocate(kc * nc);
  std::vector<Buffer> packed_a(static_cast<std::size_t>(threads));
  for (auto& buffer : packed_a) buffer = allocate(mc * kc);

#pragma omp parallel num_threads(threads)
  {
    const int tid = omp_get_thread_num();
    float* my_a = packed_a[static_cast<std::size_t>(tid)].get();
    for (Index jc = 0; jc < n; jc += nc) {
      const Index nc_now = std::min(nc, n - jc);
      const Index panels = ceil_div(nc_now, nr);
      for (Index pc = 0; pc < k; pc += kc) {
        const Index kc_now = std::min(kc, k - pc);
        const float beta_now = pc == 0 ? beta : 1.0f;

#pragma omp for schedule(static)
        for (Index jp = 0; jp < panels; ++jp) {
          pack_b_panel(op_b, pc, jc + jp * nr, kc_now, std::min(nr, nc_now - jp * nr), nr,
                       packed_b.get() + jp * nr * kc_now);
        }  // implicit barrier: B is packed

        const Index blocks = ceil_div(m, mc);
        const Index splits = std::max<Index>(1, threads / blocks);
        const Index panels_per_split = ceil_div(panels, splits);
        Index packed_block = -1;
#pragma omp for schedule(static)
        for (Index item = 0; item < blocks * splits; ++item) {
          const Index block = item / splits;
          const Index ic = block * mc;
          const Index mc_now = std::min(mc, m - ic);
          if (block != packed_block) {
            pack_a(op_a, ic, pc, mc_now, kc_now, mr, my_a);
            packed_block = block;
          }
          const Index jp_begin = (item % splits) * panels_per_split;
          const Index jp_end = std::min(panels, jp_begin + panels_per_split);
          for (Index jp = jp_begin; jp < jp_end; ++jp) {
            const Index jr = jp * nr;
            const float* b_panel = packed_b.get() + jp * nr * kc_now;
            for (Index ir = 0; ir < mc_now; ir += mr) {
              kern.microkernel(kc_now, my_a + ir * kc_now, b_panel, c + (ic + ir) * ldc + jc + jr,
                               ldc, alpha, beta_now, std::min(mr, mc_now - ir),
                               std::min(nr, nc_now - jr));
            }
          }
        }  // implicit barrier: B may be repacked
      }
    }
  }
}

}  // namespace tandem::cpu
