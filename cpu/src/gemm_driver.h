// The packed GEMM driver that the f32 GEMM (sgemm_api.cpp) and the integer GEMMs
// (igemm_api.cpp) share: BLIS's five loops with their threading, the blocking rule,
// cache-line aligned packing buffers, and how many threads a problem gets.
//
//   for jc in n, step nc:          B panel  kc x nc, packed once, shared by all threads
//     for pc in k, step kc:
//       for ic in m, step mc:      A block  mc x kc, packed by the thread that uses it
//         for jr in nc, step NR:
//           for ir in mc, step MR: microkernel(C[ir:ir+MR, jr:jr+NR] (+)= A_ir * B_jr)
//
// Threads split the (ic, jr) work: by blocks of A when there are enough of them, and
// also by ranges of B's micro-panels when m is short.
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <tandem/checked.h>
#include <tandem/cpu/cache_sizes.h>
#include <tandem/cpu/kernels.h>
#include <tandem/error.h>

#include "parallel.h"

namespace tandem::cpu::detail {

using Index = std::int64_t;

inline Index round_up(Index x, Index multiple) { return (x + multiple - 1) / multiple * multiple; }
inline Index ceil_div(Index x, Index y) { return (x + y - 1) / y; }

struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};

// Packing buffers, cache-line aligned. Allocated before the parallel region, so a
// failure is an exception on the calling thread rather than inside OpenMP.
template <typename T>
std::unique_ptr<T[], FreeDeleter> allocate_packing(const char* op, Index count) {
  const auto bytes = buffer_bytes(std::max<Index>(count, 1), Index{sizeof(T)}, 64);
  if (!bytes) {
    throw ArgumentError(std::string(op) + ": a packing buffer of " + std::to_string(count) +
                        " elements overflows the address space");
  }
  std::unique_ptr<T[], FreeDeleter> buffer(
      static_cast<T*>(std::aligned_alloc(64, static_cast<std::size_t>(*bytes))));
  if (!buffer) {
    throw DeviceError(std::string(op) + ": cannot allocate " + std::to_string(*bytes) +
                      " bytes for packing");
  }
  return buffer;
}

// A caller's blocking bounded by the problem: no block larger than its dimension, so
// that rounding it up to the microkernel's tile cannot overflow and no loop is empty.
// Zero (or less) still means "derive from the caches".
inline GemmBlocking bounded_by_problem(const GemmBlocking& given, Index m, Index n, Index k) {
  const auto bound = [](Index value, Index extent) {
    return value > 0 ? std::min(value, std::max<Index>(extent, 1)) : Index{0};
  };
  return {bound(given.mc, m), bound(given.kc, k), bound(given.nc, n)};
}

// A thread per min_macs_per_thread multiply-adds at least (tuning.h), at most the
// requested count (0: OpenMP's default).
inline int gemm_threads(Index m, Index n, Index k, double min_macs_per_thread, int requested) {
  const double macs = static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
  if (macs < min_macs_per_thread) return 1;
  return static_cast<int>(
      std::clamp<double>(macs / min_macs_per_thread, 1, resolve_threads(requested)));
}

// ---- Blocking -----------------------------------------------------------------------

// How one GEMM family sizes its blocks from the caches, as data (kernels/tables.h):
// a B micro-panel (kc x NR) in l1 / l1_share, the packed A block in half of L2, the
// packed B panel in half of L3.
struct BlockingRule {
  Index mr, nr;       // the path's microkernel tile
  Index bytes_per_k;  // packed bytes per k value and row or column: 4 (f32), 2 or 1
  Index l1_share;     // the B micro-panel takes l1 / l1_share
  Index kc_step;      // a derived kc is a multiple of this
  Index kc_min, kc_max;
  Index k_group;  // kc is a multiple of this (k values per packed lane)
};

inline GemmBlocking derive_blocking(const BlockingRule& r) {
  const CacheSizes caches = effective_cache_sizes();
  GemmBlocking b;
  b.kc = std::clamp<Index>(
      caches.l1d_bytes / r.l1_share / (r.nr * r.bytes_per_k) / r.kc_step * r.kc_step, r.kc_min,
      r.kc_max);
  b.mc = std::max<Index>(caches.l2_bytes / 2 / (b.kc * r.bytes_per_k) / r.mr * r.mr, r.mr);
  b.nc = std::max<Index>(caches.l3_bytes / 2 / (b.kc * r.bytes_per_k) / r.nr * r.nr, r.nr);
  return b;
}

