// The CUDA GEMMs against the reference: every SGEMM implementation (tiled_basic,
// tiled, cuBLAS) on the shapes that break GEMMs, with and without the epilogue (bias,
// activation), the integer GEMMs (dp4a, int16, the cuBLAS int8 anchor) and the
// quantized matmul bit for bit. Outputs sit between guards that must stay unwritten.
// Also: cuda.tiled's two tile shapes, each forced; an FP32 error bound on normal data
// that TF32 would break (proven on the host); cuda.tiled against cuBLAS at 4096^3.
// GPU tests skip, with the reason, where there is no GPU.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <tandem/cpu/random.h>
#include <tandem/cpu/reference.h>
#include <tandem/cuda/kernels.h>
#include <tandem/cuda/memory.h>
#include <tandem/cuda/runtime.h>
#include <tandem/epilogue.h>
#include <tandem/error.h>
#include <tandem/quantization_rules.h>

#include "cuda_test_util.h"
#include "gemm_operands.h"
#include "sgemm_fp32_bound.h"

namespace cuda = tandem::cuda;
namespace cpu = tandem::cpu;
using tandem::Activation;
using tandem::Transpose;

namespace {

// host[0 .. n) on device 0 at `offset` elements into a fresh buffer (an offset of 1
// makes the data unaligned for 16-byte loads).
template <typename T>
cuda::DeviceBuffer upload_at(const std::vector<T>& host, std::size_t offset) {
  cuda::DeviceBuffer buffer(0, (host.size() + offset) * sizeof(T));
  if (!host.empty()) {
    cuda::copy_host_to_device(0, buffer.as<T>() + offset, host.data(), host.size() * sizeof(T));
  }
  return buffer;
}

// ---- SGEMM ------------------------------------------------------------------------
struct SgemmCase {
  std::int64_t m, n, k;
  Transpose ta = Transpose::no, tb = Transpose::no;
  float alpha = 1.0f, beta = 0.0f;
  std::int64_t pad = 0;    // extra elements per row beyond what each operand needs
  std::size_t offset = 0;  // elements between each buffer's start and its operand
  std::string str() const {
    return std::to_string(m) + "x" + std::to_string(n) + "x" + std::to_string(k) +
           (ta == Transpose::yes ? " A^T" : "") + (tb == Transpose::yes ? " B^T" : "") +
           " alpha=" + std::to_string(alpha) + " beta=" + std::to_string(beta) +
           " pad=" + std::to_string(pad) + " offset=" + std::to_string(offset);
  }
};

using Operands = tandem::testing::GemmOperands;

Operands make(const SgemmCase& t, bool integers, std::uint64_t seed) {
  return tandem::testing::make_gemm_operands(t.m, t.n, t.k, t.ta, t.tb, t.beta, t.pad, integers,
                                             seed);
}

// The epilogue of a case, on the host: the bias (n values, or empty for none) and the
// activation. The test uploads the bias at the case's offset, like the operands.
struct EpilogueCase {
  std::vector<float> bias;
  Activation activation = Activation::none;
  std::string str() const {
    return std::string(" bias=") + (bias.empty() ? "none" : "yes") +
           " act=" + std::string(tandem::activation_name(activation));
  }
};

// A bias for n columns: integers in [-8, 8] with integer operands (every sum stays
// exact), else normal values.
std::vector<float> make_bias(std::int64_t n, bool integers) {
  std::vector<float> bias(static_cast<std::size_t>(n));
  if (integers) {
    cpu::fill_uniform_int(bias.data(), n, 23, -8, 8);
  } else {
    cpu::fill_normal(bias.data(), n, 23);
  }
  return bias;
}

// The epilogues every epilogue test runs: bias with relu, relu alone, bias alone.
std::vector<EpilogueCase> epilogues(std::int64_t n, bool integers) {
  return {{make_bias(n, integers), Activation::relu},
          {{}, Activation::relu},
          {make_bias(n, integers), Activation::none}};
}

std::string impl_name(const ::testing::TestParamInfo<cuda::SgemmImpl>& info) {
  std::string name = cuda::sgemm_impl_name(info.param);
  for (char& ch : name) {
    if (ch == '.') ch = '_';
  }
  return name;
}

// The SGEMM under test: an implementation and, for cuda.tiled, its tile shape
// (automatic: the public sgemm call, which applies the rule).
struct SgemmUnderTest {
  cuda::SgemmImpl impl;
  cuda::SgemmTiledConfig config = cuda::SgemmTiledConfig::automatic;

  std::string name() const {
    switch (config) {
      case cuda::SgemmTiledConfig::large:
        return "cuda.tiled (large tiles forced)";
      case cuda::SgemmTiledConfig::small:
        return "cuda.tiled (small tiles forced)";
      default:
        return cuda::sgemm_impl_name(impl);
    }
  }

