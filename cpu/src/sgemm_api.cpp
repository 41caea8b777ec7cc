// The packed SGEMM: the shared BLIS loops (gemm_driver.h) around the path's f32
// packing and microkernel (kernels/sgemm.cpp).
#include <algorithm>
#include <array>
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
  // Where op(X)[row][col] is, and how far one row / one column is from the next.
  const float* at(Index row, Index col) const {
    return trans ? data + col * ld + row : data + row * ld + col;
  }
  Index row_stride() const { return trans ? 1 : ld; }
  Index col_stride() const { return trans ? ld : 1; }
};

// C = act(beta * C + bias), without reading C when beta == 0: all of GEMM when k == 0
// or alpha == 0.
void scale_c(Index m, Index n, float beta, float* c, Index ldc, const Epilogue& epilogue) {
  for (Index i = 0; i < m; ++i) {
    float* row = c + i * ldc;
    for (Index j = 0; j < n; ++j) {
      float result = beta == 0.0f ? 0.0f : beta * row[j];
      if (epilogue.bias != nullptr) result += epilogue.bias[j];
      row[j] = activate(epilogue.activation, result);
    }
  }
}

// The store of the tile at column `col`: alpha, beta where the k loop starts (1 after
// the first k block), the epilogue only in the last k block, where the sums are whole.
TileStore tile_store(float alpha, float beta, const Epilogue& epilogue, Index col, bool first_k,
                     bool last_k) {
  TileStore store;
  store.alpha = alpha;
  store.beta = first_k ? beta : 1.0f;
  if (last_k) {
    store.bias = epilogue.bias != nullptr ? epilogue.bias + col : nullptr;
    store.activation = epilogue.activation;
  }
  return store;
}

// The f32 blocking: a B micro-panel of kc x NR floats fills two L1s, so kc is 512 on
// every path with a 32 KiB L1 (measured on Zen 4, avx512's 12 x 32 tile: kc 512 beats
// 256 by 5-10% on 1024^3 and 2048^3, where the C tile's load and store then come half
// as often; on the MLP layer 128x784x256 kc 392 beat 256 by 2%).
detail::BlockingRule blocking_rule(const SgemmKernels& k) {
  return {k.mr,
          k.nr,
          /*bytes_per_k=*/4,
          /*l1_percent=*/200,
          /*kc_step=*/8,
          /*kc_min=*/64,
          /*kc_max=*/512,
          /*k_group=*/1};
}

// The f32 GEMM as the shared loops see it (gemm_driver.h): float panels, alpha and
// beta applied by the microkernel (beta only in the first k block, the epilogue only
// in the last).
struct SgemmView {
  const SgemmKernels& kern;
  Operand a, b;
  float alpha, beta;
  Epilogue epilogue;
  float* c;
  Index ldc;
  bool a_in_place;  // A read as stored (reads_a_in_place), not packed

  // No packing space for A when it is read in place.
  Index a_panel(Index kc) const { return a_in_place ? 0 : kern.mr * kc; }
  Index b_panel(Index kc) const { return kern.nr * kc; }
  // A[ic:ic+rows, pc:pc+kc] as micro-panels of MR rows.
  void pack_a(Index ic, Index pc, Index rows, Index kc, float* dst) const {
    if (a_in_place) return;
    for (Index ir = 0; ir < rows; ir += kern.mr) {
      kern.pack_panel(a.at(ic + ir, pc), a.row_stride(), a.col_stride(),
                      std::min<Index>(kern.mr, rows - ir), kc, kern.mr, dst + ir * kc);
    }
  }
  // B[pc:pc+kc, col:col+cols] as micro-panels of NR columns: row by row when B's rows
  // run along n (each row read once, in order, where a panel at a time would read 128
  // bytes of every row per pass), else panel by panel (a transpose).
  bool packs_b() const { return true; }
  const float* pack_b(Index pc, Index col, Index kc, Index cols, float* dst) const {
    if (!b.trans) {
      kern.pack_rows_as_panels(b.at(pc, col), b.ld, kc, cols, dst);
      return dst;
    }
    for (Index j = 0; j < cols; j += kern.nr) {
      kern.pack_panel(b.at(pc, col + j), b.col_stride(), b.row_stride(),
                      std::min<Index>(kern.nr, cols - j), kc, kern.nr, dst + j * kc);
    }
    return dst;
  }
  void micro(Index kc, const float* pa, const float* pb, Index row, Index col, Index rows,
             Index cols, Index pc, bool last_k) const {
    float* out = c + row * ldc + col;
    const TileStore store = tile_store(alpha, beta, epilogue, col, pc == 0, last_k);
    if (a_in_place) {
      kern.microkernel_a_in_place(kc, a.at(row, pc), a.ld, pb, out, ldc, store, rows, cols);
    } else {
      kern.microkernel(kc, pa, pb, out, ldc, store, rows, cols);
    }
  }
};

// Whether the microkernel reads A as stored instead of packed (oneDNN's brgemm does
// not copy A either): packing A costs a pass over it per block of columns, 5.5% of a
// 256^3 GEMM's time on one thread (`perf record`, Zen 4). A's rows must run along k
// (not transposed), and the MR rows read at once must not crowd an L1 set: an x86 L1
// way is 4 KiB (a virtually indexed L1's way is a page), so rows lda * 4 bytes apart
// fall in set (offset / 64) mod 64, and at most tuning::kInPlaceRowsPerL1Set may share
// one (lda = 1024 puts all 12 in one set; 784 spreads them; 256 puts 3 in each of 4).
bool reads_a_in_place(const Operand& a, Index mr) {
  if (a.trans) return false;
  constexpr Index kLineBytes = 64, kWayBytes = 4096;
  std::array<int, kWayBytes / kLineBytes> rows_in_set{};
  for (Index i = 0; i < mr; ++i) {
    const Index offset = i * a.ld * Index{sizeof(float)} % kWayBytes;
    if (++rows_in_set[static_cast<std::size_t>(offset / kLineBytes)] >
        tuning::kInPlaceRowsPerL1Set) {
      return false;
    }
  }
  return true;
}

