// Quantization on every CPU path, bit for bit against the reference: scale, int8 and
// int16 quantize and dequantize, and the fused quantized relu; ties, saturation and
// tails; one and two threads; and the errors (same type, same message, nothing written).
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <tandem/cpu/kernels.h>
#include <tandem/cpu/random.h>
#include <tandem/cpu/reference.h>
#include <tandem/error.h>

#include "isa_test_util.h"

namespace cpu = tandem::cpu;
namespace ref = tandem::cpu::reference;

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr std::int64_t kLarge = 3'000'001;  // threaded (above 2 x 64 Ki elements)
// Threaded, and half of it a multiple of the 64-element chunk alignment, so a split
// that dropped the remainder would lose the last element.
constexpr std::int64_t kLargeEven = (std::int64_t{1} << 21) + 1;

int lanes(cpu::Isa isa) {
  switch (isa) {
    case cpu::Isa::avx512:
      return 16;
    case cpu::Isa::avx2:
      return 8;
    case cpu::Isa::baseline:
      break;
  }
  return 4;
}

// Normal samples scaled by `spread`, with exact ties (k + 0.5 steps of `step`), zeros
// and -0 mixed in.
std::vector<float> data(std::int64_t n, std::uint64_t seed, float spread = 1.0f,
                        float step = 0.0f) {
  std::vector<float> v(static_cast<std::size_t>(n));
  cpu::fill_normal(v.data(), n, seed, 0.0f, spread);
  for (std::int64_t i = 0; i < n; i += 5) {
    const auto k = static_cast<float>(i % 301) - 150.0f;
    v[i] = step > 0.0f ? (k + 0.5f) * step : (i % 2 == 0 ? -0.0f : 0.0f);
  }
  return v;
}

template <typename T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

template <typename T>
std::int64_t first_difference(const std::vector<T>& a, const std::vector<T>& b) {
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::memcmp(&a[i], &b[i], sizeof(T)) != 0) return static_cast<std::int64_t>(i);
  }
  return -1;
}

// The message of the ArgumentError f throws ("" if none).
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const tandem::ArgumentError& e) {
    return e.what();
  }
  return "";
}

class CpuQuantize : public tandem::testing::PerIsa {
 protected:
  std::vector<std::int64_t> sizes() const {
    const std::int64_t l = lanes(isa());
    return {0, 1, l - 1, l, l + 1, 2 * l + 1, 4 * l - 1, 4 * l, 4 * l + 1, 1009};
  }

  // quantize_scale, quantize and dequantize (width Q) of x[offset:offset+n] against
  // the reference, bit for bit; the output buffers' edges are checked untouched.
  template <typename Q>
  void check(const std::vector<float>& xs, std::int64_t n, std::int64_t offset, int threads,
             float given_scale = 0.0f) {
    constexpr int kBits = sizeof(Q) * 8;
    const float* x = xs.data() + offset;
    const std::string what = "bits=" + std::to_string(kBits) + " n=" + std::to_string(n) +
                             " offset=" + std::to_string(offset) +
                             " threads=" + std::to_string(threads);
    const float scale =
        given_scale > 0.0f ? given_scale : cpu::quantize_scale(x, n, kBits, run(threads));
    if (given_scale <= 0.0f) {
      expect_ran_on_path();
      ASSERT_EQ(scale, ref::quantize_scale(x, n, kBits)) << what;
    }

    std::vector<Q> q(n + offset + 2, Q{77}), q_ref = q;
    cpu::quantize(x, n, scale, q.data() + offset, run(threads));
    expect_ran_on_path();
    ref::quantize(x, n, scale, q_ref.data() + offset);
    EXPECT_TRUE(same_bits(q, q_ref))
        << what << ": quantize differs first at " << first_difference(q, q_ref);

    std::vector<float> back(n + offset + 2, -5.0f), back_ref = back;
    cpu::dequantize(q_ref.data() + offset, n, scale, back.data() + offset, run(threads));
    expect_ran_on_path();
    ref::dequantize(q_ref.data() + offset, n, scale, back_ref.data() + offset);
    EXPECT_TRUE(same_bits(back, back_ref))
        << what << ": dequantize differs first at " << first_difference(back, back_ref);
  }

