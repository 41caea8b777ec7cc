// Quantized layers: weights quantized and packed once, x quantized per call, the
// integer GEMM's store finishing each sum (scales, bias, relu, requantization). Every
// CPU path against the reference, bit for bit: integer sums are exact, and every path
// rounds the same float operations in the same order.
#include <cmath>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <tandem/cpu/kernels.h>
#include <tandem/cpu/random.h>
#include <tandem/cpu/reference.h>
#include <tandem/tandem.h>

#include "dispatch_log_capture.h"
#include "gpu_test.h"
#include "int_values.h"
#include "isa_test_util.h"

namespace cpu = tandem::cpu;
namespace ref = tandem::cpu::reference;
using tandem::Activation;
using tandem::Options;
using tandem::QuantizedTensor;
using tandem::QuantizedWeights;
using tandem::ScaleGranularity;
using tandem::Tensor;
using tandem::testing::ints;

namespace {

struct Shape3 {
  std::int64_t m, n, k;
  std::string str() const {
    return std::to_string(m) + "x" + std::to_string(n) + "x" + std::to_string(k);
  }
};

// Matrix-vector shapes, partial tiles, K = 1, and K over the int8 k block (it is at most
// 2048), so that sums cross k blocks before the store finishes them.
const Shape3 kShapes[] = {{1, 1, 1},      {1, 37, 300},   {45, 1, 80}, {7, 9, 13},
                          {13, 33, 5},    {100, 70, 300}, {25, 47, 1}, {64, 96, 2100},
                          {12, 32, 4100}, {96, 40, 256}};

class CpuQuantizedLayer : public tandem::testing::PerIsa {
 protected:
  void SetUp() override {
    PerIsa::SetUp();
    if (!IsSkipped() && isa() == cpu::Isa::avx512 && !cpu::has_avx512_vnni()) {
      GTEST_SKIP() << "the avx512 integer GEMM needs AVX-512 VNNI";
    }
  }

