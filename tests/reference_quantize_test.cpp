#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

#include <tandem/cpu/random.h>
#include <tandem/cpu/reference.h>
#include <tandem/error.h>

namespace ref = tandem::cpu::reference;

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

double mean_relative_error(const std::vector<float>& got, const std::vector<double>& want) {
  double sum = 0;
  for (std::size_t i = 0; i < got.size(); ++i)
    sum += std::fabs(got[i] - want[i]) / std::fabs(want[i]);
  return sum / static_cast<double>(got.size());
}

}  // namespace

TEST(ReferenceQuantize, ScaleIsMaxAbsOverQuantMax) {
  const std::vector<float> x = {0.5f, -254.0f, 3.0f};
  EXPECT_EQ(ref::quant_max(8), 127);
  EXPECT_EQ(ref::quant_max(16), 32767);
  EXPECT_EQ(ref::quantize_scale(x.data(), 3, 8), 2.0f);
  EXPECT_EQ(ref::quantize_scale(x.data(), 3, 16), 254.0f / 32767.0f);
}

TEST(ReferenceQuantize, AllZeroAndEmptyInputsHaveScaleOne) {
  const std::vector<float> zeros(5, 0.0f);
  EXPECT_EQ(ref::quantize_scale(zeros.data(), 5, 8), 1.0f);
  EXPECT_EQ(ref::quantize_scale(nullptr, 0, 16), 1.0f);
}

TEST(ReferenceQuantize, RoundsHalfToEvenAndClipsToTheTypeRange) {
  const std::vector<float> x = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 2.4f, 2.6f, 300.0f, -300.0f};
  std::vector<std::int8_t> q(x.size());
  ref::quantize(x.data(), static_cast<std::int64_t>(x.size()), 1.0f, q.data());
  EXPECT_EQ(q, (std::vector<std::int8_t>{0, 2, 2, 0, -2, 2, 3, 127, -128}));

  std::vector<std::int16_t> q16(2);
  const std::vector<float> big = {40000.0f, -40000.0f};
  ref::quantize(big.data(), 2, 1.0f, q16.data());
  EXPECT_EQ(q16, (std::vector<std::int16_t>{32767, -32768}));
}

TEST(ReferenceQuantize, RoundTripErrorIsAtMostHalfAScale) {
  std::vector<float> x(1000);
  tandem::cpu::fill_normal(x.data(), 1000, 7);
  for (const int bits : {8, 16}) {
    const float scale = ref::quantize_scale(x.data(), 1000, bits);
    std::vector<float> back(1000);
    if (bits == 8) {
      std::vector<std::int8_t> q(1000);
      ref::quantize(x.data(), 1000, scale, q.data());
      ref::dequantize(q.data(), 1000, scale, back.data());
    } else {
      std::vector<std::int16_t> q(1000);
      ref::quantize(x.data(), 1000, scale, q.data());
      ref::dequantize(q.data(), 1000, scale, back.data());
    }
    for (std::size_t i = 0; i < x.size(); ++i) {
      // Half a step, plus the float rounding of 1 / scale, x * (1 / scale) and q * scale.
      const float bound =
          0.5f * scale + 4 * std::numeric_limits<float>::epsilon() * std::fabs(x[i]);
      ASSERT_LE(std::fabs(back[i] - x[i]), bound) << "bits " << bits << " i " << i;
    }
  }
}

TEST(ReferenceQuantize, NaNOrInfIsAnErrorAndNothingIsWritten) {
  for (const float bad : {kNaN, kInf, -kInf}) {
    const std::vector<float> x = {1.0f, bad, 2.0f};
    EXPECT_THROW(ref::quantize_scale(x.data(), 3, 8), tandem::ArgumentError);
    std::vector<std::int8_t> q(3, 42);
    EXPECT_THROW(ref::quantize(x.data(), 3, 1.0f, q.data()), tandem::ArgumentError);
    EXPECT_EQ(q, std::vector<std::int8_t>(3, 42));
    std::vector<float> y(3, 42.0f);
    EXPECT_THROW(ref::quantized_relu(x.data(), y.data(), 3, 8), tandem::ArgumentError);
    EXPECT_EQ(y, std::vector<float>(3, 42.0f));
  }
}