// A GEMM with m == 1 or n == 1 is a matrix-vector product: each element of the matrix
// is used once, so packing it would only double its memory traffic, and a 12 x 32
// microkernel would do 12 (or 32) times the useful work. The matrix is read in place
// by dot_rows (its rows are along k) or axpy_rows (its rows are along the output),
// threads splitting the output. Returns false for any other shape.
bool run_as_matrix_vector(const SgemmKernels& kern, const Operand& a, const Operand& b, Index m,
                          Index n, Index k, const TileStore& store, float* c, Index ldc,
                          int threads) {
  if (m != 1 && n != 1) return false;
  // The matrix X (outputs x k), the vector v (k values, `inc` apart) and the output's
  // stride: C's column for n == 1, C's row for m == 1.
  const bool column = n == 1;
  const Operand& x = column ? a : b;
  const Index outputs = column ? m : n, incy = column ? ldc : 1;
  const float* v = column ? b.at(0, 0) : a.at(0, 0);
  const Index inc = column ? b.row_stride() : a.col_stride();
  // op(X)[out][p]: for n == 1, op(A)[i][p]; for m == 1, op(B)[p][j], read as [j][p].
  const bool rows_along_k = column ? !x.trans : x.trans;
  std::vector<float> gathered;
  if (inc != 1) {
    gathered.resize(static_cast<std::size_t>(k));
    for (Index p = 0; p < k; ++p) gathered[static_cast<std::size_t>(p)] = v[p * inc];
    v = gathered.data();
  }
  // The outputs of a column of C (n == 1) share its one bias; a row's (m == 1) have one each.
  TileStore mine = store;
  mine.bias_stride = column ? 0 : 1;
  detail::parallel_chunks(outputs, threads, 1, tuning::kFloatsPerLine, [&](Index begin, Index end) {
    TileStore chunk = mine;
    if (chunk.bias != nullptr) chunk.bias += begin * chunk.bias_stride;
    if (rows_along_k) {
      kern.dot_rows(x.data + begin * x.ld, x.ld, end - begin, k, v, chunk, c + begin * incy, incy);
    } else {
      kern.axpy_rows(x.data + begin, x.ld, k, end - begin, v, chunk, c + begin * incy, incy);
    }
  });
  return true;
}

// A problem this small (tuning::kSmallGemmMacs) with neither operand transposed runs
// on one thread with no packing: its operands fit in L1, where the microkernel reads
// them as stored, and packing would cost more than the reads it saves (each A panel
// serves at most a few B panels). OpenBLAS's and oneDNN's small-matrix paths do the same.
bool run_unpacked(const SgemmKernels& kern, const Operand& a, const Operand& b, Index m, Index n,
                  Index k, float alpha, float beta, const Epilogue& epilogue, float* c, Index ldc) {
  const double macs = static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
  if (a.trans || b.trans || macs > tuning::kSmallGemmMacs) return false;
  for (Index i = 0; i < m; i += kern.mr) {
    for (Index j = 0; j < n; j += kern.nr) {
      kern.microkernel_unpacked(k, a.data + i * a.ld, a.ld, b.data + j, b.ld, c + i * ldc + j, ldc,
                                tile_store(alpha, beta, epilogue, j, true, true),
                                std::min<Index>(kern.mr, m - i), std::min<Index>(kern.nr, n - j));
    }
  }
  return true;
}

}  // namespace

GemmBlocking gemm_blocking(Isa isa) { return detail::derive_blocking(blocking_rule(kernels(isa))); }

GemmBlocking sgemm_blocking_used(Isa isa, Index m, Index n, Index k, int threads,
                                 const GemmBlocking& blocking) {
  return detail::blocking_used(blocking_rule(kernels(isa)), m, n, k, threads, blocking);
}

bool sgemm_reads_a_in_place(Isa isa, Transpose trans_a, Index lda) {
  return reads_a_in_place({nullptr, lda, trans_a == Transpose::yes}, kernels(isa).mr);
}

void sgemm(Transpose trans_a, Transpose trans_b, Index m, Index n, Index k, float alpha,
           const float* a, Index lda, const float* b, Index ldb, float beta, float* c, Index ldc,
           const RunOptions& run, const GemmBlocking& blocking, const Epilogue& epilogue) {
  const SgemmKernels& kern = kernels(run.isa);
  if (m == 0 || n == 0) return;
  if (k == 0 || alpha == 0.0f) {
    scale_c(m, n, beta, c, ldc, epilogue);
    return;
  }
  const int threads = detail::gemm_threads(m, n, k, tuning::kGemmMinMacsPerThread, run.threads);
  const Operand op_a{a, lda, trans_a == Transpose::yes}, op_b{b, ldb, trans_b == Transpose::yes};
  if (run_as_matrix_vector(kern, op_a, op_b, m, n, k,
                           tile_store(alpha, beta, epilogue, 0, true, true), c, ldc, threads)) {
    return;
  }
  if (run_unpacked(kern, op_a, op_b, m, n, k, alpha, beta, epilogue, c, ldc)) return;
  const SgemmView view{
      kern, op_a, op_b, alpha, beta, epilogue, c, ldc, reads_a_in_place(op_a, kern.mr)};
  detail::blis_loops<float>("sgemm", view, m, n, k,
                            detail::blocking_used(blocking_rule(kern), m, n, k, threads, blocking),
                            kern.mr, kern.nr, threads);
}

}  // namespace tandem::cpu