  // The path under test and the reference on one case; out_scale > 0 requantizes.
  void check(const Shape3& s, bool per_column, bool with_bias, Activation act, float out_scale,
             int threads, const cpu::GemmBlocking& blocking = {}) {
    SCOPED_TRACE(s.str() + (per_column ? " per column" : " per tensor") +
                 (with_bias ? " bias " : " ") + std::string(tandem::activation_name(act)) +
                 " out_scale=" + std::to_string(out_scale) + " threads=" + std::to_string(threads));
    const auto x = ints<std::int8_t>(s.m * s.k, 1, -127, 127);
    const auto w = ints<std::int8_t>(s.k * s.n, 2, -127, 127);
    std::vector<float> scales(per_column ? s.n : 1), bias(s.n);
    cpu::fill_normal(scales.data(), static_cast<std::int64_t>(scales.size()), 3, 0.0f, 1e-4f);
    for (float& v : scales) v = std::fabs(v) + 1e-6f;
    cpu::fill_normal(bias.data(), s.n, 4, 0.0f, 2.0f);
    const cpu::PackedIntegerB packed(w.data(), s.n, s.k, s.n, isa(), unit());
    const cpu::QuantizedEpilogue e{scales.data(), per_column, with_bias ? bias.data() : nullptr,
                                   act};
    std::vector<float> y(s.m * s.n, -7.0f), want_y(s.m * s.n, -7.0f);
    std::vector<std::int8_t> q(s.m * s.n, 99), want_q(s.m * s.n, 99);
    if (out_scale > 0.0f) {
      cpu::quantized_linear(s.m, x.data(), s.k, packed, e, out_scale, q.data(), s.n, run(threads),
                            blocking);
    } else {
      cpu::quantized_linear(s.m, x.data(), s.k, packed, e, y.data(), s.n, run(threads), blocking);
    }
    if (s.k > 0) expect_unit(8);
    ref::quantized_linear(s.m, s.n, s.k, x.data(), w.data(), scales.data(), per_column,
                          with_bias ? bias.data() : nullptr, act, want_y.data(), out_scale,
                          want_q.data());
    EXPECT_EQ(y, want_y);
    EXPECT_EQ(q, want_q);
  }
};

TEST_P(CpuQuantizedLayer, FloatOutputMatchesTheReferenceBitForBit) {
  for_each_unit([&] {
    for (const Shape3& s : kShapes) {
      for (const int threads : {1, 2}) {
        check(s, true, true, Activation::relu, 0.0f, threads);
        check(s, false, false, Activation::none, 0.0f, threads);
      }
    }
  });
}

TEST_P(CpuQuantizedLayer, RequantizedOutputMatchesTheReferenceBitForBit) {
  for_each_unit([&] {
    for (const Shape3& s : kShapes) {
      // A scale that saturates some outputs and rounds the rest.
      check(s, true, true, Activation::relu, 0.05f, 2);
      check(s, false, true, Activation::none, 0.02f, 1);
    }
  });
}

// The caller's mc and nc apply; kc is the one B was packed for, whatever is asked.
TEST_P(CpuQuantizedLayer, BlockingOtherThanKcApplies) {
  for_each_unit([&] {
    const cpu::GemmBlocking small{24, 16, 64};
    check({100, 70, 300}, true, true, Activation::relu, 0.0f, 2, small);
    check({64, 96, 2100}, true, true, Activation::relu, 0.05f, 2, small);
  });
}

TEST_P(CpuQuantizedLayer, EmptySumIsTheEpilogueOfZero) {
  for_each_unit([&] {
    check({5, 19, 0}, true, true, Activation::relu, 0.0f, 1);
    check({5, 19, 0}, true, true, Activation::none, 0.05f, 1);
  });
}

// Weights packed for a unit (AMX tiles, AVX-VNNI) run only on it, and the other way round.
TEST_P(CpuQuantizedLayer, WeightsPackedForAnotherUnitAreRefused) {
  const auto w = ints<std::int8_t>(30 * 20, 2, -127, 127);
  const auto x = ints<std::int8_t>(4 * 30, 1, -127, 127);
  const float scale = 0.5f;
  std::vector<float> y(4 * 20, 3.0f);
  int units = 0;
  for_each_unit([&] {
    if (unit() == cpu::IgemmUnit::vectors) return;
    ++units;
    const std::string vectors = "cpu." + std::string(cpu::isa_name(isa()));
    const std::string name = cpu::igemm_implementation(isa(), unit());
    for (const bool packed_on_unit : {false, true}) {
      const cpu::IgemmUnit packed_for = packed_on_unit ? unit() : cpu::IgemmUnit::vectors;
      const cpu::PackedIntegerB packed(w.data(), 20, 30, 20, isa(), packed_for);
      try {
        cpu::quantized_linear(4, x.data(), 30, packed, {&scale}, y.data(), 20,
                              {isa(), 1, packed_on_unit ? cpu::IgemmUnit::vectors : unit()});
        ADD_FAILURE() << "no error";
      } catch (const tandem::ArgumentError& e) {
        const std::string want = packed_on_unit ? "packed for " + name + ", not " + vectors
                                                : "packed for " + vectors + ", not " + name;
        EXPECT_NE(std::string(e.what()).find(want), std::string::npos) << e.what();
      }
      EXPECT_EQ(y, std::vector<float>(4 * 20, 3.0f));
    }
  });
  if (units == 0) GTEST_SKIP() << "no integer GEMM unit beside cpu." << cpu::isa_name(isa());
}

TEST_P(CpuQuantizedLayer, WeightsPackedForAnotherPathAreRefused) {
  const auto w = ints<std::int8_t>(30 * 20, 2, -127, 127);
  const auto x = ints<std::int8_t>(4 * 30, 1, -127, 127);
  const cpu::Isa other = isa() == cpu::Isa::baseline ? cpu::Isa::avx2 : cpu::Isa::baseline;
  if (!cpu::isa_supported(other)) GTEST_SKIP() << "needs a second path";
  const cpu::PackedIntegerB packed(w.data(), 20, 30, 20, other);
  const float scale = 0.5f;
  std::vector<float> y(4 * 20);
  EXPECT_THROW(cpu::quantized_linear(4, x.data(), 30, packed, {&scale}, y.data(), 20, run()),
               tandem::ArgumentError);
}

TANDEM_INSTANTIATE_PER_ISA(CpuQuantizedLayer);

// ---- The public API ---------------------------------------------------------------------

Tensor normal(const tandem::Shape& shape, std::uint64_t seed, float stddev = 1.0f) {
  std::vector<float> v(static_cast<std::size_t>(shape.numel()));
  cpu::fill_normal(v.data(), shape.numel(), seed, 0.0f, stddev);
  return Tensor::from(v, shape);
}

std::vector<std::string> cpu_implementations() {
  std::vector<std::string> names;
  for (const auto& k : tandem::registered_kernels()) {
    if (k.op == "quantized_linear" && k.available) names.push_back(k.implementation);
  }
  return names;
}

const Options kReference = Options::using_implementation("reference");

// Each implementation, through the public API, against the reference-prepared weights:
// f32 and quantized x, f32 and int8 out, per tensor and per channel.
TEST(QuantizedLinear, EveryImplementationMatchesTheReference) {
  const Tensor x = normal({37, 300}, 1), w = normal({300, 70}, 2), bias = normal({70}, 3);
  const QuantizedTensor xq = tandem::quantize(x, 8);
  ASSERT_GE(cpu_implementations().size(), 2u);
  for (const ScaleGranularity g : {ScaleGranularity::per_tensor, ScaleGranularity::per_channel}) {
    const QuantizedWeights want = QuantizedWeights::prepare(w, 8, g, kReference);
    for (const std::string& impl : cpu_implementations()) {
      SCOPED_TRACE(impl + (g == ScaleGranularity::per_channel ? " per channel" : " per tensor"));
      const QuantizedWeights got =
          QuantizedWeights::prepare(w, 8, g, Options::using_implementation(impl));
      EXPECT_EQ(got.implementation(), impl);
      EXPECT_EQ(got.scales(), want.scales());
      EXPECT_EQ(tandem::quantized_linear(x, got, bias, Activation::relu).to_vector<float>(),
                tandem::quantized_linear(x, want, bias, Activation::relu).to_vector<float>());
      EXPECT_EQ(tandem::quantized_linear(xq, got, bias).to_vector<float>(),
                tandem::quantized_linear(xq, want, bias).to_vector<float>());
      const QuantizedTensor a = tandem::quantized_linear(x, got, bias, Activation::relu, 0.03f);
      const QuantizedTensor b = tandem::quantized_linear(x, want, bias, Activation::relu, 0.03f);
      EXPECT_EQ(a.scale, 0.03f);
      EXPECT_EQ(a.values.to_vector<std::int8_t>(), b.values.to_vector<std::int8_t>());
    }
  }
}

// The reference itself against a float computation: the quantized layer approximates
// act(x @ W + bias) within the quantization error.
TEST(QuantizedLinear, ApproximatesTheFloatLayer) {
  const Tensor x = normal({16, 256}, 1), w = normal({256, 32}, 2), bias = normal({32}, 3);
  const auto exact = tandem::linear(x, w, bias, Activation::relu).to_vector<float>();
  const QuantizedWeights q = QuantizedWeights::prepare(w, 8);
  const auto got = tandem::quantized_linear(x, q, bias, Activation::relu).to_vector<float>();
  double worst = 0.0;
  for (std::size_t i = 0; i < exact.size(); ++i) {
    worst = std::max(worst, std::fabs(double{exact[i]} - got[i]));
  }
  // |x| <= ~4, |w| <= ~4: per product error <= 4 * (s_w / 2) + 4 * (s_x / 2) ~ 0.13,
  // random signs over 256 terms: a few units at most.
  EXPECT_LT(worst, 2.0);
  EXPECT_GT(worst, 0.0);
}

// A chain that stays in 8 bits: layer 1 requantized, layer 2 reads it.
TEST(QuantizedLinear, ChainOfLayersInEightBits) {
  const Tensor x = normal({20, 64}, 1), w1 = normal({64, 48}, 2), w2 = normal({48, 10}, 3);
  const Tensor b1 = normal({48}, 4), b2 = normal({10}, 5);
  for (const std::string& impl : cpu_implementations()) {
    SCOPED_TRACE(impl);
    const Options o = Options::using_implementation(impl);
    const QuantizedTensor h = tandem::quantized_linear(
        x, QuantizedWeights::prepare(w1, 8, ScaleGranularity::per_channel, o), b1, Activation::relu,
        0.1f);
    const QuantizedTensor h_ref = tandem::quantized_linear(
        x, QuantizedWeights::prepare(w1, 8, ScaleGranularity::per_channel, kReference), b1,
        Activation::relu, 0.1f);
    ASSERT_EQ(h.values.to_vector<std::int8_t>(), h_ref.values.to_vector<std::int8_t>());
    const auto y = tandem::quantized_linear(
        h, QuantizedWeights::prepare(w2, 8, ScaleGranularity::per_channel, o), b2);
    const auto y_ref = tandem::quantized_linear(
        h_ref, QuantizedWeights::prepare(w2, 8, ScaleGranularity::per_channel, kReference), b2);
    EXPECT_EQ(y.to_vector<float>(), y_ref.to_vector<float>());
  }
}

// A column of zeros gets scale 1 (the scale rule), so its outputs are act(bias) exactly.
TEST(QuantizedLinear, AllZeroChannelHasScaleOneAndGivesTheBias) {
  std::vector<float> wv = normal({40, 6}, 2).to_vector<float>();
  for (std::int64_t i = 0; i < 40; ++i) wv[i * 6 + 3] = 0.0f;
  const Tensor w = Tensor::from(wv, {40, 6});
  const Tensor x = normal({5, 40}, 1), bias = normal({6}, 3);
  const QuantizedWeights q = QuantizedWeights::prepare(w, 8);
  EXPECT_EQ(q.scales()[3], 1.0f);
  const auto y = tandem::quantized_linear(x, q, bias).to_vector<float>();
  for (std::int64_t i = 0; i < 5; ++i) EXPECT_EQ(y[i * 6 + 3], bias.data<float>()[3]);
}

// W as kept: one byte per int8 weight where the path multiplies bytes (avx512 with VNNI,
// AMX tiles, AVX-VNNI, the reference), two where it packs int8 as int16 pairs (avx2, baseline);
// plus the panels' padding (K to a multiple of 64 on AMX) and column sums, and the scales.
TEST(QuantizedLinear, WeightsAreStoredInTheirQuantizedBytes) {
  const Tensor w = normal({784, 256}, 2);
  const std::size_t weights = 784 * 256;
  for (const std::string& impl : cpu_implementations()) {
    SCOPED_TRACE(impl);
    const QuantizedWeights q = QuantizedWeights::prepare(w, 8, ScaleGranularity::per_channel,
                                                         Options::using_implementation(impl));
    const std::size_t per_weight =
        impl == "cpu.amx" || impl == "cpu.avx512" || impl == "cpu.avx2_vnni" || impl == "reference"
            ? 1
            : 2;
    EXPECT_GE(q.stored_bytes(), weights * per_weight + 256 * sizeof(float));
    // Packed int8 weights also keep their int32 column sums (uint8 x's zero point).
    const std::size_t column_sums = impl == "reference" ? 0 : 256 * sizeof(std::int32_t);
    EXPECT_LE(q.stored_bytes(), weights * per_weight * 17 / 16 + 256 * sizeof(float) + column_sums);
  }
}

// One QuantizedWeights, several threads at once, each with its own x.
TEST(QuantizedLinear, SharedWeightsFromSeveralThreads) {
  const Tensor w = normal({200, 90}, 2), bias = normal({90}, 3);
  const QuantizedWeights q = QuantizedWeights::prepare(w, 8);
  const QuantizedWeights q_ref =
      QuantizedWeights::prepare(w, 8, ScaleGranularity::per_channel, kReference);
  constexpr int kThreads = 4;
  std::vector<std::vector<float>> got(kThreads), want(kThreads);
  std::vector<std::thread> pool;
  for (int t = 0; t < kThreads; ++t) {
    pool.emplace_back([&, t] {
      const Tensor x = normal({33, 200}, 10 + t);
      for (int rep = 0; rep < 20; ++rep) {
        got[t] = tandem::quantized_linear(x, q, bias, Activation::relu).to_vector<float>();
      }
      want[t] = tandem::quantized_linear(x, q_ref, bias, Activation::relu).to_vector<float>();
    });
  }
  for (std::thread& th : pool) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(got[t], want[t]) << "thread " << t;
}

template <typename Error, typename Call>
void expect_refused(Call&& call, const std::string& needle) {
  try {
    call();
    ADD_FAILURE() << "accepted; expected " << needle;
  } catch (const Error& e) {
    const std::string text = e.what();
    EXPECT_NE(text.find(needle), std::string::npos) << text;
  }
}

TEST(QuantizedLinear, BadCallsAreRefusedWithTheShapes) {
  const Tensor x = normal({4, 30}, 1), w = normal({30, 6}, 2), bias = normal({6}, 3);
  const QuantizedWeights q = QuantizedWeights::prepare(w, 8);
  using tandem::ArgumentError;
  using tandem::DTypeError;
  using tandem::ShapeError;
  expect_refused<ShapeError>(
      [&] {
        (void)tandem::quantized_linear(normal({4, 29}, 1), q);
      },
      "quantized_linear: x must be [m, 30]");
  expect_refused<DTypeError>([&] { (void)tandem::quantized_linear(tandem::quantize(x, 16), q); },
                             "must be i8");
  expect_refused<ShapeError>([&] { (void)tandem::quantized_linear(x, q, normal({5}, 3)); },
                             "bias must be f32 [6]");
  std::vector<float> nan_bias(6, 0.0f);
  nan_bias[2] = std::numeric_limits<float>::quiet_NaN();
  expect_refused<ArgumentError>(
      [&] { (void)tandem::quantized_linear(x, q, Tensor::from(nan_bias, {6})); },
      "bias holds nan at element 2");
  std::vector<float> inf_x = x.to_vector<float>();
  inf_x[7] = std::numeric_limits<float>::infinity();
  expect_refused<ArgumentError>(
      [&] {
        (void)tandem::quantized_linear(Tensor::from(inf_x, {4, 30}), q);
      },
      "finite");
  expect_refused<ArgumentError>(
      [&] { (void)tandem::quantized_linear(x, q, bias, Activation::relu, 0.0f); },
      "output_scale must be");
  expect_refused<ArgumentError>(
      [&] { (void)tandem::quantized_linear(x, q, bias, Activation::none, kReference); },
      "the weights were prepared for cpu.");
  expect_refused<ArgumentError>([&] { (void)tandem::quantized_linear(x, QuantizedWeights{}); },
                                "undefined QuantizedWeights");
  std::vector<float> nan_w = w.to_vector<float>();
  nan_w[11] = std::numeric_limits<float>::quiet_NaN();
  expect_refused<ArgumentError>(
      [&] {
        (void)QuantizedWeights::prepare(Tensor::from(nan_w, {30, 6}), 8);
      },
      "finite");
  expect_refused<ArgumentError>([&] { (void)QuantizedWeights::prepare(w, 4); }, "bit width 4");
}

}  // namespace

