// The public operations on Tensors, end to end against the reference kernels.
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include <tandem/cpu/reference.h>
#include <tandem/ops.h>

namespace ref = tandem::cpu::reference;
using tandem::DType;
using tandem::Shape;
using tandem::Tensor;
using tandem::Transpose;

namespace {
Tensor vec(std::vector<float> v) { return Tensor::from(v); }
}  // namespace

TEST(Ops, SeedExamples) {
  const Tensor x = vec({1, 2, 3, 4});
  const Tensor y = vec({2, 3, 4, 5});
  EXPECT_EQ(tandem::relu(vec({-2, -1, 0, 1, 2})).to_vector<float>(),
            (std::vector<float>{0, 0, 0, 1, 2}));
  EXPECT_EQ(tandem::add(x, y).to_vector<float>(), (std::vector<float>{3, 5, 7, 9}));
  EXPECT_EQ(tandem::multiply(x, y).to_vector<float>(), (std::vector<float>{2, 6, 12, 20}));
  EXPECT_EQ(tandem::squared_difference(x, y).to_vector<float>(), (std::vector<float>{1, 1, 1, 1}));
  EXPECT_EQ(tandem::dot(x, y), 40.0);
  EXPECT_EQ(tandem::euclidean_distance(x, y), 2.0);
  EXPECT_DOUBLE_EQ(tandem::cosine_similarity(x, y),
                   ref::cosine_similarity(x.data<float>(), y.data<float>(), 4));
}

TEST(Ops, MatmulMatchesTheReferenceAndKeepsShapes) {
  const Tensor a = Tensor::randn({37, 29}, 1);
  const Tensor b = Tensor::randn({29, 53}, 2);
  const Tensor c = tandem::matmul(a, b);
  EXPECT_EQ(c.shape(), (Shape{37, 53}));
  std::vector<float> expected(37 * 53);
  ref::matmul(a.data<float>(), b.data<float>(), expected.data(), 37, 53, 29);
  // The forced reference bit for bit; the dispatched SIMD kernel within float
  // accumulation error: 2 (K + 1) u sum_k |a_ik b_kj| (u = 2^-24).
  EXPECT_EQ(
      tandem::matmul(a, b, tandem::Options::using_implementation("reference")).to_vector<float>(),
      expected);
  const std::vector<float> got = c.to_vector<float>();
  for (std::int64_t i = 0; i < 37; ++i) {
    for (std::int64_t j = 0; j < 53; ++j) {
      double bound = 0.0;
      for (std::int64_t q = 0; q < 29; ++q) {
        bound += std::fabs(double{a.at<float>({i, q})} * double{b.at<float>({q, j})});
      }
      bound *= 2.0 * 30 * std::ldexp(1.0, -24);
      EXPECT_NEAR(got[i * 53 + j], expected[i * 53 + j], bound) << i << ", " << j;
    }
  }
}

TEST(Ops, MatmulWithEmptyDimensions) {
  const Tensor c =
      tandem::matmul(Tensor::zeros({3, 0}, DType::f32), Tensor::zeros({0, 2}, DType::f32));
  EXPECT_EQ(c.to_vector<float>(), std::vector<float>(6, 0.0f));
  EXPECT_EQ(
      tandem::matmul(Tensor::zeros({0, 4}, DType::f32), Tensor::zeros({4, 2}, DType::f32)).shape(),
      (Shape{0, 2}));
}

TEST(Ops, GemmWithTransposesAlphaAndBeta) {
  const Tensor at = Tensor::from(std::vector<float>{1, 4, 2, 5, 3, 6}, Shape{3, 2});  // A^T
  const Tensor b = Tensor::from(std::vector<float>{1, 0, 0, 1, 1, 1}, Shape{3, 2});
  Tensor c = Tensor::from(std::vector<float>{10, 20, 30, 40}, Shape{2, 2});
  tandem::gemm(Transpose::yes, Transpose::no, 2.0f, at, b, 0.5f, c);
  EXPECT_EQ(c.to_vector<float>(), (std::vector<float>{13, 20, 35, 42}));
  Tensor nan_c = Tensor::from(std::vector<float>(4, NAN), Shape{2, 2});
  tandem::gemm(Transpose::yes, Transpose::no, 1.0f, at, b, 0.0f, nan_c);
  EXPECT_EQ(nan_c.to_vector<float>(), (std::vector<float>{4, 5, 10, 11}));
}

TEST(Ops, QuantizeDequantizeRoundTrip) {
  const Tensor x = vec({-254, 0.5f, 3});
  const auto q8 = tandem::quantize(x, 8);
  EXPECT_EQ(q8.values.dtype(), DType::i8);
  EXPECT_EQ(q8.bits(), 8);
  EXPECT_EQ(q8.scale, 2.0f);
  EXPECT_EQ(q8.values.to_vector<std::int8_t>(), (std::vector<std::int8_t>{-127, 0, 2}));
  EXPECT_EQ(tandem::dequantize(q8).to_vector<float>(), (std::vector<float>{-254, 0, 4}));
  const auto q16 = tandem::quantize(x, 16);
  EXPECT_EQ(q16.values.dtype(), DType::i16);
  EXPECT_EQ(q16.bits(), 16);
}

TEST(Ops, QuantizedMatmulSeedExample) {
  const Tensor a = Tensor::from(std::vector<float>{1, 2, 3, 4}, Shape{2, 2});
  const Tensor b = Tensor::from(std::vector<float>{0.5f, 1.5f, 2.5f, 3.5f}, Shape{2, 2});
  const std::vector<float> exact = tandem::matmul(a, b).to_vector<float>();
  for (const int bits : {8, 16}) {
    const auto got = tandem::quantized_matmul(a, b, bits).to_vector<float>();
    std::vector<float> want(4);
    ref::quantized_matmul(a.data<float>(), b.data<float>(), want.data(), 2, 2, 2, bits);
    EXPECT_EQ(got, want) << bits;
    double err = 0;
    for (int i = 0; i < 4; ++i) err += std::fabs(got[i] - exact[i]) / exact[i];
    EXPECT_LT(err / 4, bits == 8 ? 0.10 : 0.001) << bits;
  }
}

TEST(Ops, QuantizedRelu) {
  const Tensor x = vec({-127, 63.5f, 64.5f, 127});
  EXPECT_EQ(tandem::quantized_relu(x, 8).to_vector<float>(), (std::vector<float>{0, 64, 64, 127}));
}

TEST(Ops, BatchApplyEqualsTheWholeBatchAtOnce) {
  const Tensor batch = Tensor::randn({64, 33}, 4);
  const Tensor expected = tandem::relu(batch);
  for (const int workers : {1, 2, 5, 64, 200}) {
    const Tensor got = tandem::batch_apply(batch, ref::relu, workers);
    EXPECT_EQ(got.shape(), batch.shape());
    EXPECT_EQ(got.to_vector<float>(), expected.to_vector<float>()) << workers;
  }
}
