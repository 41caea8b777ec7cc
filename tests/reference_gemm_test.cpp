#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

#include <tandem/cpu/random.h>
#include <tandem/cpu/reference.h>

namespace ref = tandem::cpu::reference;
using tandem::Transpose;

TEST(ReferenceGemm, MatmulHandComputed) {
  // [[1,2,3],[4,5,6]] x [[7,8],[9,10],[11,12]] = [[58,64],[139,154]]
  const std::vector<float> a = {1, 2, 3, 4, 5, 6};
  const std::vector<float> b = {7, 8, 9, 10, 11, 12};
  std::vector<float> c(4, -1.0f);
  ref::matmul(a.data(), b.data(), c.data(), 2, 2, 3);
  EXPECT_EQ(c, (std::vector<float>{58, 64, 139, 154}));
}

TEST(ReferenceGemm, OneByOneByOne) {
  const float a = 3, b = -4;
  float c = 7;
  ref::matmul(&a, &b, &c, 1, 1, 1);
  EXPECT_EQ(c, -12.0f);
}

TEST(ReferenceGemm, KZeroGivesZeros) {
  std::vector<float> c(6, 5.0f);
  ref::matmul(nullptr, nullptr, c.data(), 2, 3, 0);
  EXPECT_EQ(c, std::vector<float>(6, 0.0f));
}

TEST(ReferenceGemm, TransposesAlphaBetaAndLeadingDimensions) {
  // A is 2x3 stored transposed (3x2, lda 4); B is 3x2 stored transposed (2x3, ldb 5);
  // C is 2x2 inside a row of 3 (ldc 3). op(A) = [[1,2,3],[4,5,6]], op(B) = [[1,0],[0,1],[1,1]].
  const float pad = 99;
  const std::vector<float> at = {1, 4, pad, pad, 2, 5, pad, pad, 3, 6, pad, pad};
  const std::vector<float> bt = {1, 0, 1, pad, pad, 0, 1, 1, pad, pad};
  std::vector<float> c = {10, 20, pad, 30, 40, pad};
  ref::gemm(Transpose::yes, Transpose::yes, 2, 2, 3, 2.0f, at.data(), 4, bt.data(), 5, 0.5f,
            c.data(), 3);
  // op(A) op(B) = [[4,5],[10,11]]; 2 * that + 0.5 * C
  EXPECT_EQ(c, (std::vector<float>{13, 20, pad, 35, 42, pad}));
}

TEST(ReferenceGemm, BetaZeroNeverReadsC) {
  const std::vector<float> a = {1, 2};
  const std::vector<float> b = {3, 4};
  std::vector<float> c(1, std::numeric_limits<float>::quiet_NaN());
  ref::gemm(Transpose::no, Transpose::no, 1, 1, 2, 1.0f, a.data(), 2, b.data(), 1, 0.0f, c.data(),
            1);
  EXPECT_EQ(c[0], 11.0f);
}

TEST(ReferenceGemm, MatchesGemmOfTransposedCopies) {
  // The same product through every transpose combination: exact with integer data.
  const std::int64_t m = 7, n = 5, k = 3;
  std::vector<float> a(m * k), b(k * n);
  tandem::cpu::fill_uniform_int(a.data(), m * k, 1, -4, 4);
  tandem::cpu::fill_uniform_int(b.data(), k * n, 2, -4, 4);
  std::vector<float> at(k * m), bt(n * k);
  for (std::int64_t i = 0; i < m; ++i)
    for (std::int64_t p = 0; p < k; ++p) at[p * m + i] = a[i * k + p];
  for (std::int64_t p = 0; p < k; ++p)
    for (std::int64_t j = 0; j < n; ++j) bt[j * k + p] = b[p * n + j];
  std::vector<float> expected(m * n);
  ref::matmul(a.data(), b.data(), expected.data(), m, n, k);
  for (const auto ta : {Transpose::no, Transpose::yes}) {
    for (const auto tb : {Transpose::no, Transpose::yes}) {
      std::vector<float> c(m * n, std::numeric_limits<float>::quiet_NaN());
      ref::gemm(ta, tb, m, n, k, 1.0f, ta == Transpose::yes ? at.data() : a.data(),
                ta == Transpose::yes ? m : k, tb == Transpose::yes ? bt.data() : b.data(),
                tb == Transpose::yes ? k : n, 0.0f, c.data(), n);
      EXPECT_EQ(c, expected) << "trans_a=" << (ta == Transpose::yes)
                             << " trans_b=" << (tb == Transpose::yes);
    }
  }
}

TEST(ReferenceGemm, AccumulatesInDouble) {
  // 1e8 + 1 - 1e8 is 0 in float arithmetic, 1 in double.
  const std::vector<float> a = {1e8f, 1.0f, -1e8f};
  const std::vector<float> b = {1.0f, 1.0f, 1.0f};
  float c = 0;
  ref::matmul(a.data(), b.data(), &c, 1, 1, 3);
  EXPECT_EQ(c, 1.0f);
}

TEST(ReferenceIntegerGemm, Int8HandComputed) {
  const std::vector<std::int8_t> a = {1, -2, 3, 4, 127, -128};
  const std::vector<std::int8_t> b = {-128, 2, 127, 1, 5, -6};
  std::vector<std::int32_t> c(4);
  ref::gemm_s8s8s32(2, 2, 3, a.data(), 3, b.data(), 2, c.data(), 2);
  EXPECT_EQ(c, (std::vector<std::int32_t>{-128 - 254 + 15, 2 - 2 - 18, -512 + 16129 - 640,
                                          8 + 127 + 768}));
}

TEST(ReferenceIntegerGemm, Int16WrapsLikeInt32Hardware) {
  // 3 * 32767 * 32767 exceeds INT32_MAX: the sum wraps modulo 2^32.
  const std::vector<std::int16_t> a = {32767, 32767, 32767};
  const std::vector<std::int16_t> b = {32767, 32767, 32767};
  std::int32_t c = 0;
  ref::gemm_s16s16s32(1, 1, 3, a.data(), 3, b.data(), 1, &c, 1);
  const std::int64_t exact = 3LL * 32767 * 32767;
  EXPECT_EQ(c, static_cast<std::int32_t>(static_cast<std::uint32_t>(exact)));
  EXPECT_LT(c, 0);
}
