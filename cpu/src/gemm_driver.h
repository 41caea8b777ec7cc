// The packed GEMM driver that the f32 GEMM (sgemm_api.cpp) and the integer GEMMs
// (igemm_api.cpp) share: BLIS's five loops with their threading, the blocking rule,
// cache-line aligned packing buffers, and how many threads a problem gets.
//
//   for jc in n, step nc:          B panel  kc x nc, packed by the thread that uses it
//     for pc in k, step kc:
//       for ic in m, step mc:      A block  mc x kc, packed by the thread that uses it
//         for jr in nc, step NR:
//           for ir in mc, step MR: microkernel(C[ir:ir+MR, jr:jr+NR] (+)= A_ir * B_jr)
//
// Threads own disjoint regions of C (thread_grid below): no barrier inside a call.
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <memory>
#include <string>
#include <utility>
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
// a B micro-panel (kc x NR) in l1_percent % of L1 (over 100: it streams from L2, and a
// longer kc spreads the C tile's load and store over more k), the packed A block in
// half of L2, the packed B panel in half of L3, or, with b_block_in_l2, in half of L2.
struct BlockingRule {
  Index mr, nr;       // the path's microkernel tile
  Index bytes_per_k;  // packed bytes per k value and row or column: 4 (f32), 2 or 1
  Index l1_percent;   // the B micro-panel takes l1 * l1_percent / 100
  Index kc_step;      // a derived kc is a multiple of this
  Index kc_min, kc_max;
  Index k_group;  // kc is a multiple of this (k values per packed lane)
  // For a unit so fast that C's traffic matters (AMX): the B block small enough that the
  // row panels run outer (blis_loops), C written a block of rows at a time.
  bool b_block_in_l2 = false;
};

inline GemmBlocking derive_blocking(const BlockingRule& r) {
  const CacheSizes caches = effective_cache_sizes();
  GemmBlocking b;
  b.kc = std::clamp<Index>(
      caches.l1d_bytes * r.l1_percent / 100 / (r.nr * r.bytes_per_k) / r.kc_step * r.kc_step,
      r.kc_min, r.kc_max);
  b.mc = std::max<Index>(caches.l2_bytes / 2 / (b.kc * r.bytes_per_k) / r.mr * r.mr, r.mr);
  const Index b_cache = r.b_block_in_l2 ? caches.l2_bytes : caches.l3_bytes;
  b.nc = std::max<Index>(b_cache / 2 / (b.kc * r.bytes_per_k) / r.nr * r.nr, r.nr);
  return b;
}

// ---- Threads -------------------------------------------------------------------------

// Threads own disjoint regions of C (oneDNN's brgemm matmul does the same): a grid of
// rows x cols regions, each a run of whole MR-row and NR-column panels. A thread packs
// what it reads (its rows of A, its columns of B) and never waits for another, so a
// call has no barrier besides the parallel region's end. A is packed once per grid
// column and B once per grid row, so the rule is: the fewest panels on the busiest
// thread (balance), then the least packing repeated (`cols - 1` copies of A's m rows,
// `rows - 1` copies of B's n columns, none when B was packed once beforehand, as a
// quantized layer's weights are: its threads then split the rows, each packing only
// its own rows of A).
struct ThreadGrid {
  int rows, cols;
};

inline ThreadGrid thread_grid(Index m, Index n, Index mr, Index nr, int threads,
                              bool b_prepacked = false) {
  const Index row_panels = ceil_div(m, mr), col_panels = ceil_div(n, nr);
  ThreadGrid best{threads, 1};
  Index best_load = -1, best_repeat = 0;
  for (int rows = 1; rows <= threads; ++rows) {
    if (threads % rows != 0) continue;
    const int cols = threads / rows;
    const Index load = ceil_div(row_panels, rows) * ceil_div(col_panels, cols);
    const Index repeat = (cols - 1) * m + (b_prepacked ? 0 : (rows - 1) * n);
    if (best_load < 0 || load < best_load || (load == best_load && repeat < best_repeat)) {
      best = {rows, cols};
      best_load = load;
      best_repeat = repeat;
    }
  }
  return best;
}

// Thread t's region of C: [row0, row0 + rows) x [col0, col0 + cols), maybe empty.
struct Region {
  Index row0, rows, col0, cols;
};