// ---- relu on quantized data ----------------------------------------------------------

namespace {

class CpuQuantizedRelu : public tandem::testing::PerIsa {};

// Every length around the vector widths, in place and not, both widths, against the
// reference (and the reference against quantized_relu of the float tensor).
TEST_P(CpuQuantizedRelu, MatchesTheReferenceAtEveryLength) {
  for (const std::int64_t n : {0, 1, 15, 16, 17, 63, 64, 65, 1000, 100003}) {
    SCOPED_TRACE(n);
    const auto q8 = ints<std::int8_t>(n, 1, -128, 127);
    const auto q16 = ints<std::int16_t>(n, 2, -32768, 32767);
    std::vector<std::int8_t> y8(n, 5), want8(n, 5);
    std::vector<std::int16_t> y16(n, 5), want16(n, 5);
    cpu::relu_s8(q8.data(), y8.data(), n, run());
    expect_ran_on_path();
    cpu::relu_s16(q16.data(), y16.data(), n, run(2));
    ref::relu_s8(q8.data(), want8.data(), n);
    ref::relu_s16(q16.data(), want16.data(), n);
    EXPECT_EQ(y8, want8);
    EXPECT_EQ(y16, want16);
    auto in_place = q8;
    cpu::relu_s8(in_place.data(), in_place.data(), n, run());
    EXPECT_EQ(in_place, want8);
  }
}

TANDEM_INSTANTIATE_PER_ISA(CpuQuantizedRelu);

TEST(QuantizedRelu, IntegerInAndOutKeepsTheScaleAndEqualsTheFloatForm) {
  const Tensor x = normal({1000}, 1);
  for (const int bits : {8, 16}) {
    const QuantizedTensor q = tandem::quantize(x, bits);
    for (const auto& k : tandem::registered_kernels()) {
      if (k.op != "quantized_relu" || k.device != tandem::DeviceKind::cpu || !k.available) continue;
      SCOPED_TRACE(k.implementation + " " + std::to_string(bits));
      const QuantizedTensor y =
          tandem::quantized_relu(q, Options::using_implementation(k.implementation));
      EXPECT_EQ(y.scale, q.scale);
      EXPECT_EQ(y.values.dtype(), q.values.dtype());
      EXPECT_EQ(tandem::dequantize(y).to_vector<float>(),
                tandem::quantized_relu(x, bits).to_vector<float>());
    }
  }
  EXPECT_THROW((void)tandem::quantized_relu(QuantizedTensor{x, 0.5f}), tandem::DTypeError);
  EXPECT_THROW((void)tandem::quantized_relu(QuantizedTensor{tandem::quantize(x).values, 0.0f}),
               tandem::ArgumentError);
}

}  // namespace

