// CUDA quantization bit for bit against the reference: the scale, int8 and int16
// quantize and dequantize, and the fused quantized relu, on sizes around the 4-element
// vector width and a large one, aligned and misaligned, in place; ties, saturation;
// and the errors (the reference's type and message, and nothing written).
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <tandem/cpu/random.h>
#include <tandem/cpu/reference.h>
#include <tandem/cuda/kernels.h>
#include <tandem/cuda/memory.h>
#include <tandem/cuda/runtime.h>
#include <tandem/error.h>

#include "cuda_test_util.h"

namespace cuda = tandem::cuda;
namespace ref = tandem::cpu::reference;

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

const std::vector<std::int64_t> kSizes = {0, 1, 3, 4, 5, 1023, 1024, 1025, 1'000'003};

// upload, then a synchronous one-element download: the upload is a cudaMemcpy on the
// legacy default stream, which the kernels' non-blocking streams do not wait for, and
// from pageable memory it may return before its DMA lands; the download, on the same
// legacy stream, returns only after it has.
template <typename T>
cuda::DeviceBuffer upload_now(const std::vector<T>& host) {
  cuda::DeviceBuffer buffer = tandem::testing::upload(host);
  if (!host.empty()) {
    T first{};
    cuda::copy_device_to_host(0, &first, buffer.get(), sizeof(T));
  }
  return buffer;
}

// The whole buffer, after the stream's work is done.
template <typename T>
std::vector<T> download_after(const cuda::Stream& stream, const cuda::DeviceBuffer& buffer,
                              std::size_t count) {
  stream.synchronize();
  return tandem::testing::download<T>(buffer, count);
}

// N(0, spread^2) samples with exact ties ((k + 0.5) * step) or zeros and -0 at every
// 5th element, as the CPU quantization tests use.
std::vector<float> data(std::int64_t n, std::uint64_t seed, float spread = 1.0f,
                        float step = 0.0f) {
  std::vector<float> v(static_cast<std::size_t>(n));
  tandem::cpu::fill_normal(v.data(), n, seed, 0.0f, spread);
  for (std::int64_t i = 0; i < n; i += 5) {
    const auto k = static_cast<float>(i % 301) - 150.0f;
    v[i] = step > 0.0f ? (k + 0.5f) * step : (i % 2 == 0 ? -0.0f : 0.0f);
  }
  return v;
}