// The blocking a call runs with: the caller's values (bounded by the problem) or the
// derived ones; then mc shrunk so that the blocks of A divide evenly among the threads,
// k split into equal blocks (784 = 4 x 196, not 3 x 256 + 16: a short last block pays
// the microkernel's C load and store for little work), nc no wider than N.
inline GemmBlocking blocking_used(const BlockingRule& r, Index m, Index n, Index k, int threads,
                                  const GemmBlocking& given) {
  const GemmBlocking bounded = bounded_by_problem(given, m, n, k);
  const GemmBlocking derived = derive_blocking(r);
  const Index mc = bounded.mc > 0 ? round_up(bounded.mc, r.mr) : derived.mc;
  const Index kc = bounded.kc > 0 ? round_up(bounded.kc, r.k_group) : derived.kc;
  const Index nc = bounded.nc > 0 ? round_up(bounded.nc, r.nr) : derived.nc;
  const Index ic_blocks = round_up(ceil_div(m, mc), threads);
  GemmBlocking used;
  used.mc = std::min(round_up(ceil_div(m, ic_blocks), r.mr), round_up(m, r.mr));
  used.kc = std::max<Index>(round_up(ceil_div(k, ceil_div(k, kc)), r.k_group), 1);
  used.nc = std::min(nc, round_up(n, r.nr));
  return used;
}

// ---- The loops -----------------------------------------------------------------------

// Runs BLIS's loops over an m x n x k problem (m, n, k > 0) with blocking `used`.
// `Gemm` is one family's view of its operands and microkernel, in packed units P:
//   Index a_panel(Index kc), b_panel(Index kc): units per MR-row / NR-column panel
//   void pack_a(Index ic, Index pc, Index rows, Index kc, P* dst): rows of A as panels
//   void pack_b(Index pc, Index col, Index kc, Index cols, P* dst): one B panel
//   void micro(Index kc, const P* a, const P* b, Index row, Index col, Index rows,
//              Index cols, Index pc, bool last_k): one MR x NR block of C
template <typename P, typename Gemm>
void blis_loops(const char* op, const Gemm& gemm, Index m, Index n, Index k,
                const GemmBlocking& used, Index mr, Index nr, int threads) {
  const Index mc = used.mc, kc = used.kc, nc = used.nc;
  using Buffer = std::unique_ptr<P[], FreeDeleter>;
  const Buffer packed_b = allocate_packing<P>(op, ceil_div(nc, nr) * gemm.b_panel(kc));
  std::vector<Buffer> packed_a;
  for (int t = 0; t < threads; ++t) {
    packed_a.push_back(allocate_packing<P>(op, ceil_div(mc, mr) * gemm.a_panel(kc)));
  }

#pragma omp parallel num_threads(threads)
  {
    P* my_a = packed_a[static_cast<std::size_t>(omp_get_thread_num())].get();
    for (Index jc = 0; jc < n; jc += nc) {
      const Index nc_now = std::min(nc, n - jc);
      const Index panels = ceil_div(nc_now, nr);
      for (Index pc = 0; pc < k; pc += kc) {
        const Index kc_now = std::min(kc, k - pc);
        const Index a_units = gemm.a_panel(kc_now);
        const Index b_units = gemm.b_panel(kc_now);
        const bool last_k = pc + kc_now == k;

#pragma omp for schedule(static)
        for (Index jp = 0; jp < panels; ++jp) {
          gemm.pack_b(pc, jc + jp * nr, kc_now, std::min(nr, nc_now - jp * nr),
                      packed_b.get() + jp * b_units);
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
            gemm.pack_a(ic, pc, mc_now, kc_now, my_a);
            packed_block = block;
          }
          const Index jp_begin = (item % splits) * panels_per_split;
          const Index jp_end = std::min(panels, jp_begin + panels_per_split);
          for (Index jp = jp_begin; jp < jp_end; ++jp) {
            const Index jr = jp * nr;
            const P* b_panel = packed_b.get() + jp * b_units;
            for (Index ir = 0; ir < mc_now; ir += mr) {
              gemm.micro(kc_now, my_a + ir / mr * a_units, b_panel, ic + ir, jc + jr,
                         std::min(mr, mc_now - ir), std::min(nr, nc_now - jr), pc, last_k);
            }
          }
        }  // implicit barrier: B may be repacked, C's sums are complete
      }
    }
  }
}

}  // namespace tandem::cpu::detail