  // quantized_relu out of place (with offset) and in place.
  void check_relu(const std::vector<float>& xs, std::int64_t n, std::int64_t offset, int bits,
                  int threads) {
    const std::string what = "relu bits=" + std::to_string(bits) + " n=" + std::to_string(n) +
                             " offset=" + std::to_string(offset) +
                             " threads=" + std::to_string(threads);
    std::vector<float> y(n + offset + 2, -5.0f), y_ref = y;
    cpu::quantized_relu(xs.data() + offset, y.data() + offset, n, bits, run(threads));
    expect_ran_on_path();
    ref::quantized_relu(xs.data() + offset, y_ref.data() + offset, n, bits);
    EXPECT_TRUE(same_bits(y, y_ref)) << what << ": differs first at " << first_difference(y, y_ref);

    std::vector<float> in_place = xs;
    cpu::quantized_relu(in_place.data() + offset, in_place.data() + offset, n, bits, run(threads));
    std::vector<float> in_place_ref = xs;
    ref::quantized_relu(in_place_ref.data() + offset, in_place_ref.data() + offset, n, bits);
    EXPECT_TRUE(same_bits(in_place, in_place_ref))
        << what << " in place: differs first at " << first_difference(in_place, in_place_ref);
  }
};

TEST_P(CpuQuantize, SizesAroundTheVectorWidthAndUnaligned) {
  for (const std::int64_t n : sizes()) {
    const auto xs = data(n + 3, 31, 3.0f);
    for (const std::int64_t offset : {0, 1, 3}) {
      check<std::int8_t>(xs, n, offset, 1);
      check<std::int16_t>(xs, n, offset, 1);
      check_relu(xs, n, offset, 8, 1);
      check_relu(xs, n, offset, 16, 1);
    }
  }
}

TEST_P(CpuQuantize, TiesRoundHalfToEven) {
  // x = (k + 0.5) * step with scale == step: every such element is an exact tie.
  const auto xs = data(1009, 32, 40.0f, 0.25f);
  check<std::int8_t>(xs, 1009, 0, 1, 0.25f);
  check<std::int16_t>(xs, 1009, 0, 1, 0.25f);
  const std::vector<float> ties = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 126.5f, -127.5f, 3.5f};
  std::vector<std::int8_t> q(ties.size());
  cpu::quantize(ties.data(), static_cast<std::int64_t>(ties.size()), 1.0f, q.data(), run());
  expect_ran_on_path();
  EXPECT_EQ(q, (std::vector<std::int8_t>{0, 2, 2, 0, -2, -2, 126, -128, 4}));
}

TEST_P(CpuQuantize, SaturatesToTheTypeRange) {
  // A scale far too small: x / scale is out of range, or even overflows to +-Inf.
  const auto xs = data(1010, 33, 1e30f);  // 1009 from offset 1
  for (const float scale : {1e-3f, std::numeric_limits<float>::min(), 1e-30f}) {
    check<std::int8_t>(xs, 1009, 1, 1, scale);
    check<std::int16_t>(xs, 1009, 1, 1, scale);
  }
  const std::vector<float> big = {1e6f,
                                  -1e6f,
                                  128.0f,
                                  -129.0f,
                                  32767.6f,
                                  -32768.6f,
                                  std::numeric_limits<float>::max(),
                                  -std::numeric_limits<float>::max()};
  std::vector<std::int16_t> q16(big.size());
  cpu::quantize(big.data(), static_cast<std::int64_t>(big.size()), 1.0f, q16.data(), run());
  expect_ran_on_path();
  EXPECT_EQ(q16,
            (std::vector<std::int16_t>{32767, -32768, 128, -129, 32767, -32768, 32767, -32768}));
}