TEST(ReferenceQuantize, BadScaleAndBitWidthAreErrors) {
  const float x = 1.0f;
  std::int8_t q = 0;
  float y = 0;
  for (const float scale : {0.0f, -1.0f, kNaN, kInf}) {
    EXPECT_THROW(ref::quantize(&x, 1, scale, &q), tandem::ArgumentError) << scale;
    EXPECT_THROW(ref::dequantize(&q, 1, scale, &y), tandem::ArgumentError) << scale;
  }
  EXPECT_THROW(ref::quantize_scale(&x, 1, 4), tandem::ArgumentError);
  EXPECT_THROW(ref::quantized_relu(&x, &y, 1, 32), tandem::ArgumentError);
}

TEST(ReferenceQuantizedMatmul, SeedExampleAt8And16Bits) {
  // [[1,2],[3,4]] x [[0.5,1.5],[2.5,3.5]] = [[5.5,8.5],[11.5,18.5]]
  const std::vector<float> a = {1, 2, 3, 4};
  const std::vector<float> b = {0.5f, 1.5f, 2.5f, 3.5f};
  const std::vector<double> exact = {5.5, 8.5, 11.5, 18.5};
  std::vector<float> c8(4), c16(4);
  ref::quantized_matmul(a.data(), b.data(), c8.data(), 2, 2, 2, 8);
  ref::quantized_matmul(a.data(), b.data(), c16.data(), 2, 2, 2, 16);
  const double err8 = mean_relative_error(c8, exact);
  const double err16 = mean_relative_error(c16, exact);
  EXPECT_LT(err8, 0.10);
  EXPECT_GT(err8, 0.0);  // it really was quantized
  EXPECT_LT(err16, err8 / 50);
}

TEST(ReferenceQuantizedMatmul, IsExactlyQuantizeIntegerGemmDequantize) {
  const std::int64_t m = 5, n = 4, k = 6;
  std::vector<float> a(m * k), b(k * n);
  tandem::cpu::fill_normal(a.data(), m * k, 11);
  tandem::cpu::fill_normal(b.data(), k * n, 12);
  const float sa = ref::quantize_scale(a.data(), m * k, 8);
  const float sb = ref::quantize_scale(b.data(), k * n, 8);
  std::vector<std::int8_t> qa(m * k), qb(k * n);
  ref::quantize(a.data(), m * k, sa, qa.data());
  ref::quantize(b.data(), k * n, sb, qb.data());
  std::vector<std::int32_t> acc(m * n);
  ref::gemm_s8s8s32(m, n, k, qa.data(), k, qb.data(), n, acc.data(), n);
  std::vector<float> c(m * n);
  ref::quantized_matmul(a.data(), b.data(), c.data(), m, n, k, 8);
  for (std::int64_t i = 0; i < m * n; ++i) {
    EXPECT_EQ(c[i], static_cast<float>(acc[i]) * (sa * sb)) << i;
  }
}

TEST(ReferenceQuantizedMatmul, SixteenBitSumsAreExactWhereInt32WouldWrap) {
  EXPECT_EQ(ref::max_quantized_k(8), 133144);
  EXPECT_EQ(ref::max_quantized_k(16), (std::int64_t{1} << 33) - 1);
  // Full range: every product is 32767^2, and K = 3 of them already pass int32.
  for (const std::int64_t k : {std::int64_t{3}, std::int64_t{4099}}) {
    const std::vector<float> a(static_cast<std::size_t>(k), 1.0f),
        b(static_cast<std::size_t>(k), -1.0f);
    float c = 42.0f;
    ref::quantized_matmul(a.data(), b.data(), &c, 1, 1, k, 16);
    const float scale = 1.0f / 32767.0f;  // max|x| / qmax, as quantize derives it
    EXPECT_EQ(c, static_cast<float>(-k * 32767 * 32767) * (scale * scale)) << "K = " << k;
  }
}

TEST(ReferenceQuantizedRelu, ClampsInTheIntegerDomain) {
  // max|x| = 127 makes the 8-bit scale exactly 1: q = round_half_even(x), y = max(q, 0).
  const std::vector<float> x = {-127.0f, 63.5f, 64.5f, -0.4f, 127.0f, 0.0f};
  std::vector<float> y(x.size());
  ref::quantized_relu(x.data(), y.data(), static_cast<std::int64_t>(x.size()), 8);
  EXPECT_EQ(y, (std::vector<float>{0.0f, 64.0f, 64.0f, 0.0f, 127.0f, 0.0f}));
}