inline Region region_of(int t, ThreadGrid grid, Index m, Index n, Index mr, Index nr) {
  // Panels [begin, end) of `panels` split into `parts` near-equal runs.
  const auto run = [](Index panels, Index parts, Index part, Index size, Index extent) {
    const Index begin = std::min(panels * part / parts * size, extent);
    const Index end = std::min(panels * (part + 1) / parts * size, extent);
    return std::pair{begin, end - begin};
  };
  const auto [row0, rows] = run(ceil_div(m, mr), grid.rows, t / grid.cols, mr, m);
  const auto [col0, cols] = run(ceil_div(n, nr), grid.cols, t % grid.cols, nr, n);
  return {row0, rows, col0, cols};
}

// The blocking a call runs with: the caller's values (bounded by the problem) or the
// derived ones, fitted to the busiest thread's region: mc and nc no larger than it and
// even blocks of it, k split into equal blocks (784 = 4 x 196, not 3 x 256 + 16: a
// short last block pays the microkernel's C load and store for little work).
inline GemmBlocking blocking_used(const BlockingRule& r, Index m, Index n, Index k, int threads,
                                  const GemmBlocking& given, bool b_prepacked = false) {
  const GemmBlocking bounded = bounded_by_problem(given, m, n, k);
  const GemmBlocking derived = derive_blocking(r);
  const Index mc = bounded.mc > 0 ? round_up(bounded.mc, r.mr) : derived.mc;
  const Index kc = bounded.kc > 0 ? round_up(bounded.kc, r.k_group) : derived.kc;
  const Index nc = bounded.nc > 0 ? round_up(bounded.nc, r.nr) : derived.nc;
  const ThreadGrid grid = thread_grid(m, n, r.mr, r.nr, threads, b_prepacked);
  const Index rows = round_up(ceil_div(m, grid.rows), r.mr);
  const Index cols = round_up(ceil_div(n, grid.cols), r.nr);
  GemmBlocking used;
  used.mc = round_up(ceil_div(rows, ceil_div(rows, mc)), r.mr);
  used.kc = std::max<Index>(round_up(ceil_div(k, ceil_div(k, kc)), r.k_group), 1);
  used.nc = std::min(nc, cols);
  return used;
}

// ---- The loops -----------------------------------------------------------------------

// A thread's packing space for one call. Up to kKeptBytes it is the thread's own
// buffer, kept from call to call (as OpenBLAS's and oneDNN's scratchpads are), so
// that small and medium GEMMs pay for no allocation. Larger blocks (they follow the
// cache sizes, and a VM may report a host's hundreds of MiB of L3) are allocated for
// the call and freed with it, where the allocation is small against the work.
class PackingSpace {
 public:
  static constexpr Index kKeptBytes = Index{4} << 20;

  unsigned char* get(const char* op, Index bytes) {
    if (bytes > kKeptBytes) {
      owned_ = allocate_packing<unsigned char>(op, bytes);
      return owned_.get();
    }
    thread_local std::unique_ptr<unsigned char[], FreeDeleter> kept;
    thread_local Index capacity = 0;
    if (bytes > capacity) {
      kept.reset();
      capacity = 0;
      kept = allocate_packing<unsigned char>(op, bytes);
      capacity = bytes;
    }
    return kept.get();
  }

 private:
  std::unique_ptr<unsigned char[], FreeDeleter> owned_;
};