TEST_P(CpuQuantize, ScaleOfZerosTinyValuesAndEmptyInput) {
  const std::vector<float> zeros(37, -0.0f);
  EXPECT_EQ(cpu::quantize_scale(zeros.data(), 37, 8, run()), 1.0f);
  expect_ran_on_path();
  EXPECT_EQ(cpu::quantize_scale(nullptr, 0, 16, run()), 1.0f);
  // max|x| / 127 below the smallest normal float: clamped to it, as the reference does.
  std::vector<float> tiny(37, 0.0f);
  tiny[20] = -1e-40f;
  EXPECT_EQ(cpu::quantize_scale(tiny.data(), 37, 8, run()), std::numeric_limits<float>::min());
  EXPECT_EQ(cpu::quantize_scale(tiny.data(), 37, 8, run()),
            ref::quantize_scale(tiny.data(), 37, 8));
  // The max is found wherever it is, tail included.
  for (const std::int64_t at : {0, 5, 33, 36}) {
    std::vector<float> x(37, 1.0f);
    x[at] = -254.0f;
    EXPECT_EQ(cpu::quantize_scale(x.data(), 37, 8, run()), 2.0f) << at;
  }
}

TEST_P(CpuQuantize, DequantizesEveryInt8AndInt16Value) {
  std::vector<std::int8_t> q8;
  for (int v = -128; v <= 127; ++v) q8.push_back(static_cast<std::int8_t>(v));
  std::vector<std::int16_t> q16;
  for (int v = -32768; v <= 32767; v += 7) q16.push_back(static_cast<std::int16_t>(v));
  q16.push_back(32767);
  for (const float scale : {1.0f, 0.0123f, 3.7e-3f, 1e30f}) {
    std::vector<float> got(q8.size()), want(q8.size());
    cpu::dequantize(q8.data(), static_cast<std::int64_t>(q8.size()), scale, got.data(), run());
    expect_ran_on_path();
    ref::dequantize(q8.data(), static_cast<std::int64_t>(q8.size()), scale, want.data());
    EXPECT_TRUE(same_bits(got, want)) << scale;
    got.assign(q16.size(), 0.0f);
    want.assign(q16.size(), 0.0f);
    cpu::dequantize(q16.data(), static_cast<std::int64_t>(q16.size()), scale, got.data(), run());
    ref::dequantize(q16.data(), static_cast<std::int64_t>(q16.size()), scale, want.data());
    EXPECT_TRUE(same_bits(got, want)) << scale;
  }
}

TEST_P(CpuQuantize, LargeThreadedBitExact) {
  // With a 4 MiB last level, dequantizing kLarge (12 MB of floats) streams its output.
  const tandem::testing::ScopedLastLevelCache last_level(std::int64_t{4} << 20);
  const auto xs = data(kLarge + 1, 34, 2.0f);
  for (const int threads : {1, 2}) {
    check<std::int8_t>(xs, kLarge, 0, threads);
    check<std::int8_t>(xs, kLarge, 1, threads);
    check<std::int16_t>(xs, kLarge, 1, threads);
    check_relu(xs, kLarge, 1, 8, threads);
    check_relu(xs, kLarge, 0, 16, threads);
    check<std::int8_t>(xs, kLargeEven, 0, threads);
    check<std::int16_t>(xs, kLargeEven, 0, threads);
    check_relu(xs, kLargeEven, 0, 8, threads);
  }
}

TEST_P(CpuQuantize, NaNOrInfIsAnErrorWithTheReferenceMessageAndNothingIsWritten) {
  for (const std::int64_t n : {std::int64_t{7}, std::int64_t{1009}, kLarge}) {
    for (const float bad : {kNaN, kInf, -kInf}) {
      // A bad value late in the input (in the second thread's chunk when threaded),
      // and a second one after it: the first is the one reported.
      std::vector<float> x = data(n, 35);
      x[n - 2] = bad;
      x[n - 1] = kNaN;
      for (const int threads : {1, 2}) {
        const std::string what = "n=" + std::to_string(n) + " bad=" + std::to_string(bad) +
                                 " threads=" + std::to_string(threads);
        const std::string want_scale = error_of([&] { ref::quantize_scale(x.data(), n, 8); });
        ASSERT_NE(want_scale, "");
        EXPECT_EQ(error_of([&] { cpu::quantize_scale(x.data(), n, 8, run(threads)); }), want_scale)
            << what;
        expect_ran_on_path();

        std::vector<std::int8_t> q8(n, 9);
        std::vector<std::int8_t> q8_ref(n, 9);
        const std::string want_q =
            error_of([&] { ref::quantize(x.data(), n, 0.5f, q8_ref.data()); });
        EXPECT_EQ(error_of([&] { cpu::quantize(x.data(), n, 0.5f, q8.data(), run(threads)); }),
                  want_q)
            << what;
        EXPECT_EQ(q8, std::vector<std::int8_t>(n, 9)) << what;

        std::vector<std::int16_t> q16(n, 9);
        EXPECT_EQ(error_of([&] { cpu::quantize(x.data(), n, 0.5f, q16.data(), run(threads)); }),
                  want_q)
            << what;
        EXPECT_EQ(q16, std::vector<std::int16_t>(n, 9)) << what;

        std::vector<float> y(n, 4.0f);
        std::vector<float> y_ref(n, 4.0f);
        const std::string want_relu =
            error_of([&] { ref::quantized_relu(x.data(), y_ref.data(), n, 16); });
        EXPECT_NE(want_relu.find("quantized_relu"), std::string::npos);
        EXPECT_EQ(error_of([&] { cpu::quantized_relu(x.data(), y.data(), n, 16, run(threads)); }),
                  want_relu)
            << what;
        EXPECT_EQ(y, std::vector<float>(n, 4.0f)) << what;
      }
    }
  }
}