  void run(Transpose ta, Transpose tb, std::int64_t m, std::int64_t n, std::int64_t k, float alpha,
           const float* a, std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c,
           std::int64_t ldc, const cuda::Stream& stream,
           const tandem::Epilogue& epilogue = {}) const {
    if (config == cuda::SgemmTiledConfig::automatic) {
      cuda::sgemm(impl, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, stream, epilogue);
    } else {
      cuda::sgemm_tiled_with(config, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, stream,
                             epilogue);
    }
  }
};

// Runs the case (operands `host`, epilogue e) on `under_test` and on the reference;
// compares all of C, padding included, and checks the guards around C (nothing
// written outside it). NaN in the reference must be NaN in C; after relu no element
// may be negative or -0.
void check_sgemm(const SgemmUnderTest& under_test, const SgemmCase& t, const Operands& host,
                 bool integers, const EpilogueCase& e) {
  Operands ref = host;
  const cuda::DeviceBuffer a = upload_at(host.a, t.offset);
  const cuda::DeviceBuffer b = upload_at(host.b, t.offset);
  const auto c = tandem::testing::GuardedBuffer::holding(host.c, t.offset);
  cuda::DeviceBuffer bias;
  if (!e.bias.empty()) bias = upload_at(e.bias, t.offset);
  const tandem::Epilogue on_device{e.bias.empty() ? nullptr : bias.as<float>() + t.offset,
                                   e.activation};
  const tandem::Epilogue on_host{e.bias.empty() ? nullptr : e.bias.data(), e.activation};
  const cuda::Stream stream(0);
  under_test.run(t.ta, t.tb, t.m, t.n, t.k, t.alpha, a.as<float>() + t.offset, host.lda,
                 b.as<float>() + t.offset, host.ldb, t.beta, c.payload<float>(), host.ldc, stream,
                 on_device);
  stream.synchronize();
  const std::vector<float> got = c.download<float>();
  cpu::reference::gemm(t.ta, t.tb, t.m, t.n, t.k, t.alpha, ref.a.data(), ref.lda, ref.b.data(),
                       ref.ldb, t.beta, ref.c.data(), ref.ldc, on_host);
  // Tolerance for float data, per element (u = 2^-24):
  //   |got - ref| <= 2 (K + 1) u (|alpha| sum_p |a_ip| |b_pj| + |beta c_ij|)
  // With a bias, one more rounding (the float add): 2 (K + 2) u (that + |bias_j|). The
  // activation (relu) adds no error. Integer data (and integer bias) is exact.
  std::vector<float> magnitude(got.size(), 0.0f);
  if (!integers) {
    Operands abs = host;
    for (auto* v : {&abs.a, &abs.b, &abs.c}) {
      for (float& x : *v) x = std::fabs(x);
    }
    cpu::reference::gemm(t.ta, t.tb, t.m, t.n, t.k, std::fabs(t.alpha), abs.a.data(), abs.lda,
                         abs.b.data(), abs.ldb, std::fabs(t.beta), abs.c.data(), abs.ldc);
    magnitude = abs.c;
  }
  const std::string what = under_test.name() + " " + t.str() + e.str();
  EXPECT_TRUE(c.guards_intact()) << what;
  std::int64_t bad = 0;
  for (std::int64_t i = 0; i < t.m; ++i) {
    for (std::int64_t j = 0; j < host.ldc; ++j) {
      const std::size_t at = i * host.ldc + j;
      const float g = got[at], want = ref.c[at];
      if (j >= t.n) {  // padding: untouched (NaN)
        if (!std::isnan(g) && bad++ < 5) {
          ADD_FAILURE() << what << ": padding C[" << i << "][" << j << "] written: " << g;
        }
        continue;
      }
      if (std::isnan(want)) {
        if (!std::isnan(g) && bad++ < 5) {
          ADD_FAILURE() << what << ": C[" << i << "][" << j << "] = " << g << ", reference NaN";
        }
        continue;
      }
      if (e.activation == Activation::relu && std::signbit(g) && bad++ < 5) {
        ADD_FAILURE() << what << ": C[" << i << "][" << j << "] = " << g << " after relu";
        continue;
      }
      double tol = 0.0;
      if (!integers && e.bias.empty()) {
        tol = 2.0 * static_cast<double>(t.k + 1) * 0x1p-24 * magnitude[at];
      } else if (!integers) {
        tol = 2.0 * static_cast<double>(t.k + 2) * 0x1p-24 *
              (double{magnitude[at]} + std::fabs(double{e.bias[j]}));
      }
      if (!(std::fabs(double{g} - double{want}) <= tol) && bad++ < 5) {
        ADD_FAILURE() << what << ": C[" << i << "][" << j << "] = " << g << ", reference " << want;
      }
    }
  }
  EXPECT_EQ(bad, 0) << what;
}

void check_sgemm(const SgemmUnderTest& under_test, const SgemmCase& t, bool integers,
                 const EpilogueCase& e = {}) {
  check_sgemm(under_test, t, make(t, integers, 17), integers, e);
}

class CudaSgemmParity : public ::testing::TestWithParam<cuda::SgemmImpl> {
 protected:
  void check(const SgemmCase& t, bool integers, const EpilogueCase& e = {}) {
    check_sgemm({GetParam()}, t, integers, e);
  }
  void check(const SgemmCase& t, const Operands& host, bool integers, const EpilogueCase& e) {
    check_sgemm({GetParam()}, t, host, integers, e);
  }
};

TEST_P(CudaSgemmParity, EdgeShapesExactOnIntegers) {
  TANDEM_REQUIRE_GPU();
  const SgemmCase cases[] = {
      {1, 1, 1},    {37, 53, 29},   {4096, 7, 5},    {7, 4096, 3},   {64, 64, 1},   {13, 17, 1},
      {5, 3, 700},  {97, 101, 103}, {128, 128, 128}, {129, 131, 67}, {6, 16, 256},  {300, 65, 31},
      {2, 1000, 2}, {1000, 2, 2},   {64, 64, 8},     {65, 63, 9},    {127, 129, 7}, {256, 8, 300},
  };
  for (const SgemmCase& t : cases) check(t, true);
}

TEST_P(CudaSgemmParity, TransposesLeadingDimensionsAlphaBeta) {
  TANDEM_REQUIRE_GPU();
  for (const auto ta : {Transpose::no, Transpose::yes}) {
    for (const auto tb : {Transpose::no, Transpose::yes}) {
      check({37, 53, 29, ta, tb, 1.0f, 0.0f, 3}, true);
      check({37, 53, 29, ta, tb, 2.0f, -1.0f, 5}, true);
      check({19, 70, 300, ta, tb, -0.5f, 0.5f, 1}, true);
      check({129, 131, 67, ta, tb, 1.0f, 1.0f, 4}, true);  // ld % 4 == 3: scalar loads
      check({128, 132, 64, ta, tb, 1.0f, 0.0f, 4}, true);  // ld % 4 == 0: float4 loads
    }
  }
}

TEST_P(CudaSgemmParity, BetaZeroNeverReadsNaNInC) {
  TANDEM_REQUIRE_GPU();
  check({40, 40, 40, Transpose::no, Transpose::no, 1.0f, 0.0f}, true);
  check({3, 5, 0, Transpose::no, Transpose::no, 1.0f, 0.0f}, true);     // K = 0: C = 0
  check({3, 5, 0, Transpose::yes, Transpose::yes, 1.0f, 0.0f}, true);   // ... lda = 0 too
  check({3, 5, 0, Transpose::no, Transpose::no, 1.0f, 2.0f, 2}, true);  // K = 0: C = 2C
  check({3, 5, 4, Transpose::no, Transpose::no, 0.0f, 0.0f}, true);     // alpha = 0
  check({3, 5, 4, Transpose::no, Transpose::no, 0.0f, 2.0f}, true);
  check({200, 300, 64, Transpose::no, Transpose::no, 1.0f, 0.0f, 4}, true);  // float4 stores
}

TEST_P(CudaSgemmParity, LargeTilesAllTransposes) {
  TANDEM_REQUIRE_GPU();
  // Enough 128 x 128 tiles for a wave of SMs: the tiled kernel's large configuration,
  // with edges in m, n and k, float4 loads (pad 3 makes every ld a multiple of 4 here)
  // and scalar ones (pad 0).
  for (const auto ta : {Transpose::no, Transpose::yes}) {
    for (const auto tb : {Transpose::no, Transpose::yes}) {
      check({1541, 1545, 37, ta, tb, 1.0f, 0.0f, 3}, true);
      check({1541, 1545, 37, ta, tb, 1.0f, -1.0f, 0}, true);
    }
  }
  check({1536, 1536, 64, Transpose::no, Transpose::no, 1.0f, 0.0f}, true);
}

TEST_P(CudaSgemmParity, UnalignedPointersAndOddLeadingDimensions) {
  TANDEM_REQUIRE_GPU();
  for (const auto ta : {Transpose::no, Transpose::yes}) {
    for (const auto tb : {Transpose::no, Transpose::yes}) {
      check({100, 96, 48, ta, tb, 1.0f, 0.5f, 0, 1}, true);     // 4-byte aligned only
      check({1536, 1540, 24, ta, tb, 1.0f, 0.0f, 4, 2}, true);  // 8-byte aligned only
      check({33, 47, 13, ta, tb, 1.0f, 0.0f, 1, 3}, true);
    }
  }
}

TEST_P(CudaSgemmParity, WithinTheKScaledToleranceOnNormalData) {
  TANDEM_REQUIRE_GPU();
  check({256, 256, 256}, false);
  check({523, 129, 1031, Transpose::yes, Transpose::no, 1.0f, 1.0f}, false);
  check({200, 300, 600, Transpose::no, Transpose::yes, -2.0f, 0.5f, 3}, false);
  check({1536, 1536, 100}, false);
}

// ---- The epilogue: C = act(float(alpha AB + beta C) + bias[j]) ---------------------
TEST_P(CudaSgemmParity, EpilogueEdgeShapesExactOnIntegers) {
  TANDEM_REQUIRE_GPU();
  // m, n, k of 1, and both sides of the 32-, 64- and 128-wide tiles; beta 0 and not.
  const SgemmCase cases[] = {
      {1, 1, 1},
      {1, 67, 5},
      {67, 1, 5},
      {5, 7, 1},
      {63, 65, 17},
      {65, 63, 9},
      {64, 64, 8},
      {127, 129, 7},
      {129, 127, 33},
      {128, 128, 128},
      {31, 33, 40},
      {4096, 7, 5},
      {7, 4096, 3},
      {1, 1, 1, Transpose::no, Transpose::no, 1.0f, 2.0f},
      {63, 65, 17, Transpose::no, Transpose::no, 2.0f, -1.0f, 3},
      {129, 127, 33, Transpose::no, Transpose::no, -1.0f, 0.5f, 1},
  };
  for (const SgemmCase& t : cases) {
    for (const EpilogueCase& e : epilogues(t.n, true)) check(t, true, e);
  }
}

TEST_P(CudaSgemmParity, EpilogueLargeTilesAllTransposes) {
  TANDEM_REQUIRE_GPU();
  // The tiled kernel's 128 x 128 configuration (a wave of SMs), edges in m, n and k,
  // float4 stores (pad 3) and scalar ones (pad 0), beta 0 and -1.
  for (const auto ta : {Transpose::no, Transpose::yes}) {
    for (const auto tb : {Transpose::no, Transpose::yes}) {
      const SgemmCase t{1541, 1545, 37, ta, tb, 1.0f, 0.0f, 3};
      check(t, true, {make_bias(t.n, true), Activation::relu});
      check({1541, 1545, 37, ta, tb, 1.0f, -1.0f, 0}, true, {{}, Activation::relu});
    }
  }
}

TEST_P(CudaSgemmParity, EpilogueTransposesLeadingDimensionsUnaligned) {
  TANDEM_REQUIRE_GPU();
  for (const auto ta : {Transpose::no, Transpose::yes}) {
    for (const auto tb : {Transpose::no, Transpose::yes}) {
      for (const SgemmCase& t : {SgemmCase{37, 53, 29, ta, tb, 2.0f, -1.0f, 5},
                                 SgemmCase{128, 132, 64, ta, tb, 1.0f, 0.0f, 4},      // float4
                                 SgemmCase{100, 96, 48, ta, tb, 1.0f, 0.5f, 0, 1},    // 4-byte
                                 SgemmCase{33, 47, 13, ta, tb, 1.0f, 0.0f, 1, 3}}) {  // bias too
        for (const EpilogueCase& e : epilogues(t.n, true)) check(t, true, e);
      }
    }
  }
}

TEST_P(CudaSgemmParity, EpilogueKZeroAndAlphaZero) {
  TANDEM_REQUIRE_GPU();
  // K = 0: C = act(bias) without reading C (NaN) when beta == 0, else act(beta C + bias);
  // alpha = 0 is the same without reading A or B.
  for (const SgemmCase& t : {SgemmCase{3, 5, 0},                                  // lda = 0
                             SgemmCase{3, 5, 0, Transpose::yes, Transpose::yes},  // ldb = 0
                             SgemmCase{65, 63, 0, Transpose::no, Transpose::no, 1.0f, 2.0f, 2},
                             SgemmCase{1, 1, 0, Transpose::no, Transpose::no, 1.0f, -1.0f},
                             SgemmCase{3, 5, 4, Transpose::no, Transpose::no, 0.0f, 0.0f},
                             SgemmCase{3, 5, 4, Transpose::no, Transpose::no, 0.0f, 2.0f}}) {
    for (const EpilogueCase& e : epilogues(t.n, true)) check(t, true, e);
  }
}

TEST_P(CudaSgemmParity, EpilogueWithinTheKScaledToleranceOnNormalData) {
  TANDEM_REQUIRE_GPU();
  for (const SgemmCase& t :
       {SgemmCase{256, 256, 256},
        SgemmCase{523, 129, 1031, Transpose::yes, Transpose::no, 1.0f, 1.0f},
        SgemmCase{200, 300, 600, Transpose::no, Transpose::yes, -2.0f, 0.5f, 3},
        SgemmCase{1536, 1536, 100}}) {
    for (const EpilogueCase& e : epilogues(t.n, false)) check(t, false, e);
  }
}

TEST_P(CudaSgemmParity, EpilogueNaNPropagatesThroughRelu) {
  TANDEM_REQUIRE_GPU();
  // NaN reaching the GEMM's result from A (row 2) and from C (one element, beta != 0),
  // and NaN in the bias (column 4): relu keeps each NaN (its comparison fails).
  for (const auto ta : {Transpose::no, Transpose::yes}) {
    for (const SgemmCase& t : {SgemmCase{37, 53, 29, ta, Transpose::no, 1.0f, 1.0f},
                               SgemmCase{130, 131, 9, ta, Transpose::no, 1.0f, 1.0f, 4}}) {
      Operands host = make(t, true, 17);
      host.a[ta == Transpose::yes ? 2 : 2 * host.lda] = std::numeric_limits<float>::quiet_NaN();
      host.c[1 * host.ldc + 3] = std::numeric_limits<float>::quiet_NaN();
      std::vector<float> bias = make_bias(t.n, true);
      bias[4] = std::numeric_limits<float>::quiet_NaN();
      check(t, host, true, {bias, Activation::relu});
      check(t, host, true, {{}, Activation::relu});
      check(t, host, true, {bias, Activation::none});
    }
  }
}

TEST_P(CudaSgemmParity, EpilogueReluTurnsNegativeZeroPositive) {
  TANDEM_REQUIRE_GPU();
  // A = +0 and alpha = -1: the GEMM's result is -0 (or +0); with a bias of -0 the sum
  // stays -0. relu must store +0 (check() refuses a sign bit after relu).
  for (const SgemmCase& t : {SgemmCase{5, 7, 3, Transpose::no, Transpose::no, -1.0f, 0.0f},
                             SgemmCase{129, 67, 9, Transpose::no, Transpose::no, -1.0f, 0.0f, 4},
                             SgemmCase{4, 4, 0, Transpose::no, Transpose::no, 1.0f, 0.0f}}) {
    Operands host = make(t, true, 17);
    std::fill(host.a.begin(), host.a.end(), 0.0f);
    check(t, host, true, {std::vector<float>(t.n, -0.0f), Activation::relu});
    check(t, host, true, {{}, Activation::relu});
  }
}

TEST_P(CudaSgemmParity, GuardsAroundCIntactOnOddShapes) {
  TANDEM_REQUIRE_GPU();
  // check() fails on any byte written in the guards around C. m, n, k off every tile
  // size (partial tiles at each edge), unpadded C (its last element against the back
  // guard), padded and misaligned C, transposes; the large tiles' edges too.
  for (const SgemmCase& t : {SgemmCase{1, 1, 1}, SgemmCase{129, 67, 33}, SgemmCase{67, 129, 33},
                             SgemmCase{129, 67, 33, Transpose::yes, Transpose::yes, 1.0f, -1.0f},
                             SgemmCase{129, 67, 33, Transpose::no, Transpose::no, 1.0f, 0.0f, 3, 1},
                             SgemmCase{2049, 2055, 19}}) {
    check(t, true);
    check(t, true, {make_bias(t.n, true), Activation::relu});
  }
}

// C = A B (contiguous, row-major) on the GPU with `under_test`, C between guards that
// must stay intact.
std::vector<float> product_on_gpu(const SgemmUnderTest& under_test, const std::vector<float>& a,
                                  const std::vector<float>& b, std::int64_t m, std::int64_t n,
                                  std::int64_t k) {
  const cuda::DeviceBuffer da = tandem::testing::upload(a);
  const cuda::DeviceBuffer db = tandem::testing::upload(b);
  tandem::testing::GuardedBuffer dc(static_cast<std::size_t>(m * n) * sizeof(float));
  const cuda::Stream stream(0);
  under_test.run(Transpose::no, Transpose::no, m, n, k, 1.0f, da.as<float>(), k, db.as<float>(), n,
                 0.0f, dc.payload<float>(), n, stream);
  stream.synchronize();
  EXPECT_TRUE(dc.guards_intact()) << under_test.name() << " " << m << "x" << n << "x" << k;
  return dc.download<float>();
}

TEST_P(CudaSgemmParity, NormalDataSmallKWithinTheFp32BoundSoNotTf32) {
  TANDEM_REQUIRE_GPU();
  // Integer data is exact in TF32 too; normal data with small K is not (see
  // SgemmFp32Bound.EmulatedTf32OnTheHostViolatesIt).
  using namespace tandem::testing;
  for (const std::int64_t k : kTf32ProbeKs) {
    const Tf32Probe probe = make_tf32_probe(k);
    const ExactProduct exact = exact_product(probe.a, probe.b, probe.m, probe.n, k);
    const std::vector<float> got =
        product_on_gpu({GetParam()}, probe.a, probe.b, probe.m, probe.n, k);
    const BoundViolations v = outside_bound(got, exact.c, exact.magnitude, fp32_gamma(k), probe.n);
    EXPECT_EQ(v.count, 0) << cuda::sgemm_impl_name(GetParam()) << " K = " << k << ":" << v.first;
  }
}

INSTANTIATE_TEST_SUITE_P(Impl, CudaSgemmParity,
                         ::testing::Values(cuda::SgemmImpl::tiled_basic, cuda::SgemmImpl::tiled,
                                           cuda::SgemmImpl::cublas),
                         impl_name);

TEST(CudaSgemm, RefusesBadShapesBeforeWriting) {
  TANDEM_REQUIRE_GPU();
  const cuda::Stream stream(0);
  std::vector<float> host(16, 42.0f);
  const cuda::DeviceBuffer buf = tandem::testing::upload(host);
  float* p = buf.as<float>();
  for (const auto impl :
       {cuda::SgemmImpl::tiled_basic, cuda::SgemmImpl::tiled, cuda::SgemmImpl::cublas}) {
    EXPECT_THROW(cuda::sgemm(impl, Transpose::no, Transpose::no, -1, 2, 2, 1.0f, p, 2, p, 2, 0.0f,
                             p, 2, stream),
                 tandem::ShapeError);
    EXPECT_THROW(cuda::sgemm(impl, Transpose::no, Transpose::no, 2, 2, 3, 1.0f, p, 2, p, 2, 0.0f, p,
                             2, stream),
                 tandem::ArgumentError);  // lda < k
    EXPECT_THROW(cuda::sgemm(impl, Transpose::yes, Transpose::no, 3, 2, 2, 1.0f, p, 2, p, 2, 0.0f,
                             p, 2, stream),
                 tandem::ArgumentError);  // A^T: lda < m
    EXPECT_THROW(cuda::sgemm(impl, Transpose::no, Transpose::no, 2, 3, 2, 1.0f, p, 2, p, 3, 0.0f, p,
                             2, stream),
                 tandem::ArgumentError);  // ldc < n
    // Empty outputs are no-ops.
    cuda::sgemm(impl, Transpose::no, Transpose::no, 0, 4, 4, 1.0f, p, 4, p, 4, 0.0f, p, 4, stream);
    cuda::sgemm(impl, Transpose::no, Transpose::no, 4, 0, 4, 1.0f, p, 4, p, 0, 0.0f, p, 0, stream);
  }
  stream.synchronize();
  EXPECT_EQ(tandem::testing::download<float>(buf, host.size()), host);
}

TEST(CudaSgemm, RefusesUnknownActivationBeforeWriting) {
  TANDEM_REQUIRE_GPU();
  const cuda::Stream stream(0);
  std::vector<float> host(16, 42.0f);
  const cuda::DeviceBuffer buf = tandem::testing::upload(host);
  float* p = buf.as<float>();
  const tandem::Epilogue unknown{p, static_cast<Activation>(7)};
  for (const auto impl :
       {cuda::SgemmImpl::tiled_basic, cuda::SgemmImpl::tiled, cuda::SgemmImpl::cublas}) {
    for (const std::int64_t m : {2, 0}) {  // refused even when C is empty
      try {
        cuda::sgemm(impl, Transpose::no, Transpose::no, m, 2, 2, 1.0f, p, 2, p, 2, 0.0f, p, 2,
                    stream, unknown);
        ADD_FAILURE() << cuda::sgemm_impl_name(impl) << ": no ArgumentError";
      } catch (const tandem::ArgumentError& e) {
        EXPECT_NE(std::string(e.what()).find("sgemm: unknown activation 7"), std::string::npos)
            << e.what();
      }
    }
  }
  stream.synchronize();
  EXPECT_EQ(tandem::testing::download<float>(buf, host.size()), host);
}

// ---- The FP32 bound and TF32, on the host --------------------------------------------
// TF32's rounding of an operand: the mantissa to 10 bits, to nearest, ties to even.
float round_to_tf32(float x) {
  std::uint32_t bits = 0;
  std::memcpy(&bits, &x, sizeof(bits));
  bits += 0xFFFu + ((bits >> 13) & 1u);
  bits &= ~std::uint32_t{0x1FFF};
  std::memcpy(&x, &bits, sizeof(x));
  return x;
}

float as_is(float x) { return x; }

// C = A B of the probe on the host, each operand through `operand`, summed over k in
// order in float with FMA (a GEMM's accumulator).
std::vector<float> product_on_host(const tandem::testing::Tf32Probe& p, float (*operand)(float)) {
  std::vector<float> c(static_cast<std::size_t>(p.m * p.n), 0.0f);
  for (std::int64_t i = 0; i < p.m; ++i) {
    for (std::int64_t j = 0; j < p.n; ++j) {
      float sum = 0.0f;
      for (std::int64_t q = 0; q < p.k; ++q) {
        sum = std::fma(operand(p.a[i * p.k + q]), operand(p.b[q * p.n + j]), sum);
      }
      c[i * p.n + j] = sum;
    }
  }
  return c;
}

TEST(SgemmFp32Bound, Tf32RoundingKeepsTenMantissaBitsTiesToEven) {
  EXPECT_EQ(round_to_tf32(1.0f + 0x1p-10f), 1.0f + 0x1p-10f);             // 10 bits: kept
  EXPECT_EQ(round_to_tf32(1.0f + 0x1p-11f), 1.0f);                        // tie, to even (down)
  EXPECT_EQ(round_to_tf32(1.0f + 0x3p-11f), 1.0f + 0x1p-9f);              // tie, to even (up)
  EXPECT_EQ(round_to_tf32(1.0f + 0x1p-11f + 0x1p-20f), 1.0f + 0x1p-10f);  // above the tie
  EXPECT_EQ(round_to_tf32(-1.0f - 0x1p-12f), -1.0f);
}

TEST(SgemmFp32Bound, AnFp32ProductOnTheHostMeetsIt) {
  // The bound the GPU tests apply holds for a correct FP32 GEMM.
  using namespace tandem::testing;
  for (const std::int64_t k : kTf32ProbeKs) {
    const Tf32Probe probe = make_tf32_probe(k);
    const ExactProduct exact = exact_product(probe.a, probe.b, probe.m, probe.n, k);
    const BoundViolations v = outside_bound(product_on_host(probe, as_is), exact.c, exact.magnitude,
                                            fp32_gamma(k), probe.n);
    EXPECT_EQ(v.count, 0) << "K = " << k << ":" << v.first;
  }
}

TEST(SgemmFp32Bound, EmulatedTf32OnTheHostViolatesIt) {
  // ... and fails a GEMM that rounds its operands to TF32, so that
  // CudaSgemmParity.NormalDataSmallKWithinTheFp32BoundSoNotTf32 would catch one.
  using namespace tandem::testing;
  for (const std::int64_t k : kTf32ProbeKs) {
    const Tf32Probe probe = make_tf32_probe(k);
    const ExactProduct exact = exact_product(probe.a, probe.b, probe.m, probe.n, k);
    const BoundViolations v = outside_bound(product_on_host(probe, round_to_tf32), exact.c,
                                            exact.magnitude, fp32_gamma(k), probe.n);
    // Most elements, not a few: the result does not hinge on the seed.
    EXPECT_GT(v.count, probe.m * probe.n / 2) << "K = " << k << ":" << v.first;
    std::cout << "K = " << k << ": emulated TF32 outside the FP32 bound at " << v.count << " of "
              << probe.m * probe.n << " elements\n";
  }
}

// ---- cuda.tiled's tile shapes ----------------------------------------------------------
// A shape the rule gives the large tiles on any GPU of up to 17 x 17 = 289 SMs, and one
// it gives the small tiles (2 x 1 large tiles); m, n, k off every tile size.
const SgemmCase kNaturallyLarge{2049, 2055, 19};
const SgemmCase kNaturallySmall{129, 67, 33};

TEST(CudaSgemmTiledConfig, WithoutAGpuTheRuleIsADeviceError) {
  if (cuda::device_count() > 0) GTEST_SKIP() << "a GPU is present";
  EXPECT_THROW(cuda::sgemm_tiled_config(64, 64, 0), tandem::DeviceError);
}

TEST(CudaSgemmTiledConfig, RulePicksLargeFor4096CubedAndSmallFor64Cubed) {
  TANDEM_REQUIRE_GPU();
  EXPECT_STREQ(cuda::sgemm_tiled_config(4096, 4096, 0), "large");
  EXPECT_STREQ(cuda::sgemm_tiled_config(64, 64, 0), "small");
}

TEST(CudaSgemmTiledConfig, RuleSwitchesAtOneWaveOfSms) {
  TANDEM_REQUIRE_GPU();
  // Large when its 128 x 128 tiles are at least one per SM.
  const std::int64_t sms = cuda::device_properties(0).sm_count;
  EXPECT_STREQ(cuda::sgemm_tiled_config(128 * sms, 128, 0), "large");
  EXPECT_STREQ(cuda::sgemm_tiled_config(128 * (sms - 1), 128, 0), "small");
  EXPECT_STREQ(cuda::sgemm_tiled_config(128 * (sms - 1) + 1, 128, 0), "large");  // an edge tile
  EXPECT_STREQ(cuda::sgemm_tiled_config(128, 128 * sms, 0), "large");
  EXPECT_STREQ(cuda::sgemm_tiled_config(0, 4096, 0), "small");
  EXPECT_THROW(cuda::sgemm_tiled_config(-1, 4096, 0), tandem::ShapeError);
  EXPECT_THROW(cuda::sgemm_tiled_config(64, 64, cuda::device_count()), tandem::DeviceError);
}

TEST(CudaSgemmTiledConfig, EachShapeMatchesTheReferenceWhereItIsTheRulesChoice) {
  TANDEM_REQUIRE_GPU();
  ASSERT_STREQ(cuda::sgemm_tiled_config(kNaturallyLarge.m, kNaturallyLarge.n, 0), "large");
  ASSERT_STREQ(cuda::sgemm_tiled_config(kNaturallySmall.m, kNaturallySmall.n, 0), "small");
  const SgemmUnderTest tiled{cuda::SgemmImpl::tiled};
  for (const SgemmCase& t : {kNaturallyLarge, kNaturallySmall}) {
    check_sgemm(tiled, t, true);
    check_sgemm(tiled, t, false);
    check_sgemm(tiled, t, true, {make_bias(t.n, true), Activation::relu});
  }
}

TEST(CudaSgemmTiledConfig, BothShapesForcedOnTheSameProblemsMatchTheReference) {
  TANDEM_REQUIRE_GPU();
  for (const auto config : {cuda::SgemmTiledConfig::large, cuda::SgemmTiledConfig::small}) {
    const SgemmUnderTest forced{cuda::SgemmImpl::tiled, config};
    for (SgemmCase t : {kNaturallyLarge, kNaturallySmall, SgemmCase{700, 900, 100}}) {
      for (const auto ta : {Transpose::no, Transpose::yes}) {
        for (const auto tb : {Transpose::no, Transpose::yes}) {
          t.ta = ta;
          t.tb = tb;
          check_sgemm(forced, t, true);
        }
      }
      t.ta = t.tb = Transpose::no;
      check_sgemm(forced, t, false);
      check_sgemm(forced, {t.m, t.n, t.k, t.ta, t.tb, 2.0f, -1.0f, 3, 1}, true,
                  {make_bias(t.n, true), Activation::relu});
    }
  }
}

TEST(CudaSgemmTiledConfig, RefusesAnUnknownConfigBeforeWriting) {
  TANDEM_REQUIRE_GPU();
  const cuda::Stream stream(0);
  const std::vector<float> host(16, 42.0f);
  const cuda::DeviceBuffer buf = tandem::testing::upload(host);
  float* p = buf.as<float>();
  EXPECT_THROW(cuda::sgemm_tiled_with(static_cast<cuda::SgemmTiledConfig>(7), Transpose::no,
                                      Transpose::no, 2, 2, 2, 1.0f, p, 2, p, 2, 0.0f, p, 2, stream),
               tandem::ArgumentError);
  stream.synchronize();
  EXPECT_EQ(tandem::testing::download<float>(buf, host.size()), host);
}

// ---- 4096^3: cuda.tiled against cuBLAS --------------------------------------------------
// The double reference of C[i][j] and |A||B|[i][j] for square n x n A and B.
std::pair<double, double> exact_element(const std::vector<float>& a, const std::vector<float>& b,
                                        std::int64_t n, std::int64_t i, std::int64_t j) {
  double c = 0.0, magnitude = 0.0;
  for (std::int64_t q = 0; q < n; ++q) {
    const double xy = double{a[i * n + q]} * double{b[q * n + j]};
    c += xy;
    magnitude += std::fabs(xy);
  }
  return {c, magnitude};
}

TEST(CudaSgemmLarge4096, TiledMatchesCublasWithinTwiceTheFp32Bound) {
  TANDEM_REQUIRE_GPU();
  // Each is within gamma_K |A||B| of the exact product, so within twice that of the
  // other. |A||B| is an SGEMM of the absolute values on the GPU: a float sum of
  // positive terms, at least (1 - gamma_K) of the exact one.
  using namespace tandem::testing;
  constexpr std::int64_t n = 4096;
  std::vector<float> a(n * n), b(n * n);
  cpu::fill_normal(a.data(), n * n, 41);
  cpu::fill_normal(b.data(), n * n, 42);
  const std::vector<float> tiled = product_on_gpu({cuda::SgemmImpl::tiled}, a, b, n, n, n);
  const std::vector<float> cublas = product_on_gpu({cuda::SgemmImpl::cublas}, a, b, n, n, n);
  std::vector<float> abs_a(a), abs_b(b);
  for (auto* v : {&abs_a, &abs_b}) {
    for (float& x : *v) x = std::fabs(x);
  }
  const std::vector<float> magnitude =
      product_on_gpu({cuda::SgemmImpl::cublas}, abs_a, abs_b, n, n, n);
  const double gamma = fp32_gamma(n);
  const BoundViolations v = outside_bound(tiled, cublas, magnitude, 2 * gamma / (1 - gamma), n);
  EXPECT_EQ(v.count, 0) << "cuda.tiled vs cuda.cublas, 4096^3:" << v.first;

  // Agreeing is not enough (both could be zero): spot-check all three against the
  // double reference.
  std::mt19937_64 rng(43);
  std::uniform_int_distribution<std::int64_t> pick(0, n - 1);
  std::int64_t bad = 0;
  for (int s = 0; s < 256; ++s) {
    const std::int64_t i = pick(rng), j = pick(rng);
    const auto [exact, exact_magnitude] = exact_element(a, b, n, i, j);
    const std::size_t at = static_cast<std::size_t>(i * n + j);
    const std::pair<const char*, double> errors[] = {
        {"cuda.tiled", std::fabs(tiled[at] - exact)},
        {"cuda.cublas", std::fabs(cublas[at] - exact)},
        {"|A||B| on cuda.cublas", std::fabs(magnitude[at] - exact_magnitude)}};
    for (const auto& [what, error] : errors) {
      if (!(error <= gamma * exact_magnitude) && bad++ < 5) {
        ADD_FAILURE() << what << " [" << i << "][" << j << "]: error " << error << " > bound "
                      << gamma * exact_magnitude;
      }
    }
  }
  EXPECT_EQ(bad, 0) << "of 256 elements checked against the double reference";
}

// ---- Integer GEMM -------------------------------------------------------------------
struct IntCase {
  std::int64_t m, n, k;
  std::int64_t pad = 0;    // extra elements per row of A, B and C
  std::size_t offset = 0;  // elements between each buffer's start and its operand
  std::string str() const {
    return std::to_string(m) + "x" + std::to_string(n) + "x" + std::to_string(k) +
           " pad=" + std::to_string(pad) + " offset=" + std::to_string(offset);
  }
};

using tandem::testing::Fill;
using tandem::testing::make_ints;
constexpr std::int32_t kSentinel = tandem::testing::kIntSentinel;

enum class IntImpl { dp4a, s16, cublas };

// Runs the case and the reference and compares all of C, padding included, and checks
// the guards around C (nothing written outside it).
template <typename T>
void check_int(IntImpl impl, const IntCase& t, Fill fill_a = Fill::random,
               Fill fill_b = Fill::random) {
  const std::int64_t lda = t.k + t.pad, ldb = t.n + t.pad, ldc = t.n + t.pad;
  const auto a = make_ints<T>(t.m, lda, fill_a, 11);
  const auto b = make_ints<T>(t.k, ldb, fill_b, 12);
  std::vector<std::int32_t> want(t.m * ldc, kSentinel);
  const cuda::DeviceBuffer da = upload_at(a, t.offset);
  const cuda::DeviceBuffer db = upload_at(b, t.offset);
  const auto dc = tandem::testing::GuardedBuffer::holding(want, t.offset);
  const T* pa = da.as<T>() + t.offset;
  const T* pb = db.as<T>() + t.offset;
  std::int32_t* pc = dc.payload<std::int32_t>();
  const cuda::Stream stream(0);
  const char* name = "";
  if constexpr (sizeof(T) == 1) {
    if (impl == IntImpl::cublas) {
      name = "s8 cublas ";
      cuda::gemm_s8s8s32_cublas(t.m, t.n, t.k, pa, lda, pb, ldb, pc, ldc, stream);
    } else {
      name = "s8 dp4a ";
      cuda::gemm_s8s8s32(t.m, t.n, t.k, pa, lda, pb, ldb, pc, ldc, stream);
    }
    cpu::reference::gemm_s8s8s32(t.m, t.n, t.k, a.data(), lda, b.data(), ldb, want.data(), ldc);
  } else {
    name = "s16 ";
    cuda::gemm_s16s16s32(t.m, t.n, t.k, pa, lda, pb, ldb, pc, ldc, stream);
    cpu::reference::gemm_s16s16s32(t.m, t.n, t.k, a.data(), lda, b.data(), ldb, want.data(), ldc);
  }
  stream.synchronize();
  const auto got = dc.download<std::int32_t>();
  EXPECT_TRUE(dc.guards_intact()) << name << t.str();
  std::int64_t bad = 0;
  for (std::size_t at = 0; at < got.size(); ++at) {
    if (got[at] != want[at] && bad++ < 5) {
      ADD_FAILURE() << name << t.str() << ": C[" << at / ldc << "][" << at % ldc
                    << "] = " << got[at] << ", reference " << want[at];
    }
  }
  EXPECT_EQ(bad, 0) << name << t.str();
}

const IntCase kIntShapes[] = {
    {1, 1, 1},       {37, 53, 29},     {4096, 7, 5},       {7, 4096, 3},       {64, 64, 1},
    {13, 17, 1},     {5, 3, 700},      {97, 101, 103},     {12, 32, 128},      {6, 16, 256},
    {7, 17, 257},    {300, 65, 31},    {2, 1000, 2},       {1000, 2, 2},       {19, 70, 3001},
    {37, 53, 29, 3}, {19, 70, 301, 5}, {1, 1, 1, 1},       {33, 47, 6},        {33, 47, 7},
    {128, 128, 128}, {129, 131, 67},   {64, 64, 64, 0, 1}, {65, 67, 35, 1, 3},
};

TEST(CudaIgemmParity, S8EdgeShapesBitExact) {
  TANDEM_REQUIRE_GPU();
  for (const IntCase& t : kIntShapes) check_int<std::int8_t>(IntImpl::dp4a, t);
}

TEST(CudaIgemmParity, S16EdgeShapesBitExact) {
  TANDEM_REQUIRE_GPU();
  for (const IntCase& t : kIntShapes) check_int<std::int16_t>(IntImpl::s16, t);
}

TEST(CudaIgemmParity, S8VectorPathsAndLargeTiles) {
  TANDEM_REQUIRE_GPU();
  // lda % 16 == 0 and ldb % 4 == 0 (int4 / int loads), K not a multiple of the slice.
  check_int<std::int8_t>(IntImpl::dp4a, IntCase{200, 300, 100, 12});  // lda = 112, ldb = 312
  check_int<std::int8_t>(IntImpl::dp4a,
                         IntCase{200, 300, 100, 12, 4});  // ... bases only 4-byte aligned
  check_int<std::int8_t>(IntImpl::dp4a, IntCase{200, 300, 100, 12, 1});  // ... not even that
  // Enough 128 x 128 tiles for a wave of SMs: the large configuration, with edges.
  check_int<std::int8_t>(IntImpl::dp4a, IntCase{1536, 1536, 96});
  check_int<std::int8_t>(IntImpl::dp4a, IntCase{1541, 1545, 77, 3});
  check_int<std::int8_t>(IntImpl::dp4a, IntCase{1541, 1545, 77, 0});
}

TEST(CudaIgemmParity, S8GuardsAroundCIntactOnOddShapes) {
  TANDEM_REQUIRE_GPU();
  // check_int fails on any byte written in the guards around C: m, n, k off every tile
  // and dp4a group size, unpadded (C's last element against the back guard), padded,
  // misaligned; the large tiles' edges too.
  for (const IntCase& t : {IntCase{1, 1, 1}, IntCase{129, 67, 33}, IntCase{67, 129, 33},
                           IntCase{129, 67, 33, 3, 1}, IntCase{1541, 1545, 77}}) {
    check_int<std::int8_t>(IntImpl::dp4a, t);
  }
}

TEST(CudaIgemmParity, S8ExtremeValues) {
  TANDEM_REQUIRE_GPU();
  for (const IntCase t :
       {IntCase{37, 53, 29}, IntCase{13, 40, 1031, 2}, IntCase{4, 5, 6}, IntCase{256, 256, 96}}) {
    check_int<std::int8_t>(IntImpl::dp4a, t, Fill::min, Fill::min);
    check_int<std::int8_t>(IntImpl::dp4a, t, Fill::min, Fill::max);
    check_int<std::int8_t>(IntImpl::dp4a, t, Fill::max, Fill::min);
    check_int<std::int8_t>(IntImpl::dp4a, t, Fill::max, Fill::max);
    check_int<std::int8_t>(IntImpl::dp4a, t, Fill::alternate, Fill::alternate);
    check_int<std::int8_t>(IntImpl::dp4a, t, Fill::random, Fill::min);
  }
  // (-128)^2 * K passes 2^31 at K = 131072: the int32 sum wraps like the reference's.
  check_int<std::int8_t>(IntImpl::dp4a, IntCase{3, 5, 140000}, Fill::min, Fill::min);
  check_int<std::int8_t>(IntImpl::dp4a, IntCase{3, 5, 270001}, Fill::min, Fill::min);
}

TEST(CudaIgemmParity, S16ExtremeValuesWrap) {
  TANDEM_REQUIRE_GPU();
  // (-32768)^2 * K = 2^30 * K: wraps to INT32_MIN at K = 2, to 0 at K = 4.
  for (const IntCase t :
       {IntCase{37, 53, 2}, IntCase{7, 9, 4}, IntCase{5, 3, 3}, IntCase{13, 40, 1031, 2}}) {
    check_int<std::int16_t>(IntImpl::s16, t, Fill::min, Fill::min);
    check_int<std::int16_t>(IntImpl::s16, t, Fill::min, Fill::max);
    check_int<std::int16_t>(IntImpl::s16, t, Fill::max, Fill::max);
    check_int<std::int16_t>(IntImpl::s16, t, Fill::alternate, Fill::alternate);
    check_int<std::int16_t>(IntImpl::s16, t, Fill::random, Fill::min);
  }
}

TEST(CudaIgemmParity, KZeroWritesZerosAndEmptyIsANoOp) {
  TANDEM_REQUIRE_GPU();
  check_int<std::int8_t>(IntImpl::dp4a, IntCase{3, 5, 0, 1});
  check_int<std::int16_t>(IntImpl::s16, IntCase{3, 5, 0, 1});
  check_int<std::int8_t>(IntImpl::cublas, IntCase{4, 8, 0, 4});
  check_int<std::int8_t>(IntImpl::dp4a, IntCase{0, 5, 3});
  check_int<std::int8_t>(IntImpl::dp4a, IntCase{3, 0, 3, 1});
}

TEST(CudaIgemmParity, CublasInt8AnchorBitExact) {
  TANDEM_REQUIRE_GPU();
  for (const IntCase t : {IntCase{4, 8, 12}, IntCase{64, 64, 64}, IntCase{128, 256, 512, 4},
                          IntCase{500, 300, 100, 8}, IntCase{512, 512, 512}}) {
    check_int<std::int8_t>(IntImpl::cublas, t);
  }
  check_int<std::int8_t>(IntImpl::cublas, IntCase{64, 64, 1032}, Fill::min, Fill::min);
  check_int<std::int8_t>(IntImpl::cublas, IntCase{64, 64, 1032}, Fill::alternate, Fill::max);
}

TEST(CudaIgemmParity, CublasInt8RefusesShapesItCannotTake) {
  TANDEM_REQUIRE_GPU();
  const std::vector<std::int8_t> a(64 * 64, 1);
  const std::vector<std::int32_t> untouched(64 * 64, kSentinel);
  const cuda::DeviceBuffer da = tandem::testing::upload(a);
  const cuda::DeviceBuffer dc = tandem::testing::upload(untouched);
  const std::int8_t* pa = da.as<std::int8_t>();
  std::int32_t* pc = dc.as<std::int32_t>();
  const cuda::Stream stream(0);
  // m, n, k, lda, ldb, ldc not multiples of 4; an unaligned pointer.
  EXPECT_THROW(cuda::gemm_s8s8s32_cublas(37, 52, 28, pa, 28, pa, 52, pc, 52, stream),
               tandem::ArgumentError);
  EXPECT_THROW(cuda::gemm_s8s8s32_cublas(36, 52, 29, pa, 29, pa, 52, pc, 52, stream),
               tandem::ArgumentError);
  EXPECT_THROW(cuda::gemm_s8s8s32_cublas(36, 52, 28, pa, 30, pa, 52, pc, 52, stream),
               tandem::ArgumentError);
  EXPECT_THROW(cuda::gemm_s8s8s32_cublas(36, 52, 28, pa, 28, pa, 53, pc, 53, stream),
               tandem::ArgumentError);
  EXPECT_THROW(cuda::gemm_s8s8s32_cublas(36, 52, 28, pa + 1, 28, pa, 52, pc, 52, stream),
               tandem::ArgumentError);
  try {
    cuda::gemm_s8s8s32_cublas(37, 52, 28, pa, 28, pa, 52, pc, 52, stream);
  } catch (const tandem::ArgumentError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("gemm_s8s8s32_cublas"), std::string::npos) << what;
    EXPECT_NE(what.find("m = 37"), std::string::npos) << what;
  }
  stream.synchronize();
  EXPECT_EQ(tandem::testing::download<std::int32_t>(dc, untouched.size()), untouched);
}

