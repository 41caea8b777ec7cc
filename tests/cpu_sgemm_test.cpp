// SGEMM on every CPU path against the reference, on the shapes that break GEMMs.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <tandem/cpu/kernels.h>
#include <tandem/cpu/random.h>
#include <tandem/cpu/reference.h>

#include "gemm_operands.h"
#include "isa_test_util.h"

namespace cpu = tandem::cpu;
using tandem::Transpose;

namespace {

struct Case {
  std::int64_t m, n, k;
  Transpose ta = Transpose::no, tb = Transpose::no;
  float alpha = 1.0f, beta = 0.0f;
  std::int64_t pad = 0;  // extra elements per row beyond what each operand needs
  int threads = 0;
  std::string str() const {
    return std::to_string(m) + "x" + std::to_string(n) + "x" + std::to_string(k) +
           (ta == Transpose::yes ? " A^T" : "") + (tb == Transpose::yes ? " B^T" : "") +
           " alpha=" + std::to_string(alpha) + " beta=" + std::to_string(beta) +
           " pad=" + std::to_string(pad) + " threads=" + std::to_string(threads);
  }
};

using Operands = tandem::testing::GemmOperands;

Operands make(const Case& t, bool integers, std::uint64_t seed) {
  return tandem::testing::make_gemm_operands(t.m, t.n, t.k, t.ta, t.tb, t.beta, t.pad, integers,
                                             seed);
}

class CpuSgemm : public tandem::testing::PerIsa {
 protected:
  // Runs the case on the path under test and on the reference; compares every
  // element of C, padding included (which neither may touch).
  void check(const Case& t, bool integers) {
    Operands fast = make(t, integers, 17);
    Operands ref = fast;
    cpu::sgemm(t.ta, t.tb, t.m, t.n, t.k, t.alpha, fast.a.data(), fast.lda, fast.b.data(), fast.ldb,
               t.beta, fast.c.data(), fast.ldc, run(t.threads));
    expect_ran_on_path();
    cpu::reference::gemm(t.ta, t.tb, t.m, t.n, t.k, t.alpha, ref.a.data(), ref.lda, ref.b.data(),
                         ref.ldb, t.beta, ref.c.data(), ref.ldc);
    // Tolerance for float data, per element (u = 2^-24, the unit roundoff):
    //   |fast - ref| <= 2 K u (|alpha| sum_p |a_ip| |b_pj| + |beta c_ij|)
    // the classic bound for a K-term float dot product, doubled for blocking's reordering.
    std::vector<float> magnitude(t.m * fast.ldc, 0.0f);
    if (!integers) {
      Operands abs = make(t, integers, 17);
      for (auto* v : {&abs.a, &abs.b, &abs.c}) {
        for (float& x : *v) x = std::fabs(x);
      }
      cpu::reference::gemm(t.ta, t.tb, t.m, t.n, t.k, std::fabs(t.alpha), abs.a.data(), abs.lda,
                           abs.b.data(), abs.ldb, std::fabs(t.beta), abs.c.data(), abs.ldc);
      magnitude = abs.c;
    }
    std::int64_t bad = 0;
    for (std::int64_t i = 0; i < t.m; ++i) {
      for (std::int64_t j = 0; j < fast.ldc; ++j) {
        const std::size_t at = i * fast.ldc + j;
        const float got = fast.c[at], want = ref.c[at];
        if (j >= t.n) {  // padding: untouched, NaN or not
          if (!(std::isnan(got) && std::isnan(want)) && got != want) ++bad;
          continue;
        }
        const double tol =
            integers ? 0.0 : 2.0 * static_cast<double>(t.k + 1) * 0x1p-24 * magnitude[at];
        if (!(std::fabs(double{got} - double{want}) <= tol)) {
          if (bad++ < 5) {
            ADD_FAILURE() << t.str() << ": C[" << i << "][" << j << "] = " << got << ", reference "
                          << want;
          }
        }
      }
    }
    EXPECT_EQ(bad, 0) << t.str();
  }
};

TEST_P(CpuSgemm, EdgeShapesExactOnIntegers) {
  const Case cases[] = {
      {1, 1, 1},    {37, 53, 29},  {4096, 7, 5},   {7, 4096, 3}, {64, 64, 1},
      {13, 17, 1},  {5, 3, 700},   {97, 101, 103}, {6, 16, 256}, {12, 32, 128},
      {7, 17, 257}, {300, 65, 31}, {2, 1000, 2},   {1000, 2, 2},
  };
  for (const Case& t : cases) check(t, true);
}

TEST_P(CpuSgemm, TransposesLeadingDimensionsAlphaBeta) {
  for (const auto ta : {Transpose::no, Transpose::yes}) {
    for (const auto tb : {Transpose::no, Transpose::yes}) {
      check({37, 53, 29, ta, tb, 1.0f, 0.0f, 3}, true);
      check({37, 53, 29, ta, tb, 2.0f, -1.0f, 5}, true);
      check({19, 70, 300, ta, tb, -0.5f, 0.5f, 1}, true);
    }
  }
}

// m == 1 and n == 1 run as matrix-vector products (dot_rows, axpy_rows), reading the
// matrix in place: every transpose, a strided vector (padding), C's strided column,
// beta, and a second thread splitting the outputs.
TEST_P(CpuSgemm, MatrixVectorShapesEveryTransposeAndStride) {
  const Case shapes[] = {{1, 300, 77},   {300, 1, 77}, {1, 1, 50},  {1, 1000, 33},
                         {513, 1, 1000}, {1, 37, 1},   {70, 1, 17}, {1, 16, 16}};
  for (const Case& shape : shapes) {
    for (const auto ta : {Transpose::no, Transpose::yes}) {
      for (const auto tb : {Transpose::no, Transpose::yes}) {
        for (const std::int64_t pad : {0, 3}) {
          for (const int threads : {1, 2}) {
            check({shape.m, shape.n, shape.k, ta, tb, 1.0f, 0.0f, pad, threads}, true);
            check({shape.m, shape.n, shape.k, ta, tb, 2.0f, -1.0f, pad, threads}, true);
          }
        }
      }
    }
  }
  check({1, 500, 300}, false);
  check({500, 1, 300}, false);
}

// Threads own regions of C (a grid over its MR-row and NR-column panels): shapes
// whose panels split unevenly, or into fewer regions than threads, on 2, 3 and 5 threads.
TEST_P(CpuSgemm, ThreadRegionsCoverCExactlyOnce) {
  const Case shapes[] = {{13, 200, 40}, {200, 13, 40}, {25, 33, 64}, {64, 64, 64}, {2, 2, 300}};
  for (const Case& shape : shapes) {
    for (const int threads : {2, 3, 5}) {
      check({shape.m, shape.n, shape.k, Transpose::no, Transpose::no, 1.0f, 1.0f, 1, threads},
            true);
      check({shape.m, shape.n, shape.k, Transpose::yes, Transpose::yes, 1.0f, 0.0f, 0, threads},
            true);
    }
  }
}

// The driver's two loop orders inside a block (gemm_driver.h): row panels outer when
// the B block fits in half of L2, B panels outer otherwise. The L2 in use is set here,
// so that both orders run on every machine whatever its caches.
TEST_P(CpuSgemm, BothInnerLoopOrdersMatchTheReference) {
  for (const std::int64_t l2 : {std::int64_t{16} << 10, std::int64_t{64} << 20}) {
    SCOPED_TRACE("L2 " + std::to_string(l2));
    tandem::cpu::CacheSizes sizes = tandem::cpu::effective_cache_sizes();
    sizes.l2_bytes = l2;
    sizes.source = "test";
    tandem::cpu::set_measured_cache_sizes(sizes);
    for (const int threads : {1, 2}) {
      check({150, 200, 300, Transpose::no, Transpose::no, 1.0f, 1.0f, 3, threads}, true);
      check({90, 70, 600, Transpose::yes, Transpose::no, 2.0f, 0.0f, 0, threads}, true);
    }
    check({150, 200, 300, Transpose::no, Transpose::no, 1.0f, 0.0f, 0, 1}, false);
    tandem::cpu::clear_measured_cache_sizes();
  }
}

// Up to 64^3 multiply-adds, untransposed operands are read as stored (no packing);
// just above, and transposed, they are packed: both sides of the line, with padded
// leading dimensions, column counts off the tile (B's partial loads) and beta.
TEST_P(CpuSgemm, SmallProblemsUnpackedAndJustAbove) {
  const Case shapes[] = {{64, 64, 64}, {64, 64, 65}, {13, 45, 31}, {25, 70, 9}, {2, 3, 4000}};
  for (const Case& shape : shapes) {
    for (const std::int64_t pad : {0, 5}) {
      check({shape.m, shape.n, shape.k, Transpose::no, Transpose::no, 1.0f, 0.0f, pad}, true);
      check({shape.m, shape.n, shape.k, Transpose::no, Transpose::no, -2.0f, 3.0f, pad}, true);
      check({shape.m, shape.n, shape.k, Transpose::yes, Transpose::no, 1.0f, 1.0f, pad}, true);
    }
  }
}

// A is read in place unless its rows, lda floats apart, crowd an L1 set (or it is
// transposed): both sides, with partial row panels, beta, k blocks and two threads.
TEST_P(CpuSgemm, AReadInPlaceOrPackedByItsRowStride) {
  struct Stride {
    std::int64_t k, pad;
    Transpose ta;
    bool in_place;
  };
  const Stride strides[] = {
      {300, 0, Transpose::no, true},     // rows 1200 bytes apart: spread over the sets
      {256, 0, Transpose::no, true},     // 1 KiB: 3 rows in each of 4 sets
      {1000, 24, Transpose::no, false},  // 4 KiB: every row in one set
      {600, 424, Transpose::no, false},  // 4 KiB again, k shorter than the stride
      {300, 0, Transpose::yes, false},   // A^T: packed (its rows do not run along k)
  };
  for (const Stride& s : strides) {
    const Case t{77, 45, s.k, s.ta, Transpose::no, 1.0f, 0.0f, s.pad};
    const std::int64_t lda = (s.ta == Transpose::no ? s.k : t.m) + s.pad;
    EXPECT_EQ(cpu::sgemm_reads_a_in_place(isa(), s.ta, lda), s.in_place) << "lda " << lda;
    check(t, true);
    check({t.m, t.n, t.k, t.ta, t.tb, -1.5f, 2.0f, t.pad, 2}, true);
    check({t.m, t.n, t.k, t.ta, t.tb, 0.5f, 1.0f, t.pad, 1}, false);
  }
  EXPECT_TRUE(cpu::sgemm_reads_a_in_place(isa(), Transpose::no, 784));
  EXPECT_FALSE(cpu::sgemm_reads_a_in_place(isa(), Transpose::no, 2048));
}

TEST_P(CpuSgemm, BetaZeroNeverReadsNaNInC) {
  check({40, 40, 40, Transpose::no, Transpose::no, 1.0f, 0.0f}, true);
  check({3, 5, 0, Transpose::no, Transpose::no, 1.0f, 0.0f}, true);  // K = 0: C = 0
  check({3, 5, 4, Transpose::no, Transpose::no, 0.0f, 0.0f}, true);  // alpha = 0
  check({3, 5, 4, Transpose::no, Transpose::no, 0.0f, 2.0f}, true);
}

TEST_P(CpuSgemm, LargeAndThreadedWithinTheKScaledTolerance) {
  check({256, 256, 256}, false);
  check({200, 300, 600, Transpose::no, Transpose::no, 1.0f, 0.0f, 0, 2}, false);
  check({523, 129, 1031, Transpose::yes, Transpose::no, 1.0f, 1.0f, 0, 2}, false);
  check({256, 256, 256, Transpose::no, Transpose::no, 1.0f, 0.0f, 0, 1}, true);
  check({256, 256, 256, Transpose::no, Transpose::no, 1.0f, 0.0f, 0, 2}, true);
}

TEST_P(CpuSgemm, ExplicitBlockingSweep) {
  // The analyzer sweeps the block size: every blocking gives the same exact result.
  Case t{150, 170, 190};
  Operands ref = make(t, true, 5);
  cpu::reference::gemm(t.ta, t.tb, t.m, t.n, t.k, 1.0f, ref.a.data(), ref.lda, ref.b.data(),
                       ref.ldb, 0.0f, ref.c.data(), ref.ldc);
  for (const std::int64_t block : {8, 16, 33, 64, 128, 512}) {
    Operands fast = make(t, true, 5);
    cpu::sgemm(t.ta, t.tb, t.m, t.n, t.k, 1.0f, fast.a.data(), fast.lda, fast.b.data(), fast.ldb,
               0.0f, fast.c.data(), fast.ldc, run(), {block, block, block});
    expect_ran_on_path();
    EXPECT_EQ(fast.c, ref.c) << "block " << block;
  }
}

// Packing blocks above the 4 MiB a thread keeps between calls (a 600 x 2100 B panel,
// 5 MB) are allocated for the call: same exact result, on 1 and 2 threads.
TEST_P(CpuSgemm, PackingLargerThanTheKeptSpace) {
  Case t{20, 2100, 600};
  Operands ref = make(t, true, 9);
  cpu::reference::gemm(t.ta, t.tb, t.m, t.n, t.k, 1.0f, ref.a.data(), ref.lda, ref.b.data(),
                       ref.ldb, 0.0f, ref.c.data(), ref.ldc);
  for (const int threads : {1, 2}) {
    Operands fast = make(t, true, 9);
    cpu::sgemm(t.ta, t.tb, t.m, t.n, t.k, 1.0f, fast.a.data(), fast.lda, fast.b.data(), fast.ldb,
               0.0f, fast.c.data(), fast.ldc, run(threads), {0, 600, 2100});
    expect_ran_on_path();
    EXPECT_EQ(fast.c, ref.c) << threads << " threads";
  }
}

TEST_P(CpuSgemm, DerivedBlockingFitsTheCaches) {
  const cpu::GemmBlocking b = cpu::gemm_blocking(isa());
  EXPECT_GE(b.kc, 64);
  EXPECT_GT(b.mc, 0);
  EXPECT_GT(b.nc, 0);
}

TANDEM_INSTANTIATE_PER_ISA(CpuSgemm);

}  // namespace
