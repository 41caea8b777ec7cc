// Asymmetric uint8 activations (PyTorch's quint8, oneDNN's u8 with a zero point): the
// quantization rule, and quantized layers that read uint8 x and write uint8 y. Every CPU
// path and unit against the reference, bit for bit: the zero point's correction is
// integer arithmetic, exact while the true sums fit int32.
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <tandem/cpu/kernels.h>
#include <tandem/cpu/random.h>
#include <tandem/cpu/reference.h>
#include <tandem/quantization_rules.h>
#include <tandem/tandem.h>

#include "dispatch_log_capture.h"
#include "int_values.h"
#include "isa_test_util.h"

namespace cpu = tandem::cpu;
namespace ref = tandem::cpu::reference;
namespace quant = tandem::quant;
using tandem::Activation;
using tandem::DType;
using tandem::Options;
using tandem::QuantizedTensor;
using tandem::QuantizedWeights;
using tandem::ScaleGranularity;
using tandem::Tensor;
using tandem::testing::ints;

namespace {

// ---- The rule ------------------------------------------------------------------------

TEST(AsymmetricRule, RangeWithZeroOverTwoHundredFiftySixCodes) {
  // Non-negative data (after a relu): zero point 0, every code for the magnitude.
  EXPECT_EQ(quant::asymmetric_params(0.0f, 2.55f).zero_point, 0);
  EXPECT_FLOAT_EQ(quant::asymmetric_params(0.0f, 2.55f).scale, 0.01f);
  // A range that excludes 0 is widened to hold it.
  EXPECT_EQ(quant::asymmetric_params(1.0f, 2.55f).zero_point, 0);
  EXPECT_FLOAT_EQ(quant::asymmetric_params(1.0f, 2.55f).scale, 0.01f);
  // Non-positive data: 0 is the top code.
  EXPECT_EQ(quant::asymmetric_params(-2.55f, 0.0f).zero_point, 255);
  // Symmetric data: 1 / (2 / 255) is 127.49999 in float.
  EXPECT_EQ(quant::asymmetric_params(-1.0f, 1.0f).zero_point, 127);
  // All zeros: scale 1, zero point 0.
  EXPECT_EQ(quant::asymmetric_params(0.0f, 0.0f).scale, 1.0f);
  EXPECT_EQ(quant::asymmetric_params(0.0f, 0.0f).zero_point, 0);
  // The widest finite range: every code dequantizes to a finite float.
  const quant::AsymmetricParams widest = quant::asymmetric_params(-FLT_MAX, FLT_MAX);
  EXPECT_NEAR(widest.zero_point, 128, 1);
  EXPECT_TRUE(std::isfinite(static_cast<float>(0 - widest.zero_point) * widest.scale));
  EXPECT_TRUE(std::isfinite(static_cast<float>(255 - widest.zero_point) * widest.scale));
  EXPECT_EQ(quant::max_exact_u8_layer_k(), 66311);
}

TEST(AsymmetricRule, ZeroIsExactAndEveryValueWithinHalfAStep) {
  std::vector<float> x(1000);
  cpu::fill_normal(x.data(), 1000, 7, 0.5f, 2.0f);
  x[17] = 0.0f;
  std::vector<std::uint8_t> q(1000);
  const quant::AsymmetricParams p = ref::quantize_asymmetric(x.data(), 1000, q.data());
  EXPECT_EQ(q[17], p.zero_point);
  std::vector<float> back(1000);
  ref::dequantize(q.data(), 1000, p.scale, p.zero_point, back.data());
  EXPECT_EQ(back[17], 0.0f);
  for (std::size_t i = 0; i < x.size(); ++i) {
    EXPECT_LE(std::fabs(back[i] - x[i]), 0.5f * p.scale * 1.0001f) << i;
  }
}

TEST(AsymmetricRule, NonFiniteInputIsRefusedBeforeAnythingIsWritten) {
  std::vector<float> x = {1.0f, NAN, 2.0f};
  std::vector<std::uint8_t> q(3, 9);
  EXPECT_THROW((void)ref::quantize_asymmetric(x.data(), 3, q.data()), tandem::ArgumentError);
  EXPECT_EQ(q, std::vector<std::uint8_t>(3, 9));
}

// ---- The CPU quantizer: every path against the reference, bit for bit ---------------------

class CpuAsymmetricQuantize : public tandem::testing::PerIsa {};

// Lengths around every vector and block width (the tails), values on rounding ties,
// denormals, and the extremes of the float range.
TEST_P(CpuAsymmetricQuantize, MatchesTheReferenceAtEveryLength) {
  for (const float shift : {0.5f, 0.0f, -3.0f}) {
    for (std::int64_t n = 0; n <= 300; n += (n < 70 ? 1 : 23)) {
      std::vector<float> x(static_cast<std::size_t>(n));
      cpu::fill_normal(x.data(), n, static_cast<std::uint64_t>(n) + 9, shift, 2.0f);
      for (std::int64_t i = 3; i < n; i += 7) x[i] = static_cast<float>(i % 11) * 0.5f - 2.5f;
      if (n > 5) x[5] = 1e-40f;
      SCOPED_TRACE("n=" + std::to_string(n) + " shift=" + std::to_string(shift));
      std::vector<std::uint8_t> got(static_cast<std::size_t>(n), 7), want(got.size(), 7);
      const quant::AsymmetricParams p = cpu::quantize_asymmetric(x.data(), n, got.data(), run(2));
      if (n > 0) expect_ran_on_path();
      const quant::AsymmetricParams r = ref::quantize_asymmetric(x.data(), n, want.data());
      EXPECT_EQ(p.scale, r.scale);
      EXPECT_EQ(p.zero_point, r.zero_point);
      EXPECT_EQ(got, want);
      std::vector<float> back(got.size(), -1.0f), back_ref(got.size(), -1.0f);
      cpu::dequantize(got.data(), n, p.scale, p.zero_point, back.data(), run());
      ref::dequantize(want.data(), n, r.scale, r.zero_point, back_ref.data());
      EXPECT_EQ(back, back_ref);
      std::vector<std::uint8_t> relu(got.size()), relu_ref(got.size());
      cpu::relu_u8(got.data(), relu.data(), n, p.zero_point, run());
      ref::relu_u8(want.data(), relu_ref.data(), n, r.zero_point);
      EXPECT_EQ(relu, relu_ref);
    }
  }
  const std::vector<float> extremes = {-FLT_MAX, FLT_MAX, 0.0f, 1.0f, -1e-30f, 3e38f};
  std::vector<std::uint8_t> got(extremes.size()), want(extremes.size());
  const auto n = static_cast<std::int64_t>(extremes.size());
  const quant::AsymmetricParams p = cpu::quantize_asymmetric(extremes.data(), n, got.data(), run());
  const quant::AsymmetricParams r = ref::quantize_asymmetric(extremes.data(), n, want.data());
  EXPECT_EQ(p.scale, r.scale);
  EXPECT_EQ(p.zero_point, r.zero_point);
  EXPECT_EQ(got, want);
}

TEST_P(CpuAsymmetricQuantize, NonFiniteInputIsRefusedWithTheReferencesMessage) {
  for (const float bad : {NAN, INFINITY, -INFINITY}) {
    std::vector<float> x(100, 1.0f);
    x[61] = bad;
    std::vector<std::uint8_t> q(100, 9);
    std::string got, want;
    try {
      (void)cpu::quantize_asymmetric(x.data(), 100, q.data(), run(2));
    } catch (const tandem::ArgumentError& e) {
      got = e.what();
    }
    try {
      (void)ref::quantize_asymmetric(x.data(), 100, q.data());
    } catch (const tandem::ArgumentError& e) {
      want = e.what();
    }
    EXPECT_FALSE(got.empty());
    EXPECT_EQ(got, want);
    EXPECT_EQ(q, std::vector<std::uint8_t>(100, 9));
  }
}

TANDEM_INSTANTIATE_PER_ISA(CpuAsymmetricQuantize);

// ---- The CPU layer: every path and unit against the reference ------------------------------

struct Shape3 {
  std::int64_t m, n, k;
};

// Partial tiles, K = 1, K across the int8 k blocks (at most 2048 each).
const Shape3 kShapes[] = {{1, 1, 1},   {1, 37, 300}, {45, 1, 80},    {7, 9, 13},
                          {25, 47, 1}, {5, 19, 0},   {64, 96, 2100}, {33, 40, 256}};

class CpuAsymmetricLayer : public tandem::testing::PerIsa {
 protected:
  void SetUp() override {
    PerIsa::SetUp();
    if (!IsSkipped() && isa() == cpu::Isa::avx512 && !cpu::has_avx512_vnni()) {
      GTEST_SKIP() << "the avx512 integer GEMM needs AVX-512 VNNI";
    }
  }