// Runs BLIS's loops over an m x n x k problem (m, n, k > 0) with blocking `used`, on
// `threads` threads that each own a region of C (thread_grid).
// `Gemm` is one family's view of its operands and microkernel, in packed units P:
//   Index a_panel(Index kc), b_panel(Index kc): units per MR-row / NR-column panel
//   void pack_a(Index ic, Index pc, Index rows, Index kc, P* dst): rows of A as panels
//   bool packs_b(): whether B is packed per call (else it was packed once, beforehand)
//   const P* pack_b(Index pc, Index col, Index kc, Index cols, P* space): B[pc:pc+kc,
//       col:col+cols] as ceil(cols / NR) consecutive panels of b_panel(kc) units, packed
//       into space, or where they already are; returns where
//   void micro(Index kc, const P* a, const P* b, Index row, Index col, Index rows,
//              Index cols, Index pc, bool last_k): one MR x NR block of C
//   optionally, thread_scope(): an object that holds what the microkernel's unit needs
//       set up on each thread for its share of the call (AMX's tile configuration)
template <typename P, typename Gemm>
void blis_loops(const char* op, const Gemm& gemm, Index m, Index n, Index k,
                const GemmBlocking& used, Index mr, Index nr, int threads) {
  const Index mc = used.mc, kc = used.kc, nc = used.nc;
  const ThreadGrid grid = thread_grid(m, n, mr, nr, threads, !gemm.packs_b());
  const Index panels_max = ceil_div(nc, nr);
  // One thread's space: its A block, then its B panels.
  const auto bytes = [&](Index units) { return round_up(units * Index{sizeof(P)}, 64); };
  const Index a_bytes = bytes(ceil_div(mc, mr) * gemm.a_panel(kc));
  const Index b_block_bytes = bytes(panels_max * gemm.b_panel(kc));
  const Index b_bytes = gemm.packs_b() ? b_block_bytes : 0;
  // The order of the two innermost loops. BLIS's runs the B micro-panels outer: one
  // stays in L1 while the A block streams from L2, and C is written a column strip at a
  // time, a strip that touches a page per row (4096 rows of a 4096-wide C: 4096 pages,
  // a TLB miss per tile row). When the B block fits in half of L2 the row panels run
  // outer instead: one A micro-panel stays in L1 while B's panels stream from L2, and C
  // is written a block of MR rows at a time, each row in order (4096x64x4096 on an
  // Intel Xeon with a 2 MiB L2, one thread: 88-91 GFLOP/s column strips, 141-142 rows).
  const bool rows_outer = b_block_bytes <= effective_cache_sizes().l2_bytes / 2;

  const auto run = [&](int t) {
    const Region region = region_of(t, grid, m, n, mr, nr);
    if (region.rows == 0 || region.cols == 0) return;
    [[maybe_unused]] const auto scope = [&] {
      if constexpr (requires { gemm.thread_scope(); }) {
        return gemm.thread_scope();
      } else {
        return 0;
      }
    }();
    PackingSpace packing;
    unsigned char* space = packing.get(op, a_bytes + b_bytes);
    P* my_a = reinterpret_cast<P*>(space);
    P* my_b = reinterpret_cast<P*>(space + a_bytes);
    const Index row_end = region.row0 + region.rows, col_end = region.col0 + region.cols;
    for (Index jc = region.col0; jc < col_end; jc += nc) {
      const Index nc_now = std::min(nc, col_end - jc);
      const Index panels = ceil_div(nc_now, nr);
      for (Index pc = 0; pc < k; pc += kc) {
        const Index kc_now = std::min(kc, k - pc);
        const Index a_units = gemm.a_panel(kc_now);
        const Index b_units = gemm.b_panel(kc_now);
        const bool last_k = pc + kc_now == k;
        const P* b_panels = gemm.pack_b(pc, jc, kc_now, nc_now, my_b);
        for (Index ic = region.row0; ic < row_end; ic += mc) {
          const Index mc_now = std::min(mc, row_end - ic);
          gemm.pack_a(ic, pc, mc_now, kc_now, my_a);
          const auto micro = [&](Index ir, Index jp) {
            const Index jr = jp * nr;
            gemm.micro(kc_now, my_a + ir / mr * a_units, b_panels + jp * b_units, ic + ir, jc + jr,
                       std::min(mr, mc_now - ir), std::min(nr, nc_now - jr), pc, last_k);
          };
          if (rows_outer) {
            for (Index ir = 0; ir < mc_now; ir += mr) {
              for (Index jp = 0; jp < panels; ++jp) micro(ir, jp);
            }
          } else {
            for (Index jp = 0; jp < panels; ++jp) {
              for (Index ir = 0; ir < mc_now; ir += mr) micro(ir, jp);
            }
          }
        }
      }
    }
  };

  if (threads == 1) {
    run(0);
    return;
  }
  // A thread that cannot get its space leaves its region of C unwritten; the first
  // such error is rethrown here, after the parallel region (exceptions cannot cross it).
  std::exception_ptr error;
#pragma omp parallel num_threads(threads)
  {
    try {
      run(omp_get_thread_num());
    } catch (...) {
#pragma omp critical(tandem_gemm_error)
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace tandem::cpu::detail