// ---- Quantized matmul --------------------------------------------------------------
// Against the reference, bit for bit (C compared as bits), C between guards.
void check_quantized(const IntCase& t, int bits, const std::vector<float>& a,
                     const std::vector<float>& b) {
  std::vector<float> want(t.m * t.n);
  cpu::reference::quantized_matmul(a.data(), b.data(), want.data(), t.m, t.n, t.k, bits);
  const cuda::DeviceBuffer da = upload_at(a, t.offset);
  const cuda::DeviceBuffer db = upload_at(b, t.offset);
  const auto dc = tandem::testing::GuardedBuffer::holding(
      std::vector<float>(want.size(), std::numeric_limits<float>::quiet_NaN()));
  const cuda::Stream stream(0);
  cuda::quantized_matmul(da.as<float>() + t.offset, db.as<float>() + t.offset, dc.payload<float>(),
                         t.m, t.n, t.k, bits, stream);
  stream.synchronize();
  const auto got = dc.download<float>();
  EXPECT_TRUE(dc.guards_intact()) << bits << " bits " << t.str();
  std::int64_t bad = 0;
  for (std::size_t at = 0; at < got.size(); ++at) {
    if (std::memcmp(&got[at], &want[at], sizeof(float)) != 0 && bad++ < 5) {
      ADD_FAILURE() << bits << " bits " << t.str() << ": C[" << at / t.n << "][" << at % t.n
                    << "] = " << got[at] << ", reference " << want[at];
    }
  }
  EXPECT_EQ(bad, 0) << bits << " bits " << t.str();
}

