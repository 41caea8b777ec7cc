// The integer GEMM (int8/int16 -> int32) and the quantized matmul on every CPU path,
// bit for bit against the reference, on the shapes and values that break them.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <tandem/cpu/kernels.h>
#include <tandem/cpu/random.h>
#include <tandem/cpu/reference.h>
#include <tandem/error.h>

#include "gemm_operands.h"
#include "isa_test_util.h"

namespace cpu = tandem::cpu;

namespace {

struct Case {
  std::int64_t m, n, k;
  std::int64_t pad = 0;  // extra elements per row of A, B and C
  int threads = 0;
  std::string str() const {
    return std::to_string(m) + "x" + std::to_string(n) + "x" + std::to_string(k) +
           " pad=" + std::to_string(pad) + " threads=" + std::to_string(threads);
  }
};

using tandem::testing::Fill;
constexpr std::int32_t kSentinel = tandem::testing::kIntSentinel;

template <typename T>
std::vector<T> make(std::int64_t rows, std::int64_t ld, Fill fill, std::uint64_t seed) {
  return tandem::testing::make_ints<T>(rows, ld, fill, seed);
}

class CpuIgemm : public tandem::testing::PerIsa {
 protected:
  void SetUp() override {
    PerIsa::SetUp();
    if (IsSkipped()) return;
    if (isa() == cpu::Isa::avx512 && !cpu::has_avx512_vnni()) {
      GTEST_SKIP() << "the cpu.avx512 integer GEMM needs AVX-512 VNNI, which this CPU lacks";
    }
  }

  // Runs the case on the path under test and on the reference and compares all of
  // C, padding included.
  template <typename T>
  void check(const Case& t, Fill fill_a = Fill::random, Fill fill_b = Fill::random,
             const cpu::GemmBlocking& blocking = {}) {
    const std::int64_t lda = t.k + t.pad, ldb = t.n + t.pad, ldc = t.n + t.pad;
    const auto a = make<T>(t.m, lda, fill_a, 11);
    const auto b = make<T>(t.k, ldb, fill_b, 12);
    std::vector<std::int32_t> got(t.m * ldc, kSentinel), want(t.m * ldc, kSentinel);
    if constexpr (sizeof(T) == 1) {
      cpu::gemm_s8s8s32(t.m, t.n, t.k, a.data(), lda, b.data(), ldb, got.data(), ldc,
                        run(t.threads), blocking);
      cpu::reference::gemm_s8s8s32(t.m, t.n, t.k, a.data(), lda, b.data(), ldb, want.data(), ldc);
    } else {
      cpu::gemm_s16s16s32(t.m, t.n, t.k, a.data(), lda, b.data(), ldb, got.data(), ldc,
                          run(t.threads), blocking);
      cpu::reference::gemm_s16s16s32(t.m, t.n, t.k, a.data(), lda, b.data(), ldb, want.data(), ldc);
    }
    expect_ran_on_path();
    expect_unit(8 * static_cast<int>(sizeof(T)));
    std::int64_t bad = 0;
    for (std::size_t at = 0; at < got.size(); ++at) {
      if (got[at] != want[at] && bad++ < 5) {
        ADD_FAILURE() << (sizeof(T) == 1 ? "s8 " : "s16 ") << t.str() << ": C[" << at / ldc << "]["
                      << at % ldc << "] = " << got[at] << ", reference " << want[at];
      }
    }
    EXPECT_EQ(bad, 0) << t.str();
  }

  template <typename T>
  void check_shapes() {
    const Case cases[] = {
        {1, 1, 1},       {37, 53, 29},     {4096, 7, 5},   {7, 4096, 3},      {64, 64, 1},
        {13, 17, 1},     {5, 3, 700},      {97, 101, 103}, {12, 32, 128},     {6, 16, 256},
        {7, 17, 257},    {300, 65, 31},    {2, 1000, 2},   {1000, 2, 2},      {19, 70, 3001},
        {37, 53, 29, 3}, {19, 70, 301, 5}, {1, 1, 1, 1},   {33, 47, 6, 0, 1}, {33, 47, 7, 0, 2},
        {64, 96, 128},   {96, 33, 640, 5}, {65, 40, 192},  {100, 20, 70, 1},  // AMX's 32 x 64 steps
    };
    for (const Case& t : cases) check<T>(t);
  }