TEST_P(CpuQuantize, DerivedScaleInTwoPassesEqualsScaleThenQuantize) {
  for (const std::int64_t n : {0, 1, 1000, 300001}) {
    std::vector<float> x(n);
    cpu::fill_normal(x.data(), n, 23);
    std::vector<std::int8_t> q8(n, 7), want8(n);
    std::vector<std::int16_t> q16(n, 7), want16(n);
    const float scale8 = cpu::quantize(x.data(), n, q8.data(), run());
    expect_ran_on_path();
    const float scale16 = cpu::quantize(x.data(), n, q16.data(), run(2));
    expect_ran_on_path();
    EXPECT_EQ(scale8, ref::quantize_scale(x.data(), n, 8));
    EXPECT_EQ(scale16, ref::quantize_scale(x.data(), n, 16));
    ref::quantize(x.data(), n, scale8, want8.data());
    ref::quantize(x.data(), n, scale16, want16.data());
    EXPECT_EQ(q8, want8) << n;
    EXPECT_EQ(q16, want16) << n;
  }
  std::vector<float> bad(5000, 1.0f);
  bad[4321] = std::numeric_limits<float>::quiet_NaN();
  std::vector<std::int8_t> q(5000, 7);
  EXPECT_THROW(cpu::quantize(bad.data(), 5000, q.data(), run()), tandem::ArgumentError);
  EXPECT_EQ(q, std::vector<std::int8_t>(5000, 7));
}

TEST_P(CpuQuantize, BadScaleOrWidthIsAnError) {
  const std::vector<float> x = {1.0f, -2.0f, 3.0f};
  std::vector<std::int8_t> q(3, 9);
  std::vector<float> y(3, 4.0f);
  for (const float scale : {0.0f, -1.0f, kNaN, kInf, 1e-40f}) {  // 1e-40: subnormal
    const std::string want = error_of([&] { ref::quantize(x.data(), 3, scale, q.data()); });
    ASSERT_NE(want, "");
    EXPECT_EQ(error_of([&] { cpu::quantize(x.data(), 3, scale, q.data(), run()); }), want);
    expect_ran_on_path();
    const std::string want_de = error_of([&] { ref::dequantize(q.data(), 3, scale, y.data()); });
    EXPECT_EQ(error_of([&] { cpu::dequantize(q.data(), 3, scale, y.data(), run()); }), want_de);
  }
  EXPECT_EQ(q, std::vector<std::int8_t>(3, 9));
  EXPECT_EQ(y, std::vector<float>(3, 4.0f));
  for (const int bits : {0, 4, 32}) {
    EXPECT_EQ(error_of([&] { cpu::quantize_scale(x.data(), 3, bits, run()); }),
              error_of([&] { ref::quantize_scale(x.data(), 3, bits); }));
    expect_ran_on_path();
    EXPECT_EQ(error_of([&] { cpu::quantized_relu(x.data(), y.data(), 3, bits, run()); }),
              error_of([&] { ref::quantized_relu(x.data(), y.data(), 3, bits); }));
  }
  EXPECT_EQ(y, std::vector<float>(3, 4.0f));
}

TANDEM_INSTANTIATE_PER_ISA(CpuQuantize);

}  // namespace