template <typename T>
std::int64_t first_difference(const std::vector<T>& a, const std::vector<T>& b) {
  if (a.size() != b.size()) return 0;
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

// quantize_scale (unless given_scale > 0), quantize and dequantize of x[offset:+n] with
// the outputs at the same offset in buffers of n + offset + 2 (so every output has
// neighbours to stay untouched), against the reference bit for bit.
template <typename Q>
void check(const std::vector<float>& xs, std::int64_t n, std::int64_t offset,
           const cuda::Stream& stream, float given_scale = 0.0f) {
  constexpr int kBits = sizeof(Q) * 8;
  const std::string what = "bits=" + std::to_string(kBits) + " n=" + std::to_string(n) +
                           " offset=" + std::to_string(offset);
  const std::size_t size = static_cast<std::size_t>(n + offset + 2);
  const float* x = xs.data() + offset;
  const cuda::DeviceBuffer dx = upload_now(xs);
  const float* gx = dx.as<float>() + offset;

  float scale = given_scale;
  if (given_scale <= 0.0f) {
    scale = cuda::quantize_scale(gx, n, kBits, stream);
    ASSERT_EQ(scale, ref::quantize_scale(x, n, kBits)) << what;
  }

  std::vector<Q> q_ref(size, Q{77});
  const cuda::DeviceBuffer dq = upload_now(q_ref);
  cuda::quantize(gx, n, scale, dq.as<Q>() + offset, stream);
  ref::quantize(x, n, scale, q_ref.data() + offset);
  const std::vector<Q> q = download_after<Q>(stream, dq, size);
  EXPECT_EQ(first_difference(q, q_ref), -1) << what << ": quantize";

  std::vector<float> back_ref(size, -5.0f);
  const cuda::DeviceBuffer dq_ref = upload_now(q_ref);
  const cuda::DeviceBuffer dback = upload_now(back_ref);
  cuda::dequantize(dq_ref.as<Q>() + offset, n, scale, dback.as<float>() + offset, stream);
  ref::dequantize(q_ref.data() + offset, n, scale, back_ref.data() + offset);
  EXPECT_EQ(first_difference(download_after<float>(stream, dback, size), back_ref), -1)
      << what << ": dequantize";
}

// quantized_relu out of place (input and output at `offset`) and in place.
void check_relu(const std::vector<float>& xs, std::int64_t n, std::int64_t offset, int bits,
                const cuda::Stream& stream) {
  const std::string what = "relu bits=" + std::to_string(bits) + " n=" + std::to_string(n) +
                           " offset=" + std::to_string(offset);
  const std::size_t size = static_cast<std::size_t>(n + offset + 2);
  const cuda::DeviceBuffer dx = upload_now(xs);
  std::vector<float> y_ref(size, -5.0f);
  const cuda::DeviceBuffer dy = upload_now(y_ref);
  cuda::quantized_relu(dx.as<float>() + offset, dy.as<float>() + offset, n, bits, stream);
  ref::quantized_relu(xs.data() + offset, y_ref.data() + offset, n, bits);
  EXPECT_EQ(first_difference(download_after<float>(stream, dy, size), y_ref), -1) << what;

  cuda::quantized_relu(dx.as<float>() + offset, dx.as<float>() + offset, n, bits, stream);
  std::vector<float> in_place_ref = xs;
  ref::quantized_relu(in_place_ref.data() + offset, in_place_ref.data() + offset, n, bits);
  EXPECT_EQ(first_difference(download_after<float>(stream, dx, xs.size()), in_place_ref), -1)
      << what << " in place";
}

TEST(CudaQuantize, WithoutAGpuThereIsNoStreamToLaunchOn) {
  if (cuda::device_count() > 0) GTEST_SKIP() << "a GPU is present";
  EXPECT_THROW(cuda::Stream(0), tandem::DeviceError);
}

TEST(CudaQuantizeGpu, SizesAroundTheVectorWidthAndMisaligned) {
  TANDEM_REQUIRE_GPU();
  const cuda::Stream stream(0);
  for (const std::int64_t n : kSizes) {
    const auto xs = data(n + 3, 31, 3.0f);  // room for the offsets and two neighbours
    for (const std::int64_t offset : {0, 1}) {
      check<std::int8_t>(xs, n, offset, stream);
      check<std::int16_t>(xs, n, offset, stream);
      check_relu(xs, n, offset, 8, stream);
      check_relu(xs, n, offset, 16, stream);
    }
  }
}

// max(q, 0) on quantized values (quantized_relu on a QuantizedTensor): every int8 value
// and a sweep of int16 ones, at sizes around the vector width, misaligned and in place,
// bit for bit against the reference.
TEST(CudaQuantizeGpu, ReluOnQuantizedValuesMatchesTheReference) {
  TANDEM_REQUIRE_GPU();
  const cuda::Stream stream(0);
  const auto check = [&]<typename Q>(const std::vector<Q>& q) {
    const auto n = static_cast<std::int64_t>(q.size());
    std::vector<Q> want(q.size());
    for (const std::int64_t offset : {std::int64_t{0}, std::int64_t{1}}) {
      if (offset > n) continue;
      const std::int64_t count = n - offset;
      const cuda::DeviceBuffer dq = upload_now(q);
      const cuda::DeviceBuffer dy = upload_now(std::vector<Q>(q.size(), Q{99}));
      if constexpr (sizeof(Q) == 1) {
        cuda::relu_s8(dq.as<Q>() + offset, dy.as<Q>() + offset, count, stream);
        ref::relu_s8(q.data() + offset, want.data() + offset, count);
      } else {
        cuda::relu_s16(dq.as<Q>() + offset, dy.as<Q>() + offset, count, stream);
        ref::relu_s16(q.data() + offset, want.data() + offset, count);
      }
      if (offset > 0) want[0] = Q{99};
      EXPECT_EQ(download_after<Q>(stream, dy, q.size()), want)
          << "n = " << n << " offset " << offset;
      if constexpr (sizeof(Q) == 1) {  // in place
        cuda::relu_s8(dq.as<Q>(), dq.as<Q>(), n, stream);
      } else {
        cuda::relu_s16(dq.as<Q>(), dq.as<Q>(), n, stream);
      }
      std::vector<Q> all(q.size());
      if constexpr (sizeof(Q) == 1) {
        ref::relu_s8(q.data(), all.data(), n);
      } else {
        ref::relu_s16(q.data(), all.data(), n);
      }
      EXPECT_EQ(download_after<Q>(stream, dq, q.size()), all) << "in place, n = " << n;
    }
  };
  for (const std::int64_t n : {0, 1, 3, 4, 5, 1023, 1025, 4099}) {
    std::vector<std::int8_t> q8(static_cast<std::size_t>(n));
    std::vector<std::int16_t> q16(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) {
      q8[static_cast<std::size_t>(i)] = static_cast<std::int8_t>(i % 256 - 128);
      q16[static_cast<std::size_t>(i)] = static_cast<std::int16_t>((i * 37) % 65536 - 32768);
    }
    check(q8);
    check(q16);
  }
}

TEST(CudaQuantizeGpu, TiesRoundHalfToEven) {
  TANDEM_REQUIRE_GPU();
  const cuda::Stream stream(0);
  // x = (k + 0.5) * step with scale == step: every such element is an exact tie.
  const auto xs = data(1027, 32, 40.0f, 0.25f);
  check<std::int8_t>(xs, 1025, 0, stream, 0.25f);
  check<std::int16_t>(xs, 1025, 1, stream, 0.25f);
  const std::vector<float> ties = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 126.5f, -127.5f, 3.5f};
  const cuda::DeviceBuffer dx = upload_now(ties);
  const cuda::DeviceBuffer dq = upload_now(std::vector<std::int8_t>(ties.size(), 0));
  cuda::quantize(dx.as<float>(), static_cast<std::int64_t>(ties.size()), 1.0f, dq.as<std::int8_t>(),
                 stream);
  EXPECT_EQ(download_after<std::int8_t>(stream, dq, ties.size()),
            (std::vector<std::int8_t>{0, 2, 2, 0, -2, -2, 126, -128, 4}));
}