  // uint8 x with x_zero (or int8 x when x_zero < 0) through the path, f32 or int8 or
  // uint8 y, against the reference.
  void check(const Shape3& s, int x_zero, int out_zero, int threads) {
    SCOPED_TRACE(std::to_string(s.m) + "x" + std::to_string(s.n) + "x" + std::to_string(s.k) +
                 " x_zero=" + std::to_string(x_zero) + " out_zero=" + std::to_string(out_zero) +
                 " threads=" + std::to_string(threads));
    const bool x_u8 = x_zero >= 0;
    const auto xu = ints<std::uint8_t>(s.m * s.k, 1, 0, 255);
    const auto xs = ints<std::int8_t>(s.m * s.k, 1, -127, 127);
    const auto w = ints<std::int8_t>(s.k * s.n, 2, -127, 127);
    std::vector<float> scales(static_cast<std::size_t>(s.n)), bias(static_cast<std::size_t>(s.n));
    cpu::fill_normal(scales.data(), s.n, 3, 0.0f, 1e-4f);
    for (float& v : scales) v = std::fabs(v) + 1e-6f;
    cpu::fill_normal(bias.data(), s.n, 4, 0.0f, 2.0f);
    const cpu::PackedIntegerB packed(w.data(), s.n, s.k, s.n, isa(), unit());
    const cpu::QuantizedEpilogue e{scales.data(),    true, bias.data(),
                                   Activation::relu, x_u8, x_u8 ? x_zero : 0};
    const void* x = x_u8 ? static_cast<const void*>(xu.data()) : xs.data();
    const std::size_t mn = static_cast<std::size_t>(s.m * s.n);
    const float out_scale = 0.02f;
    if (out_zero >= 0) {
      std::vector<std::uint8_t> got(mn, 7), want(mn, 7);
      cpu::quantized_linear(s.m, x, s.k, packed, e, out_scale, out_zero, got.data(), s.n,
                            run(threads));
      const ref::U8Output out{out_scale, out_zero, want.data()};
      if (x_u8) {
        ref::quantized_linear(s.m, s.n, s.k, xu.data(), x_zero, w.data(), scales.data(), true,
                              bias.data(), Activation::relu, out);
      } else {
        ref::quantized_linear(s.m, s.n, s.k, xs.data(), w.data(), scales.data(), true, bias.data(),
                              Activation::relu, out);
      }
      EXPECT_EQ(got, want);
    } else {
      std::vector<float> got(mn, -7.0f), want(mn, -7.0f);
      cpu::quantized_linear(s.m, x, s.k, packed, e, got.data(), s.n, run(threads));
      ref::quantized_linear(s.m, s.n, s.k, xu.data(), x_zero, w.data(), scales.data(), true,
                            bias.data(), Activation::relu, want.data());
      EXPECT_EQ(got, want);
    }
    if (s.k > 0 && s.m > 0) expect_unit(8);
  }
};

TEST_P(CpuAsymmetricLayer, UnsignedXMatchesTheReferenceBitForBit) {
  for_each_unit([&] {
    for (const Shape3& s : kShapes) {
      for (const int zero : {0, 77, 128, 255}) check(s, zero, -1, zero % 2 + 1);
    }
  });
}

TEST_P(CpuAsymmetricLayer, UnsignedOutputMatchesTheReferenceBitForBit) {
  for_each_unit([&] {
    for (const Shape3& s : kShapes) {
      check(s, 30, 0, 2);     // uint8 in and out: a chain's middle layer
      check(s, -1, 200, 1);   // int8 x, uint8 y with a high zero point
      check(s, 255, 255, 2);  // every y below the zero point's code saturates at 0
    }
  });
}

// The largest K the rule allows, every product at its extreme: the true sums reach
// 66311 * 255 * 127 = 2^31 - 1912, which the kernels' wrapping sums must still give.
TEST_P(CpuAsymmetricLayer, ExtremeSumsAtTheLargestKAreExact) {
  for_each_unit([&] {
    const std::int64_t k = quant::max_exact_u8_layer_k(), n = 3, m = 2;
    const std::vector<std::uint8_t> x(static_cast<std::size_t>(m * k), 255);
    std::vector<std::int8_t> w(static_cast<std::size_t>(k * n), 127);
    for (std::int64_t p = 0; p < k; ++p) w[static_cast<std::size_t>(p * n + 1)] = -127;
    const float scale = 1.0f;
    const cpu::PackedIntegerB packed(w.data(), n, k, n, isa(), unit());
    for (const int zero : {0, 255}) {
      std::vector<float> got(static_cast<std::size_t>(m * n)), want(got.size());
      cpu::QuantizedEpilogue e{&scale};
      e.x_unsigned = true;
      e.x_zero_point = zero;
      cpu::quantized_linear(m, x.data(), k, packed, e, got.data(), n, run(1));
      ref::quantized_linear(m, n, k, x.data(), zero, w.data(), &scale, false, nullptr,
                            Activation::none, want.data());
      EXPECT_EQ(got, want) << "zero point " << zero;
      if (zero == 0) {
        EXPECT_EQ(want[0], static_cast<float>(k * 255 * 127));
      }
    }
  });
}

TEST_P(CpuAsymmetricLayer, ZeroPointsOutsideUint8AndWideWeightsAreRefused) {
  const auto w8 = ints<std::int8_t>(30 * 20, 2, -127, 127);
  const auto w16 = ints<std::int16_t>(30 * 20, 2, -127, 127);
  const auto x = ints<std::uint8_t>(4 * 30, 1, 0, 255);
  const float scale = 0.5f;
  std::vector<std::uint8_t> y(4 * 20, 3);
  const cpu::PackedIntegerB packed8(w8.data(), 20, 30, 20, isa());
  const cpu::PackedIntegerB packed16(w16.data(), 20, 30, 20, isa());
  cpu::QuantizedEpilogue e{&scale};
  e.x_unsigned = true;
  e.x_zero_point = 256;
  EXPECT_THROW(cpu::quantized_linear(4, x.data(), 30, packed8, e, 0.1f, 0, y.data(), 20, run()),
               tandem::ArgumentError);
  e.x_zero_point = 0;
  EXPECT_THROW(cpu::quantized_linear(4, x.data(), 30, packed8, e, 0.1f, -1, y.data(), 20, run()),
               tandem::ArgumentError);
  EXPECT_THROW(cpu::quantized_linear(4, x.data(), 30, packed16, e, 0.1f, 0, y.data(), 20, run()),
               tandem::ArgumentError);
  EXPECT_EQ(y, std::vector<std::uint8_t>(4 * 20, 3));
}

TANDEM_INSTANTIATE_PER_ISA(CpuAsymmetricLayer);

// ---- The public API ---------------------------------------------------------------------

Tensor normal(const tandem::Shape& shape, std::uint64_t seed, float mean = 0.0f) {
  std::vector<float> v(static_cast<std::size_t>(shape.numel()));
  cpu::fill_normal(v.data(), shape.numel(), seed, mean, 1.0f);
  return Tensor::from(v, shape);
}

// The CPU implementations of quantized_linear that run here, and the reference.
std::vector<std::string> host_implementations() {
  std::vector<std::string> names;
  for (const auto& k : tandem::registered_kernels()) {
    if (k.op == "quantized_linear" && k.available && k.implementation != "cuda") {
      names.push_back(k.implementation);
    }
  }
  return names;
}

const Options kReference = Options::using_implementation("reference");

TEST(QuantizeAsymmetric, GivesUint8WithAZeroPointAndRoundTrips) {
  const Tensor x = normal({40, 25}, 1, 0.7f);
  QuantizedTensor q;
  {
    const tandem::testing::DispatchLogCapture log;
    q = tandem::quantize_asymmetric(x);
    ASSERT_EQ(log.rows().size(), 1u);
    EXPECT_EQ(log.last()[tandem::testing::kOp], "quantize");
    EXPECT_EQ(log.last()[tandem::testing::kImplementation].rfind("cpu.", 0), 0u);
    EXPECT_EQ(log.last()[tandem::testing::kDtype], "f32 -> u8");
  }
  EXPECT_EQ(q.values.dtype(), DType::u8);
  EXPECT_EQ(q.bits(), 8);
  std::vector<std::uint8_t> want(1000);
  const quant::AsymmetricParams p = ref::quantize_asymmetric(x.data<float>(), 1000, want.data());
  EXPECT_EQ(q.scale, p.scale);
  EXPECT_EQ(q.zero_point, p.zero_point);
  EXPECT_EQ(q.values.to_vector<std::uint8_t>(), want);
  const auto back = tandem::dequantize(q).to_vector<float>();
  const auto xs = x.to_vector<float>();
  for (std::size_t i = 0; i < xs.size(); ++i) {
    EXPECT_LE(std::fabs(back[i] - xs[i]), 0.5f * q.scale * 1.0001f);
  }
}

TEST(QuantizeAsymmetric, ReluOnUint8KeepsTheZeroPointAndEqualsTheFloatRelu) {
  const Tensor x = normal({300}, 2, 0.3f);
  const QuantizedTensor q = tandem::quantize_asymmetric(x);
  ASSERT_GT(q.zero_point, 0);
  const QuantizedTensor r = tandem::quantized_relu(q);
  EXPECT_EQ(r.values.dtype(), DType::u8);
  EXPECT_EQ(r.scale, q.scale);
  EXPECT_EQ(r.zero_point, q.zero_point);
  const auto back = tandem::dequantize(q).to_vector<float>();
  const auto relu = tandem::dequantize(r).to_vector<float>();
  for (std::size_t i = 0; i < back.size(); ++i) EXPECT_EQ(relu[i], std::max(back[i], 0.0f)) << i;
}

// Every implementation on uint8 x and into uint8 y equals the reference's.
TEST(QuantizedLinearU8, EveryImplementationMatchesTheReference) {
  const Tensor x = normal({37, 300}, 1, 0.5f), w = normal({300, 70}, 2), bias = normal({70}, 3);
  const QuantizedTensor xu = tandem::quantize_asymmetric(x);
  ASSERT_NE(xu.zero_point, 0);
  const QuantizedTensor xs = tandem::quantize(x, 8);
  ASSERT_GE(host_implementations().size(), 2u);
  const QuantizedWeights want =
      QuantizedWeights::prepare(w, 8, ScaleGranularity::per_channel, kReference);
  for (const std::string& impl : host_implementations()) {
    SCOPED_TRACE(impl);
    const QuantizedWeights got = QuantizedWeights::prepare(w, 8, ScaleGranularity::per_channel,
                                                           Options::using_implementation(impl));
    {
      const tandem::testing::DispatchLogCapture log;
      const Tensor y = tandem::quantized_linear(xu, got, bias, Activation::relu);
      ASSERT_EQ(log.rows().size(), 1u);
      EXPECT_EQ(log.last()[tandem::testing::kImplementation], impl);
      EXPECT_EQ(log.last()[tandem::testing::kDtype], "u8 -> f32");
      EXPECT_EQ(y.to_vector<float>(),
                tandem::quantized_linear(xu, want, bias, Activation::relu).to_vector<float>());
    }
    const QuantizedTensor a = tandem::quantized_linear(xu, got, bias, Activation::relu, 0.05f, 0);
    const QuantizedTensor b = tandem::quantized_linear(xu, want, bias, Activation::relu, 0.05f, 0);
    EXPECT_EQ(a.values.dtype(), DType::u8);
    EXPECT_EQ(a.scale, 0.05f);
    EXPECT_EQ(a.zero_point, 0);
    EXPECT_EQ(a.values.to_vector<std::uint8_t>(), b.values.to_vector<std::uint8_t>());
    const QuantizedTensor c = tandem::quantized_linear(xs, got, bias, Activation::none, 0.05f, 90);
    const QuantizedTensor d = tandem::quantized_linear(xs, want, bias, Activation::none, 0.05f, 90);
    EXPECT_EQ(c.zero_point, 90);
    EXPECT_EQ(c.values.to_vector<std::uint8_t>(), d.values.to_vector<std::uint8_t>());
    const QuantizedTensor e = tandem::quantized_linear(x, got, bias, Activation::relu, 0.05f, 0);
    EXPECT_EQ(e.values.to_vector<std::uint8_t>(),
              tandem::quantized_linear(x, want, bias, Activation::relu, 0.05f, 0)
                  .values.to_vector<std::uint8_t>());
  }
}

// After a relu, uint8 with zero point 0 has twice int8's codes: the layer that reads it
// is closer to the float layer than the int8 chain.
TEST(QuantizedLinearU8, PostReluChainIsCloserToFloatThanInt8) {
  const Tensor x = normal({32, 128}, 1), w1 = normal({128, 64}, 2), w2 = normal({64, 16}, 3);
  const Tensor b1 = normal({64}, 4), b2 = normal({16}, 5);
  const auto exact =
      tandem::linear(tandem::linear(x, w1, b1, Activation::relu), w2, b2).to_vector<float>();
  const QuantizedWeights q1 = QuantizedWeights::prepare(w1, 8),
                         q2 = QuantizedWeights::prepare(w2, 8);
  const float h_scale = 0.1f;
  const QuantizedTensor h8 = tandem::quantized_linear(x, q1, b1, Activation::relu, h_scale);
  const QuantizedTensor hu = tandem::quantized_linear(x, q1, b1, Activation::relu, h_scale / 2, 0);
  const auto y8 = tandem::quantized_linear(h8, q2, b2).to_vector<float>();
  const auto yu = tandem::quantized_linear(hu, q2, b2).to_vector<float>();
  double err8 = 0.0, erru = 0.0;
  for (std::size_t i = 0; i < exact.size(); ++i) {
    err8 += std::fabs(double{exact[i]} - y8[i]);
    erru += std::fabs(double{exact[i]} - yu[i]);
  }
  EXPECT_LT(erru, err8);
}

TEST(QuantizedLinearU8, BadCallsAreRefusedWithTheShapes) {
  const Tensor x = normal({4, 30}, 1), w = normal({30, 20}, 2);
  const QuantizedTensor xu = tandem::quantize_asymmetric(x);
  const auto refused = [](auto&& call, const std::string& needle) {
    try {
      call();
      ADD_FAILURE() << "no error for " << needle;
    } catch (const tandem::Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  const QuantizedWeights w16 = QuantizedWeights::prepare(w, 16);
  refused([&] { (void)tandem::quantized_linear(xu, w16); }, "x must be i16 for [4, 30]");
  const QuantizedWeights w8 = QuantizedWeights::prepare(w, 8);
  refused([&] { (void)tandem::quantized_linear(x, w16, {}, Activation::none, 0.1f, 0); },
          "a uint8 output needs 8-bit weights");
  refused([&] { (void)tandem::quantized_linear(x, w8, {}, Activation::none, 0.1f, 256); },
          "zero point 256 is outside the uint8 range");
  QuantizedTensor bad = xu;
  bad.zero_point = -3;
  refused([&] { (void)tandem::quantized_linear(bad, w8); }, "zero point -3");
  QuantizedTensor symmetric = tandem::quantize(x, 8);
  symmetric.zero_point = 5;
  refused([&] { (void)tandem::quantized_linear(symmetric, w8); }, "zero point must be 0");
  refused([&] { (void)tandem::dequantize(symmetric); }, "zero point must be 0");
  const Tensor wide = normal({66312, 1}, 3);
  const QuantizedWeights wk = QuantizedWeights::prepare(wide, 8);
  const QuantizedTensor xk = tandem::quantize_asymmetric(normal({1, 66312}, 4));
  refused([&] { (void)tandem::quantized_linear(xk, wk); }, "with uint8 x (K <= 66311");
}

}  // namespace
