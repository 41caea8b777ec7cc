// Every bad input gets its documented error, with a message naming the operation and
// the shapes, and no output is touched.
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <tandem/cpu/reference.h>
#include <tandem/error.h>
#include <tandem/ops.h>

using tandem::Device;
using tandem::DType;
using tandem::Shape;
using tandem::Tensor;
using tandem::Transpose;

namespace {

// Runs f, expects exception E, and checks that its message contains every fragment.
template <typename E>
void expect_error(const std::function<void()>& f, const std::vector<std::string>& fragments) {
  try {
    f();
    ADD_FAILURE() << "no exception; expected one containing '" << fragments.front() << "'";
  } catch (const E& e) {
    for (const auto& fragment : fragments) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos)
          << "message: " << e.what() << "\nmissing: " << fragment;
    }
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type: " << e.what();
  }
}

Tensor f32(const Shape& s) { return Tensor::zeros(s, DType::f32); }

}  // namespace

TEST(OpsErrors, MatmulInnerDimensionsDiffer) {
  expect_error<tandem::ShapeError>(
      [] {
        tandem::matmul(f32({128, 64}), f32({32, 48}));
      },
      {"matmul: inner dimensions differ: [128, 64] x [32, 48]"});
}

TEST(OpsErrors, MatmulRanksAndDtypes) {
  expect_error<tandem::ShapeError>(
      [] {
        tandem::matmul(f32({4}), f32({4, 2}));
      },
      {"matmul: expected rank 2", "[4]"});
  expect_error<tandem::DTypeError>(
      [] {
        tandem::matmul(Tensor::zeros({2, 2}, DType::i8), f32({2, 2}));
      },
      {"matmul: expected f32", "[2, 2] i8"});
  expect_error<tandem::ArgumentError>(
      [] {
        tandem::matmul(Tensor(), f32({2, 2}));
      },
      {"matmul: undefined tensor"});
}

TEST(OpsErrors, GemmShapesAreCheckedAndCIsUntouched) {
  Tensor c = Tensor::from(std::vector<float>(6, 7.0f), Shape{2, 3});
  expect_error<tandem::ShapeError>(
      [&] {
        tandem::gemm(Transpose::no, Transpose::no, 1, f32({2, 4}), f32({4, 2}), 0, c);
      },
      {"gemm: C is [2, 3] but op(A) x op(B) is [2, 2]"});
  expect_error<tandem::ShapeError>(
      [&] {
        tandem::gemm(Transpose::yes, Transpose::no, 1, f32({2, 4}), f32({4, 3}), 0, c);
      },
      {"gemm: inner dimensions differ: [2, 4]^T x [4, 3]"});
  EXPECT_EQ(c.to_vector<float>(), std::vector<float>(6, 7.0f));
}

TEST(OpsErrors, ElementwiseShapesDiffer) {
  expect_error<tandem::ShapeError>([] { tandem::add(f32({4}), f32({5})); },
                                   {"add: shapes differ: [4] vs [5]"});
  expect_error<tandem::ShapeError>(
      [] {
        tandem::multiply(f32({2, 3}), f32({3, 2}));
      },
      {"multiply: shapes differ: [2, 3] vs [3, 2]"});
  expect_error<tandem::ShapeError>([] { tandem::squared_difference(f32({1}), f32({2})); },
                                   {"squared_difference: shapes differ"});
  expect_error<tandem::ShapeError>([] { tandem::dot(f32({3}), f32({4})); },
                                   {"dot: shapes differ: [3] vs [4]"});
  expect_error<tandem::ShapeError>([] { tandem::euclidean_distance(f32({3}), f32({4})); },
                                   {"euclidean_distance: shapes differ"});
  expect_error<tandem::ShapeError>([] { tandem::cosine_similarity(f32({3}), f32({4})); },
                                   {"cosine_similarity: shapes differ"});
  expect_error<tandem::DTypeError>([] { tandem::relu(Tensor::zeros({3}, DType::i32)); },
                                   {"relu: expected f32, got [3] i32 on cpu"});
}

TEST(OpsErrors, QuantizeRefusesNaNInfAndBadBits) {
  for (const float bad :
       {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    const Tensor x = Tensor::from(std::vector<float>{1, bad});
    expect_error<tandem::ArgumentError>([&] { tandem::quantize(x, 8); }, {"quantize:"});
    expect_error<tandem::ArgumentError>([&] { tandem::quantized_relu(x, 8); }, {"quantized_relu:"});
    const Tensor m = Tensor::from(std::vector<float>{1, bad, 3, 4}, Shape{2, 2});
    expect_error<tandem::ArgumentError>(
        [&] {
          tandem::quantized_matmul(m, f32({2, 2}), 8);
        },
        {"quantized_matmul: A holds"});
  }
  expect_error<tandem::ArgumentError>([] { tandem::quantize(f32({3}), 4); },
                                      {"quantize: unsupported bit width 4 for [3]"});
  expect_error<tandem::ArgumentError>(
      [] {
        tandem::quantized_matmul(f32({2, 2}), f32({2, 2}), 12);
      },
      {"quantized_matmul: unsupported bit width 12 for [2, 2] x [2, 2]"});
  expect_error<tandem::DTypeError>(
      [] {
        tandem::dequantize({Tensor::zeros({2}, DType::f32), 1.0f});
      },
      {"dequantize: expected i8, i16 or u8 values, got [2] f32"});
  expect_error<tandem::ArgumentError>(
      [] {
        tandem::dequantize({Tensor::zeros({2}, DType::i8), 0.0f});
      },
      {"dequantize: scale must be a finite positive normal float"});
}

TEST(OpsErrors, QuantizedMatmulRefusesKThatCouldOverflow) {
  // 16 bits: exact for any K on the CPU (int64 sums); a GPU (int32 sums) is refused.
  EXPECT_NO_THROW(tandem::quantized_matmul(f32({1, 3}), f32({3, 1}), 16));
  expect_error<tandem::ArgumentError>(
      [] {
        tandem::quantized_matmul(f32({1, 3}), f32({3, 1}), 16,
                                 tandem::Options::using_implementation("cuda"));
      },
      {"quantized_matmul: K = 3 in [1, 3] x [3, 1] at 16 bits needs 64-bit sums", "K <= 2"});
  const std::int64_t k = tandem::cpu::reference::max_quantized_k(8) + 1;
  expect_error<tandem::ArgumentError>(
      [&] {
        tandem::quantized_matmul(f32({1, k}), f32({k, 1}), 8);
      },
      {"quantized_matmul: K = 133145", "K <= 133144"});
  EXPECT_NO_THROW(tandem::quantized_matmul(f32({1, k - 1}), f32({k - 1, 1}), 8));
}

TEST(OpsErrors, BatchApplyArguments) {
  expect_error<tandem::ArgumentError>(
      [] {
        tandem::batch_apply(f32({4, 2}), tandem::cpu::reference::relu, 0);
      },
      {"batch_apply: workers must be at least 1"});
  expect_error<tandem::ArgumentError>(
      [] {
        tandem::batch_apply(f32({4, 2}), nullptr, 2);
      },
      {"batch_apply: empty function for [4, 2]"});
  expect_error<tandem::ShapeError>(
      [] { tandem::batch_apply(f32({}), tandem::cpu::reference::relu, 2); },
      {"batch_apply: expected a batch of rank >= 1, got []"});
}