TEST(CudaQuantizeGpu, SaturatesToTheTypeRange) {
  TANDEM_REQUIRE_GPU();
  const cuda::Stream stream(0);
  // A scale far too small: x / scale is out of range, or even overflows to +-Inf.
  const auto xs = data(1027, 33, 1e30f);
  for (const float scale : {1e-3f, FLT_MIN, 1e-30f}) {
    check<std::int8_t>(xs, 1025, 1, stream, scale);
    check<std::int16_t>(xs, 1025, 0, stream, scale);
  }
  const std::vector<float> big = {1e6f,     -1e6f,     128.0f,  -129.0f,
                                  32767.6f, -32768.6f, FLT_MAX, -FLT_MAX};
  const cuda::DeviceBuffer dx = upload_now(big);
  const cuda::DeviceBuffer dq = upload_now(std::vector<std::int16_t>(big.size(), 0));
  cuda::quantize(dx.as<float>(), static_cast<std::int64_t>(big.size()), 1.0f, dq.as<std::int16_t>(),
                 stream);
  EXPECT_EQ(download_after<std::int16_t>(stream, dq, big.size()),
            (std::vector<std::int16_t>{32767, -32768, 128, -129, 32767, -32768, 32767, -32768}));
}

TEST(CudaQuantizeGpu, ScaleOfZerosTinyValuesAndEmptyInput) {
  TANDEM_REQUIRE_GPU();
  const cuda::Stream stream(0);
  const cuda::DeviceBuffer zeros = upload_now(std::vector<float>(37, -0.0f));
  EXPECT_EQ(cuda::quantize_scale(zeros.as<float>(), 37, 8, stream), 1.0f);
  EXPECT_EQ(cuda::quantize_scale(nullptr, 0, 16, stream), 1.0f);
  // max|x| / 127 below the smallest normal float: clamped to it, as the reference does.
  std::vector<float> tiny(37, 0.0f);
  tiny[20] = -1e-40f;
  const cuda::DeviceBuffer dtiny = upload_now(tiny);
  EXPECT_EQ(cuda::quantize_scale(dtiny.as<float>(), 37, 8, stream), FLT_MIN);
  // The max is found wherever it is, tail included.
  for (const std::int64_t at : {0, 5, 33, 1024, 1026}) {
    std::vector<float> x(1027, 1.0f);
    x[at] = -254.0f;
    const cuda::DeviceBuffer dx = upload_now(x);
    EXPECT_EQ(cuda::quantize_scale(dx.as<float>(), 1027, 8, stream), 2.0f) << at;
  }
}