void check_quantized(const IntCase& t, int bits) {
  std::vector<float> a(t.m * t.k), b(t.k * t.n);
  cpu::fill_normal(a.data(), static_cast<std::int64_t>(a.size()), 21);
  cpu::fill_normal(b.data(), static_cast<std::int64_t>(b.size()), 22, 0.5f, 3.0f);
  check_quantized(t, bits, a, b);
}

TEST(CudaQuantizedMatmulParity, BitExact) {
  TANDEM_REQUIRE_GPU();
  const IntCase cases[] = {
      {1, 1, 1},       {37, 53, 29},    {4096, 7, 5},     {7, 4096, 3},
      {64, 64, 1},     {97, 101, 103},  {300, 65, 31},    {19, 70, 3001},
      {128, 128, 128}, {200, 90, 1031}, {1536, 1536, 64}, {33, 47, 20, 0, 1},  // unaligned inputs
  };
  for (const IntCase& t : cases) check_quantized(t, 8);
  // At 16 bits K is at most 2.
  for (const IntCase t : {IntCase{1, 1, 1}, IntCase{37, 53, 2}, IntCase{4096, 7, 1},
                          IntCase{7, 4096, 2}, IntCase{200, 300, 2}}) {
    check_quantized(t, 16);
  }
}

TEST(CudaQuantizedMatmulParity, RoundingAndScales) {
  TANDEM_REQUIRE_GPU();
  // max |x| = 127 gives scale 1: the halves are ties, rounded to even.
  const IntCase t{2, 3, 3};
  const std::vector<float> a = {0.5f, 1.5f, -2.5f, 127.0f, -126.5f, 2.5f};
  const std::vector<float> b = {1.0f, -0.5f, 3.25f, 100.0f, 7.0f, -1e-3f, 0.0f, 5.5f, -6.5f};
  check_quantized(t, 8, a, b);
  check_quantized({2, 3, 1}, 16, a, b);
  // All zeros (scale 1), negative zeros, subnormal values (scale clamped to the
  // smallest normal), very large values.
  const std::vector<float> zeros(9, 0.0f), negative_zeros(9, -0.0f);
  check_quantized(t, 8, zeros, b);
  check_quantized(t, 8, negative_zeros, b);
  std::vector<float> tiny(9);
  for (std::size_t i = 0; i < tiny.size(); ++i) {
    tiny[i] = std::numeric_limits<float>::denorm_min() * static_cast<float>(i * 1000 + 1);
  }
  check_quantized(t, 8, tiny, b);
  check_quantized(t, 8, b, tiny);
  std::vector<float> large(b);
  for (float& x : large) x *= 1e36f;
  check_quantized(t, 8, large, b);
  check_quantized({2, 3, 1}, 16, large, b);
  std::vector<float> huge(9, std::numeric_limits<float>::max());
  huge[4] = -huge[4];
  check_quantized(t, 8, huge, b);
}

