#include <cmath>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

#include <tandem/cpu/reference.h>

namespace ref = tandem::cpu::reference;

namespace {
const std::vector<float> kX = {1, 2, 3, 4};
const std::vector<float> kY = {2, 3, 4, 5};
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();
}  // namespace

TEST(ReferenceElementwise, Relu) {
  const std::vector<float> x = {-2, -1, 0, 1, 2};
  std::vector<float> y(5, kNaN);
  ref::relu(x.data(), y.data(), 5);
  EXPECT_EQ(y, (std::vector<float>{0, 0, 0, 1, 2}));
}

TEST(ReferenceElementwise, ReluPropagatesNaNAndKeepsInfinities) {
  const std::vector<float> x = {kNaN, kInf, -kInf, -0.0f};
  std::vector<float> y(4);
  ref::relu(x.data(), y.data(), 4);
  EXPECT_TRUE(std::isnan(y[0]));
  EXPECT_EQ(y[1], kInf);
  EXPECT_EQ(y[2], 0.0f);
  EXPECT_EQ(y[3], 0.0f);
}

TEST(ReferenceElementwise, ReluInPlace) {
  std::vector<float> x = {-1, 3};
  ref::relu(x.data(), x.data(), 2);
  EXPECT_EQ(x, (std::vector<float>{0, 3}));
}

TEST(ReferenceElementwise, AddMultiplySquaredDifference) {
  std::vector<float> out(4);
  ref::add(kX.data(), kY.data(), out.data(), 4);
  EXPECT_EQ(out, (std::vector<float>{3, 5, 7, 9}));
  ref::multiply(kX.data(), kY.data(), out.data(), 4);
  EXPECT_EQ(out, (std::vector<float>{2, 6, 12, 20}));
  const std::vector<float> z = {4, 0, 3, -1};
  ref::squared_difference(kX.data(), z.data(), out.data(), 4);
  EXPECT_EQ(out, (std::vector<float>{9, 4, 0, 25}));
}

TEST(ReferenceReductions, DotEuclideanCosine) {
  EXPECT_EQ(ref::dot(kX.data(), kY.data(), 4), 40.0);
  EXPECT_EQ(ref::euclidean_distance(kX.data(), kY.data(), 4), 2.0);  // sqrt(4 * 1)
  const double expected = 40.0 / (std::sqrt(30.0) * std::sqrt(54.0));
  EXPECT_DOUBLE_EQ(ref::cosine_similarity(kX.data(), kY.data(), 4), expected);
}

TEST(ReferenceReductions, CosineOfParallelAndOppositeAndZeroVectors) {
  const std::vector<float> x = {3, 4};
  const std::vector<float> twice = {6, 8};
  const std::vector<float> opposite = {-3, -4};
  const std::vector<float> zero = {0, 0};
  EXPECT_DOUBLE_EQ(ref::cosine_similarity(x.data(), twice.data(), 2), 1.0);
  EXPECT_DOUBLE_EQ(ref::cosine_similarity(x.data(), opposite.data(), 2), -1.0);
  EXPECT_EQ(ref::cosine_similarity(x.data(), zero.data(), 2), 0.0);
}

TEST(ReferenceReductions, EmptyInputsGiveZero) {
  EXPECT_EQ(ref::dot(nullptr, nullptr, 0), 0.0);
  EXPECT_EQ(ref::euclidean_distance(nullptr, nullptr, 0), 0.0);
  EXPECT_EQ(ref::cosine_similarity(nullptr, nullptr, 0), 0.0);
}

TEST(ReferenceReductions, DotAccumulatesInDouble) {
  // 2^24 + 1 + 1 ... loses every 1 in float; double keeps them.
  std::vector<float> x(1001, 1.0f);
  x[0] = 16777216.0f;
  const std::vector<float> ones(1001, 1.0f);
  EXPECT_EQ(ref::dot(x.data(), ones.data(), 1001), 16777216.0 + 1000.0);
}