TEST(CudaQuantizeGpu, DequantizesEveryInt8AndInt16Value) {
  TANDEM_REQUIRE_GPU();
  const cuda::Stream stream(0);
  std::vector<std::int8_t> q8;
  for (int v = -128; v <= 127; ++v) q8.push_back(static_cast<std::int8_t>(v));
  std::vector<std::int16_t> q16;
  for (int v = -32768; v <= 32767; ++v) q16.push_back(static_cast<std::int16_t>(v));
  const cuda::DeviceBuffer d8 = upload_now(q8);
  const cuda::DeviceBuffer d16 = upload_now(q16);
  for (const float scale : {1.0f, 0.0123f, 3.7e-3f, 1e30f, std::numeric_limits<float>::min()}) {
    std::vector<float> want(q8.size());
    const cuda::DeviceBuffer got8 = upload_now(want);
    cuda::dequantize(d8.as<std::int8_t>(), static_cast<std::int64_t>(q8.size()), scale,
                     got8.as<float>(), stream);
    ref::dequantize(q8.data(), static_cast<std::int64_t>(q8.size()), scale, want.data());
    EXPECT_EQ(first_difference(download_after<float>(stream, got8, q8.size()), want), -1) << scale;
    want.assign(q16.size(), 0.0f);
    const cuda::DeviceBuffer got16 = upload_now(want);
    cuda::dequantize(d16.as<std::int16_t>(), static_cast<std::int64_t>(q16.size()), scale,
                     got16.as<float>(), stream);
    ref::dequantize(q16.data(), static_cast<std::int64_t>(q16.size()), scale, want.data());
    EXPECT_EQ(first_difference(download_after<float>(stream, got16, q16.size()), want), -1)
        << scale;
  }
}