TEST(CudaQuantizedMatmulParity, KZeroAndEmpty) {
  TANDEM_REQUIRE_GPU();
  const cuda::Stream stream(0);
  const cuda::DeviceBuffer dc = tandem::testing::upload(std::vector<float>(15, 1.0f));
  cuda::quantized_matmul(nullptr, nullptr, dc.as<float>(), 3, 5, 0, 8, stream);
  stream.synchronize();
  for (const float x : tandem::testing::download<float>(dc, 15)) EXPECT_EQ(x, 0.0f);
  cuda::quantized_matmul(nullptr, nullptr, dc.as<float>(), 0, 5, 0, 16, stream);
}

TEST(CudaQuantizedMatmulParity, RefusesBadInputsBeforeWriting) {
  TANDEM_REQUIRE_GPU();
  const std::int64_t m = 4, n = 5, k = 6;
  std::vector<float> a(m * k, 1.0f), b(k * n, -2.0f);
  const std::vector<float> untouched(m * n, 42.0f);
  const cuda::DeviceBuffer dc = tandem::testing::upload(untouched);
  const cuda::Stream stream(0);
  const auto run = [&](const std::vector<float>& ha, const std::vector<float>& hb, std::int64_t kk,
                       int bits) {
    const cuda::DeviceBuffer da = tandem::testing::upload(ha);
    const cuda::DeviceBuffer db = tandem::testing::upload(hb);
    cuda::quantized_matmul(da.as<float>(), db.as<float>(), dc.as<float>(), m, n, kk, bits, stream);
  };
  for (const float bad :
       {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    a[m * k - 1] = bad;
    try {
      run(a, b, k, 8);
      ADD_FAILURE() << "no ArgumentError for " << bad << " in A";
    } catch (const tandem::ArgumentError& e) {
      EXPECT_NE(std::string(e.what()).find("quantized_matmul: A holds NaN or Inf"),
                std::string::npos)
          << e.what();
    }
    a[m * k - 1] = 1.0f;
    b[7] = -bad;
    try {
      run(a, b, k, 16);
      ADD_FAILURE() << "no ArgumentError for " << -bad << " in B";
    } catch (const tandem::ArgumentError& e) {
      EXPECT_NE(std::string(e.what()).find("quantized_matmul: B"), std::string::npos) << e.what();
    }
    b[7] = -2.0f;
  }
  EXPECT_THROW(run(a, b, k, 4), tandem::ArgumentError);
  stream.synchronize();
  EXPECT_EQ(tandem::testing::download<float>(dc, untouched.size()), untouched);

  // K over the limit: 133144 at 8 bits, 2 at 16 bits; one less is accepted and exact.
  for (const int bits : {8, 16}) {
    const std::int64_t big_k = tandem::quant::max_exact_k(bits) + 1;  // the GPU's int32 sums
    const std::vector<float> row(big_k, 0.25f), col(big_k, 0.5f);
    const cuda::DeviceBuffer drow = tandem::testing::upload(row);
    const cuda::DeviceBuffer dcol = tandem::testing::upload(col);
    const cuda::DeviceBuffer dout = tandem::testing::upload(std::vector<float>{42.0f});
    EXPECT_THROW(cuda::quantized_matmul(drow.as<float>(), dcol.as<float>(), dout.as<float>(), 1, 1,
                                        big_k, bits, stream),
                 tandem::ArgumentError);
    stream.synchronize();
    EXPECT_EQ(tandem::testing::download<float>(dout, 1)[0], 42.0f);
    cuda::quantized_matmul(drow.as<float>(), dcol.as<float>(), dout.as<float>(), 1, 1, big_k - 1,
                           bits, stream);
    stream.synchronize();
    float want = 0.0f;
    cpu::reference::quantized_matmul(row.data(), col.data(), &want, 1, 1, big_k - 1, bits);
    EXPECT_EQ(tandem::testing::download<float>(dout, 1)[0], want) << bits << " bits";
  }
}

}  // namespace