// ---- 16 bits, any K ---------------------------------------------------------------------

namespace {

class CpuWideLayer : public tandem::testing::PerIsa {
 protected:
  void SetUp() override {
    PerIsa::SetUp();
    if (!IsSkipped() && isa() == cpu::Isa::avx512 && !cpu::has_avx512_vnni()) {
      GTEST_SKIP() << "the avx512 integer GEMM needs AVX-512 VNNI";
    }
  }
  void check_shapes();
};

// Full-range int16 (-32768 included) at K where int32 sums would wrap many times over:
// exact against the reference's int64 sums, float and int8 out.
TEST_P(CpuWideLayer, SixteenBitsAreExactForAnyK) {
  for_each_unit([&] { check_shapes(); });
}

void CpuWideLayer::check_shapes() {
  for (const Shape3& s : {Shape3{3, 5, 1}, Shape3{13, 33, 300}, Shape3{20, 40, 3000},
                          Shape3{1, 37, 600}, Shape3{45, 1, 513}, Shape3{5, 19, 0}}) {
    for (const int threads : {1, 2}) {
      SCOPED_TRACE(s.str() + " threads=" + std::to_string(threads));
      const auto x = ints<std::int16_t>(s.m * s.k, 1, -32768, 32767);
      auto w = ints<std::int16_t>(s.k * s.n, 2, -32768, 32767);
      if (!w.empty()) w[0] = -32768;
      std::vector<float> scales(s.n), bias(s.n);
      for (std::int64_t j = 0; j < s.n; ++j) scales[j] = 1e-9f * static_cast<float>(j + 1);
      cpu::fill_normal(bias.data(), s.n, 4, 0.0f, 2.0f);
      const cpu::PackedIntegerB packed(w.data(), s.n, s.k, s.n, isa(), unit());
      const cpu::QuantizedEpilogue e{scales.data(), true, bias.data(), Activation::relu};
      std::vector<float> y(s.m * s.n, -7.0f), want(s.m * s.n, -7.0f);
      cpu::quantized_linear(s.m, x.data(), s.k, packed, e, y.data(), s.n, run(threads));
      if (s.k > 0) expect_unit(16);
      ref::quantized_linear(s.m, s.n, s.k, x.data(), w.data(), scales.data(), true, bias.data(),
                            Activation::relu, want.data());
      EXPECT_EQ(y, want);
      std::vector<std::int8_t> q(s.m * s.n, 9), want_q(s.m * s.n, 9);
      cpu::quantized_linear(s.m, x.data(), s.k, packed, e, 0.5f, q.data(), s.n, run(threads));
      ref::quantized_linear(s.m, s.n, s.k, x.data(), w.data(), scales.data(), true, bias.data(),
                            Activation::relu, nullptr, 0.5f, want_q.data());
      EXPECT_EQ(q, want_q);
    }
  }
}

TANDEM_INSTANTIATE_PER_ISA(CpuWideLayer);

TEST(QuantizedLinear, SixteenBitLayerAtK4096MatchesTheReference) {
  const Tensor x = normal({16, 4096}, 1), w = normal({4096, 48}, 2), bias = normal({48}, 3);
  const QuantizedWeights want =
      QuantizedWeights::prepare(w, 16, ScaleGranularity::per_channel, kReference);
  const auto expected =
      tandem::quantized_linear(x, want, bias, Activation::relu).to_vector<float>();
  for (const std::string& impl : cpu_implementations()) {
    SCOPED_TRACE(impl);
    const QuantizedWeights got = QuantizedWeights::prepare(w, 16, ScaleGranularity::per_channel,
                                                           Options::using_implementation(impl));
    EXPECT_EQ(tandem::quantized_linear(x, got, bias, Activation::relu).to_vector<float>(),
              expected);
  }
  // 16 bits is far closer to the float layer than 8 bits.
  const auto exact = tandem::linear(x, w, bias, Activation::relu).to_vector<float>();
  double worst = 0.0;
  for (std::size_t i = 0; i < exact.size(); ++i) {
    worst = std::max(worst, std::fabs(double{exact[i]} - expected[i]));
  }
  EXPECT_LT(worst, 0.05);
}

// ---- The GPU layer ("cuda": int8 W on the GPU, the dp4a GEMM with the store) -------------

// Without a GPU, weights prepared for it are refused, saying why.
TEST(CudaQuantizedLinear, PreparedWithoutAGpuIsADeviceError) {
  if (tandem::cuda::device_count() > 0) GTEST_SKIP() << "a GPU is present";
  const Tensor w = normal({30, 20}, 2);
  EXPECT_THROW(QuantizedWeights::prepare(w, 8, ScaleGranularity::per_channel,
                                         Options::using_implementation("cuda")),
               tandem::DeviceError);
  Options on_gpu;
  on_gpu.device = tandem::Device::cuda(0);
  EXPECT_THROW(QuantizedWeights::prepare(w, 8, ScaleGranularity::per_channel, on_gpu),
               tandem::DeviceError);
}

// Every form against the reference's weights, bit for bit: host operands (moved for the
// call) and operands on the GPU, f32 and int8 x, f32 and int8 y, per tensor and per
// channel, partial tiles, K = 1 and K past several of the kernel's k slices.
TEST(CudaQuantizedLinear, MatchesTheReferenceBitForBit) {
  TANDEM_REQUIRE_GPU();
  const Options gpu = Options::using_implementation("cuda");
  const tandem::Device device = tandem::Device::cuda(0);
  const Shape3 shapes[] = {{1, 1, 1},  {37, 70, 300},  {45, 80, 1},
                           {7, 9, 13}, {130, 257, 64}, {3, 33, 4100}};
  for (const Shape3& s : shapes) {
    const Tensor x = normal({s.m, s.k}, 1), w = normal({s.k, s.n}, 2), bias = normal({s.n}, 3);
    const QuantizedTensor xq = tandem::quantize(x, 8);
    for (const ScaleGranularity g : {ScaleGranularity::per_tensor, ScaleGranularity::per_channel}) {
      SCOPED_TRACE(s.str() + (g == ScaleGranularity::per_channel ? " per channel" : " per tensor"));
      const QuantizedWeights want = QuantizedWeights::prepare(w, 8, g, kReference);
      const QuantizedWeights got = QuantizedWeights::prepare(w, 8, g, gpu);
      EXPECT_EQ(got.implementation(), "cuda");
      EXPECT_EQ(got.scales(), want.scales());
      EXPECT_EQ(got.stored_bytes(),
                static_cast<std::size_t>(s.k * s.n) + want.scales().size() * sizeof(float));
      {
        tandem::testing::DispatchLogCapture log;
        const Tensor y = tandem::quantized_linear(x, got, bias, Activation::relu);
        ASSERT_EQ(log.rows().size(), 1u);
        EXPECT_EQ(log.last()[tandem::testing::kImplementation], "cuda");
        EXPECT_EQ(log.last()[tandem::testing::kDevice], "cuda:0");
        EXPECT_TRUE(y.device().is_cpu());
        EXPECT_EQ(y.to_vector<float>(),
                  tandem::quantized_linear(x, want, bias, Activation::relu).to_vector<float>());
      }
      EXPECT_EQ(tandem::quantized_linear(xq, got).to_vector<float>(),
                tandem::quantized_linear(xq, want).to_vector<float>());
      const QuantizedTensor a = tandem::quantized_linear(x, got, bias, Activation::relu, 0.03f);
      const QuantizedTensor b = tandem::quantized_linear(x, want, bias, Activation::relu, 0.03f);
      EXPECT_EQ(a.values.to_vector<std::int8_t>(), b.values.to_vector<std::int8_t>());
      // Everything on the GPU: y stays there.
      const Tensor y = tandem::quantized_linear(x.to(device), got, bias.to(device));
      EXPECT_TRUE(y.device().is_cuda());
      EXPECT_EQ(y.to(tandem::Device::cpu()).to_vector<float>(),
                tandem::quantized_linear(x, want, bias).to_vector<float>());
    }
  }
}

TEST(CudaQuantizedLinear, BadCallsAreRefused) {
  TANDEM_REQUIRE_GPU();
  const Options gpu = Options::using_implementation("cuda");
  const Tensor w = normal({30, 20}, 2), x = normal({4, 30}, 1), bias = normal({20}, 3);
  // 16-bit sums need int64: no GPU layer.
  EXPECT_THROW(QuantizedWeights::prepare(w, 16, ScaleGranularity::per_channel, gpu),
               tandem::ArgumentError);
  const QuantizedWeights q = QuantizedWeights::prepare(w, 8, ScaleGranularity::per_channel, gpu);
  // x on the GPU, the bias on the host.
  EXPECT_THROW(tandem::quantized_linear(x.to(tandem::Device::cuda(0)), q, bias),
               tandem::ShapeError);
  // NaN in x on the GPU: refused by the quantizer there.
  std::vector<float> bad = x.to_vector<float>();
  bad[7] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THROW(tandem::quantized_linear(Tensor::from(bad, {4, 30}).to(tandem::Device::cuda(0)), q),
               tandem::ArgumentError);
  // Forcing a CPU implementation on GPU weights.
  EXPECT_THROW(tandem::quantized_linear(x, q, bias, Activation::none,
                                        Options::using_implementation("cpu.avx2")),
               tandem::ArgumentError);
  // Asymmetric uint8 x or y: the GPU layer is int8 only.
  EXPECT_THROW(tandem::quantized_linear(tandem::quantize_asymmetric(x), q, bias),
               tandem::ArgumentError);
  EXPECT_THROW(tandem::quantized_linear(x, q, bias, Activation::relu, 0.1f, 0),
               tandem::ArgumentError);
}

}  // namespace