TEST(CudaQuantizeGpu, NaNOrInfIsAnErrorWithTheReferenceMessageAndNothingIsWritten) {
  TANDEM_REQUIRE_GPU();
  const cuda::Stream stream(0);
  for (const std::int64_t n : {std::int64_t{7}, std::int64_t{1025}, std::int64_t{1'000'003}}) {
    for (const float bad : {kNaN, kInf, -kInf}) {
      // A bad value late in the input and a second one after it: the first is the one
      // reported.
      std::vector<float> x = data(n, 35);
      x[n - 2] = bad;
      x[n - 1] = kNaN;
      const std::string what = "n=" + std::to_string(n) + " bad=" + std::to_string(bad);
      const cuda::DeviceBuffer dx = upload_now(x);
      const float* gx = dx.as<float>();

      const std::string want_scale = error_of([&] { ref::quantize_scale(x.data(), n, 8); });
      ASSERT_NE(want_scale, "");
      EXPECT_EQ(error_of([&] { cuda::quantize_scale(gx, n, 8, stream); }), want_scale) << what;

      std::vector<std::int8_t> q8_ref(n, 9);
      const std::string want_q = error_of([&] { ref::quantize(x.data(), n, 0.5f, q8_ref.data()); });
      ASSERT_NE(want_q, "");
      const cuda::DeviceBuffer q8 = upload_now(std::vector<std::int8_t>(n, 9));
      EXPECT_EQ(error_of([&] { cuda::quantize(gx, n, 0.5f, q8.as<std::int8_t>(), stream); }),
                want_q)
          << what;
      EXPECT_EQ(download_after<std::int8_t>(stream, q8, n), std::vector<std::int8_t>(n, 9)) << what;
      const cuda::DeviceBuffer q16 = upload_now(std::vector<std::int16_t>(n, 9));
      EXPECT_EQ(error_of([&] { cuda::quantize(gx, n, 0.5f, q16.as<std::int16_t>(), stream); }),
                want_q)
          << what;
      EXPECT_EQ(download_after<std::int16_t>(stream, q16, n), std::vector<std::int16_t>(n, 9))
          << what;

      std::vector<float> y_ref(n, 4.0f);
      const std::string want_relu =
          error_of([&] { ref::quantized_relu(x.data(), y_ref.data(), n, 16); });
      ASSERT_EQ(want_relu.rfind("quantized_relu:", 0), 0u) << want_relu;
      const cuda::DeviceBuffer y = upload_now(std::vector<float>(n, 4.0f));
      EXPECT_EQ(error_of([&] { cuda::quantized_relu(gx, y.as<float>(), n, 16, stream); }),
                want_relu)
          << what;
      EXPECT_EQ(download_after<float>(stream, y, n), std::vector<float>(n, 4.0f)) << what;
    }
  }
}

TEST(CudaQuantizeGpu, BadScaleOrWidthIsAnError) {
  TANDEM_REQUIRE_GPU();
  const cuda::Stream stream(0);
  const std::vector<float> x = {1.0f, -2.0f, 3.0f};
  std::vector<std::int8_t> q(3, 9);
  std::vector<float> y(3, 4.0f);
  const cuda::DeviceBuffer dx = upload_now(x);
  const cuda::DeviceBuffer dq = upload_now(q);
  const cuda::DeviceBuffer dy = upload_now(y);
  for (const float scale : {0.0f, -1.0f, kNaN, kInf}) {
    const std::string want = error_of([&] { ref::quantize(x.data(), 3, scale, q.data()); });
    ASSERT_EQ(want.rfind("quantize:", 0), 0u) << want;
    EXPECT_EQ(
        error_of([&] { cuda::quantize(dx.as<float>(), 3, scale, dq.as<std::int8_t>(), stream); }),
        want);
    const std::string want_de = error_of([&] { ref::dequantize(q.data(), 3, scale, y.data()); });
    ASSERT_NE(want_de, "");
    EXPECT_EQ(
        error_of([&] { cuda::dequantize(dq.as<std::int8_t>(), 3, scale, dy.as<float>(), stream); }),
        want_de);
  }
  for (const int bits : {0, 4, 32}) {
    const std::string want = error_of([&] { ref::quantize_scale(x.data(), 3, bits); });
    ASSERT_NE(want, "");
    EXPECT_EQ(error_of([&] { cuda::quantize_scale(dx.as<float>(), 3, bits, stream); }), want);
    const std::string want_relu =
        error_of([&] { ref::quantized_relu(x.data(), y.data(), 3, bits); });
    ASSERT_NE(want_relu, "");
    EXPECT_EQ(
        error_of([&] { cuda::quantized_relu(dx.as<float>(), dy.as<float>(), 3, bits, stream); }),
        want_relu);
  }
  EXPECT_EQ(download_after<std::int8_t>(stream, dq, 3), std::vector<std::int8_t>(3, 9));
  EXPECT_EQ(download_after<float>(stream, dy, 3), std::vector<float>(3, 4.0f));
}

}  // namespace