  void check_k_zero();
  void check_rounding_and_scales();

  // quantized_matmul against the reference, bit for bit (C compared as bits).
  void check_quantized(const Case& t, int bits, const std::vector<float>& a,
                       const std::vector<float>& b) {
    std::vector<float> got(t.m * t.n, std::numeric_limits<float>::quiet_NaN());
    std::vector<float> want(t.m * t.n);
    cpu::quantized_matmul(a.data(), b.data(), got.data(), t.m, t.n, t.k, bits, run(t.threads));
    expect_ran_on_path();
    expect_unit(bits);
    cpu::reference::quantized_matmul(a.data(), b.data(), want.data(), t.m, t.n, t.k, bits);
    std::int64_t bad = 0;
    for (std::size_t at = 0; at < got.size(); ++at) {
      if (std::memcmp(&got[at], &want[at], sizeof(float)) != 0 && bad++ < 5) {
        ADD_FAILURE() << bits << " bits " << t.str() << ": C[" << at / t.n << "][" << at % t.n
                      << "] = " << got[at] << ", reference " << want[at];
      }
    }
    EXPECT_EQ(bad, 0) << bits << " bits " << t.str();
  }
  void check_quantized(const Case& t, int bits) {
    std::vector<float> a(t.m * t.k), b(t.k * t.n);
    cpu::fill_normal(a.data(), static_cast<std::int64_t>(a.size()), 21);
    cpu::fill_normal(b.data(), static_cast<std::int64_t>(b.size()), 22, 0.5f, 3.0f);
    check_quantized(t, bits, a, b);
  }
};

TEST_P(CpuIgemm, S8EdgeShapesBitExact) {
  for_each_unit([&] { check_shapes<std::int8_t>(); });
}

TEST_P(CpuIgemm, S16EdgeShapesBitExact) {
  for_each_unit([&] { check_shapes<std::int16_t>(); });
}

TEST_P(CpuIgemm, S8ExtremeValues) {
  for_each_unit([&] {
    for (const Case t : {Case{37, 53, 29}, Case{13, 40, 1031, 2}, Case{4, 5, 6}}) {
      check<std::int8_t>(t, Fill::min, Fill::min);
      check<std::int8_t>(t, Fill::min, Fill::max);
      check<std::int8_t>(t, Fill::max, Fill::min);
      check<std::int8_t>(t, Fill::max, Fill::max);
      check<std::int8_t>(t, Fill::alternate, Fill::alternate);
      check<std::int8_t>(t, Fill::random, Fill::min);
    }
  });
}

TEST_P(CpuIgemm, S16ExtremeValuesWrap) {
  // (-32768)^2 * K = 2^30 * K: wraps to INT32_MIN at K = 2, to 0 at K = 4.
  for_each_unit([&] {
    for (const Case t : {Case{37, 53, 2}, Case{7, 9, 4}, Case{5, 3, 3}, Case{13, 40, 1031, 2}}) {
      check<std::int16_t>(t, Fill::min, Fill::min);
      check<std::int16_t>(t, Fill::min, Fill::max);
      check<std::int16_t>(t, Fill::max, Fill::max);
      check<std::int16_t>(t, Fill::alternate, Fill::alternate);
      check<std::int16_t>(t, Fill::random, Fill::min);
    }
    const std::vector<std::int16_t> a(2, std::numeric_limits<std::int16_t>::min());
    std::int32_t c = 0;
    cpu::gemm_s16s16s32(1, 1, 2, a.data(), 2, a.data(), 1, &c, 1, run());
    expect_ran_on_path();
    EXPECT_EQ(c, std::numeric_limits<std::int32_t>::min());
  });
}

TEST_P(CpuIgemm, ThreadedAndLarge) {
  for (const int threads : {1, 2}) {
    for_each_unit([&] {
      check<std::int16_t>({256, 256, 256, 0, threads});
      check<std::int16_t>({523, 129, 1031, 0, threads});
      check<std::int8_t>({256, 256, 256, 0, threads});
      check<std::int8_t>({200, 300, 600, 1, threads});
      check<std::int8_t>({3, 2000, 300, 0, threads});    // short M: threads split N
      check<std::int8_t>({517, 300, 2500, 0, threads});  // several k blocks
    });
  }
}

TEST_P(CpuIgemm, ExplicitBlockingSweep) {
  for (const std::int64_t block : {1, 8, 16, 33, 64, 128, 512}) {
    for_each_unit([&] {
      check<std::int16_t>({150, 170, 190}, Fill::random, Fill::random, {block, block, block});
      check<std::int8_t>({150, 170, 190}, Fill::random, Fill::random, {block, block, block});
    });
  }
}

TEST_P(CpuIgemm, KZeroWritesZeros) {
  for_each_unit([&] { check_k_zero(); });
}

TEST_P(CpuIgemm, QuantizedMatmulBitExact) {
  const Case cases[] = {
      {1, 1, 1},
      {37, 53, 29},
      {4096, 7, 5},
      {7, 4096, 3},
      {64, 64, 1},
      {97, 101, 103},
      {300, 65, 31},
      {19, 70, 3001},
      {128, 128, 128, 0, 1},
      {128, 128, 128, 0, 2},
      {200, 90, 1031, 0, 2},
  };
  for_each_unit([&] {
    for (const Case& t : cases) check_quantized(t, 8);
  });
  // At 16 bits the sums are int64 (the layer's wide GEMM): past K = 2, where full-range
  // int32 sums could wrap, up to K blocks of many kWideKc.
  for_each_unit([&] {
    for (const Case t :
         {Case{1, 1, 1}, Case{37, 53, 2}, Case{4096, 7, 1}, Case{7, 4096, 2},
          Case{200, 300, 2, 0, 2}, Case{37, 53, 3}, Case{19, 70, 3001}, Case{5, 3, 70000}}) {
      check_quantized(t, 16);
    }
  });
}

void CpuIgemm::check_k_zero() {
  std::vector<std::int32_t> c(3 * 6, kSentinel);
  cpu::gemm_s8s8s32(3, 5, 0, nullptr, 1, nullptr, 5, c.data(), 6, run());
  expect_ran_on_path();
  for (std::size_t i = 0; i < c.size(); ++i) EXPECT_EQ(c[i], i % 6 == 5 ? kSentinel : 0) << i;
  std::vector<float> f(3 * 5, 1.0f);
  cpu::quantized_matmul(nullptr, nullptr, f.data(), 3, 5, 0, 8, run());
  for (const float x : f) EXPECT_EQ(x, 0.0f);
}

TEST_P(CpuIgemm, QuantizedMatmulRoundingAndScales) {
  // max |x| = 127 gives scale 1: the halves are ties, rounded to even; K = 3 with
  // the halves in A's first row.
  for_each_unit([&] { check_rounding_and_scales(); });
}

void CpuIgemm::check_rounding_and_scales() {
  const Case t{2, 3, 3};
  const std::vector<float> a = {0.5f, 1.5f, -2.5f, 127.0f, -126.5f, 2.5f};
  const std::vector<float> b = {1.0f, -0.5f, 3.25f, 100.0f, 7.0f, -1e-3f, 0.0f, 5.5f, -6.5f};
  check_quantized(t, 8, a, b);
  check_quantized({2, 3, 1}, 16, a, b);
  // All zeros (scale 1) and subnormal values (scale clamped to the smallest normal).
  const std::vector<float> zeros(9, 0.0f);
  check_quantized(t, 8, zeros, b);
  std::vector<float> tiny(9);
  for (std::size_t i = 0; i < tiny.size(); ++i) {
    tiny[i] = std::numeric_limits<float>::denorm_min() * static_cast<float>(i * 1000 + 1);
  }
  check_quantized(t, 8, tiny, b);
  check_quantized(t, 8, b, tiny);
  // Very large values.
  std::vector<float> large(b);
  for (float& x : large) x *= 1e36f;
  check_quantized(t, 8, large, b);
}

TEST_P(CpuIgemm, QuantizedMatmulRefusesBadInputsBeforeWriting) {
  const std::int64_t m = 4, n = 5, k = 6;
  std::vector<float> a(m * k, 1.0f), b(k * n, -2.0f);
  const std::vector<float> untouched(m * n, 42.0f);
  std::vector<float> c = untouched;
  for (const float bad :
       {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    a[m * k - 1] = bad;
    EXPECT_THROW(cpu::quantized_matmul(a.data(), b.data(), c.data(), m, n, k, 8, run()),
                 tandem::ArgumentError);
    EXPECT_EQ(c, untouched);
    a[m * k - 1] = 1.0f;
    b[7] = -bad;
    EXPECT_THROW(cpu::quantized_matmul(a.data(), b.data(), c.data(), m, n, k, 16, run()),
                 tandem::ArgumentError);
    EXPECT_EQ(c, untouched);
    b[7] = -2.0f;
  }
  EXPECT_THROW(cpu::quantized_matmul(a.data(), b.data(), c.data(), m, n, k, 4, run()),
               tandem::ArgumentError);
  EXPECT_EQ(c, untouched);

  // K over the limit: 133144 at 8 bits (int32 sums); at 16 bits (int64 sums) the limit,
  // 2^33 - 1, is beyond any operands that can be allocated here.
  ASSERT_EQ(cpu::reference::max_quantized_k(8), 133144);
  ASSERT_EQ(cpu::reference::max_quantized_k(16), (std::int64_t{1} << 33) - 1);
  for (const int bits : {8}) {
    const std::int64_t big_k = cpu::reference::max_quantized_k(bits) + 1;
    std::vector<float> row(big_k, 0.25f), col(big_k, 0.5f);
    float out = 42.0f;
    EXPECT_THROW(cpu::quantized_matmul(row.data(), col.data(), &out, 1, 1, big_k, bits, run()),
                 tandem::ArgumentError);
    EXPECT_EQ(out, 42.0f);
    // One less is accepted, and exact.
    cpu::quantized_matmul(row.data(), col.data(), &out, 1, 1, big_k - 1, bits, run());
    expect_ran_on_path();
    float want = 0.0f;
    cpu::reference::quantized_matmul(row.data(), col.data(), &want, 1, 1, big_k - 1, bits);
    EXPECT_EQ(out, want);
  }
}

TANDEM_INSTANTIATE_PER_ISA(CpuIgemm);

// The integer GEMM's units beside the vectors (AMX tiles, AVX-VNNI). The CpuIgemm and
// CpuQuantizedLayer cases run each one this CPU has; this says, visibly, when it has not.
class CpuIgemmUnit : public ::testing::TestWithParam<cpu::IgemmUnit> {
 protected:
  cpu::IgemmUnit unit() const { return GetParam(); }
  cpu::Isa path() const { return *cpu::igemm_unit_path(unit()); }
  std::string name() const { return cpu::igemm_implementation(path(), unit()); }
};

TEST_P(CpuIgemmUnit, RunsHere) {
  if (!cpu::igemm_unit_supported(path(), unit())) {
    GTEST_SKIP() << "this CPU (or OS) lacks " << name() << ": its cases did not run";
  }
  const std::int8_t a = -3, b = 5;
  std::int32_t c = 0;
  cpu::gemm_s8s8s32(1, 1, 1, &a, 1, &b, 1, &c, 1, {path(), 1, unit()});
  EXPECT_EQ(c, -15);
  EXPECT_EQ(cpu::last_igemm_unit(), unit());
  const std::int16_t a16 = -300, b16 = 400;
  cpu::gemm_s16s16s32(1, 1, 1, &a16, 1, &b16, 1, &c, 1, {path(), 1, unit()});
  EXPECT_EQ(c, -120000);
  EXPECT_EQ(cpu::last_igemm_unit(),
            unit() == cpu::IgemmUnit::amx ? cpu::IgemmUnit::vectors : unit());
}

// A unit asked for where it cannot run (another path, or a CPU without it) is a
// DeviceError naming it, never a silent run on the vectors.
TEST_P(CpuIgemmUnit, AskedForWhereItCannotRunIsADeviceError) {
  const std::int8_t a = 1;
  std::int32_t c = kSentinel;
  for (const cpu::Isa isa : cpu::all_isas()) {
    if (!cpu::isa_supported(isa) || cpu::igemm_unit_supported(isa, unit())) continue;
    if (isa == cpu::Isa::avx512 && !cpu::has_avx512_vnni()) continue;
    try {
      cpu::gemm_s8s8s32(1, 1, 1, &a, 1, &a, 1, &c, 1, {isa, 1, unit()});
      ADD_FAILURE() << "no error on cpu." << cpu::isa_name(isa);
    } catch (const tandem::DeviceError& e) {
      EXPECT_NE(std::string(e.what()).find(name()), std::string::npos) << e.what();
    }
    EXPECT_EQ(c, kSentinel);
  }
}

INSTANTIATE_TEST_SUITE_P(Unit, CpuIgemmUnit,
                         ::testing::Values(cpu::IgemmUnit::amx, cpu::IgemmUnit::avx_vnni),
                         [](const ::testing::TestParamInfo<cpu::IgemmUnit>& p) {
                           return p.param == cpu::IgemmUnit::amx ? "amx" : "avx2_vnni";
                         });

// The avx512 integer path needs VNNI: without it (or without AVX-512 at all) asking
// for it is a DeviceError, never a silent fallback.
TEST(CpuIgemmVnni, Avx512WithoutVnniIsADeviceError) {
  if (cpu::has_avx512_vnni()) GTEST_SKIP() << "this CPU has AVX-512 VNNI";
  const std::int8_t a8 = 1;
  const std::int16_t a16 = 1;
  const float f = 1.0f;
  std::int32_t c = kSentinel;
  float cf = 42.0f;
  const cpu::RunOptions run{cpu::Isa::avx512, 1};
  EXPECT_THROW(cpu::gemm_s8s8s32(1, 1, 1, &a8, 1, &a8, 1, &c, 1, run), tandem::DeviceError);
  EXPECT_THROW(cpu::gemm_s16s16s32(1, 1, 1, &a16, 1, &a16, 1, &c, 1, run), tandem::DeviceError);
  EXPECT_THROW(cpu::quantized_matmul(&f, &f, &cf, 1, 1, 1, 8, run), tandem::DeviceError);
  EXPECT_EQ(c, kSentinel);
  EXPECT_EQ(cf, 42.0f);
}

TEST(CpuIgemmVnni, BestIgemmIsaAlwaysRuns) {
  const cpu::Isa isa = cpu::best_igemm_isa();
  EXPECT_TRUE(isa != cpu::Isa::avx512 || cpu::has_avx512_vnni());
  EXPECT_TRUE(isa == cpu::best_isa() || cpu::best_isa() == cpu::Isa::avx512);
  const std::int8_t a = -3, b = 5;
  std::int32_t c = 0;
  cpu::gemm_s8s8s32(1, 1, 1, &a, 1, &b, 1, &c, 1, {isa, 1});
  EXPECT_EQ(c, -15);
  EXPECT_EQ(cpu::last_isa(), isa);
}

}  // namespace
