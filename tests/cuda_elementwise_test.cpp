// The CUDA element-wise kernels and reductions against the reference kernels.
//
// Element-wise: bit for bit (any NaN matches any NaN: x86 keeps a NaN operand's
// payload, the GPU returns the canonical NaN), on sizes around the float4 width and a
// large one, with aligned and misaligned (one float off: the scalar path) operands, in
// place, and with the output's neighbours checked untouched (4 KiB guards for relu);
// on grids small enough that the grid-stride loops iterate many times.
//
// Reductions, tolerance. Both sides sum the same double terms t_i (a float product is
// exact in double; a squared difference is rounded once, u = 2^-53 of it), the
// reference left to right and CUB in a tree. Any order of summing n terms is within
// (n - 1) u sum|t_i| of the exact sum, so
//   dot:       |gpu - ref| <= 2 (n + 1) u sum|x_i y_i|                   =: tol(n, .)
//   distance:  with S = sum (x_i - y_i)^2, |S_gpu - S_ref| <= tol(n, S), so
//              |dist_gpu - dist_ref| <= tol(n, S) / dist_ref + 2 u dist_ref (the sqrts)
//   cosine:    |gpu - ref| <= tol(n, sum|x_i y_i|) / (|x| |y|) + |cos| (2 (n + 1) u + 8 u)
//              (the norms' sums each within 2 (n + 1) u relative; a few roundings more)
// At n = 10^6 that is ~2e-10 of sum|x_i y_i|, a worst case; random data errs far less.
// With small integers every sum is exact and the results must be identical.
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
constexpr float kSentinel = -7.25f;
constexpr double kU = 0x1p-53;

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
std::vector<float> download_after(const cuda::Stream& stream, const cuda::DeviceBuffer& buffer,
                                  std::size_t count) {
  stream.synchronize();
  return tandem::testing::download<float>(buffer, count);
}

// N(0, 3^2) samples with special values mixed in at every 7th element, starting at
// `phase` (so that two inputs do not line up their specials).
std::vector<float> values(std::int64_t n, std::uint64_t seed, std::int64_t phase = 0) {
  std::vector<float> v(static_cast<std::size_t>(n));
  tandem::cpu::fill_normal(v.data(), n, seed, 0.0f, 3.0f);
  const float specials[] = {-0.0f,   0.0f,    kNaN,     kInf,    -kInf, 1e-40f,
                            -1e-40f, FLT_MAX, -FLT_MAX, FLT_MIN, 0.5f,  -0.5f};
  constexpr std::int64_t kCount = sizeof(specials) / sizeof(specials[0]);
  for (std::int64_t i = phase; i < n; i += 7) v[i] = specials[(i / 7) % kCount];
  return v;
}

std::uint32_t bits_of(float f) {
  std::uint32_t b = 0;
  std::memcpy(&b, &f, sizeof(b));
  return b;
}

// Bit for bit, except that any NaN matches any NaN.
::testing::AssertionResult same_floats(const std::vector<float>& got,
                                       const std::vector<float>& want) {
  if (got.size() != want.size()) {
    return ::testing::AssertionFailure() << "sizes " << got.size() << " vs " << want.size();
  }
  for (std::size_t i = 0; i < got.size(); ++i) {
    const bool both_nan = std::isnan(got[i]) && std::isnan(want[i]);
    if (!both_nan && bits_of(got[i]) != bits_of(want[i])) {
      return ::testing::AssertionFailure()
             << "first difference at " << i << ": got " << got[i] << " (0x" << std::hex
             << bits_of(got[i]) << "), want " << want[i] << " (0x" << bits_of(want[i]) << ")"
             << std::dec;
    }
  }
  return ::testing::AssertionSuccess();
}

using UnaryGpu = void (*)(const float*, float*, std::int64_t, const cuda::Stream&);
using UnaryRef = void (*)(const float*, float*, std::int64_t);
using BinaryGpu = void (*)(const float*, const float*, float*, std::int64_t, const cuda::Stream&);
using BinaryRef = void (*)(const float*, const float*, float*, std::int64_t);

void copy_ref(const float* x, float* y, std::int64_t n) {
  if (n > 0) std::memmove(y, x, static_cast<std::size_t>(n) * sizeof(float));
}

struct UnaryCase {
  const char* name;
  UnaryGpu gpu;
  UnaryRef ref;
};
struct BinaryCase {
  const char* name;
  BinaryGpu gpu;
  BinaryRef ref;
};

const UnaryCase kUnary[] = {{"relu", cuda::relu, ref::relu}, {"copy", cuda::copy, copy_ref}};
const BinaryCase kBinary[] = {
    {"add", cuda::add, ref::add},
    {"multiply", cuda::multiply, ref::multiply},
    {"squared_difference", cuda::squared_difference, ref::squared_difference}};

// op on x[ox:ox+n] into y[oy:oy+n] (buffers of n + 2, so either offset fits and the
// last element has a neighbour), against the reference; and in place when ox == oy.
void check_unary(const UnaryCase& op, std::int64_t n, std::int64_t ox, std::int64_t oy,
                 const cuda::Stream& stream) {
  const std::string what = std::string(op.name) + " n=" + std::to_string(n) + " x+" +
                           std::to_string(ox) + " y+" + std::to_string(oy);
  const std::size_t size = static_cast<std::size_t>(n + 2);
  const std::vector<float> hx = values(n + 2, 11);
  const std::vector<float> hy(size, kSentinel);
  const cuda::DeviceBuffer dx = upload_now(hx);
  const cuda::DeviceBuffer dy = upload_now(hy);
  op.gpu(dx.as<float>() + ox, dy.as<float>() + oy, n, stream);
  std::vector<float> want = hy;
  op.ref(hx.data() + ox, want.data() + oy, n);
  EXPECT_TRUE(same_floats(download_after(stream, dy, size), want)) << what;

  if (ox != oy) return;
  const cuda::DeviceBuffer in_place = upload_now(hx);
  op.gpu(in_place.as<float>() + ox, in_place.as<float>() + ox, n, stream);
  std::vector<float> want_in_place = hx;
  op.ref(want_in_place.data() + ox, want_in_place.data() + ox, n);
  EXPECT_TRUE(same_floats(download_after(stream, in_place, size), want_in_place))
      << what << " in place";
}

// op on x[ox:], y[ox:] into out[oo:]; and in place (out == x) when ox == oo.
void check_binary(const BinaryCase& op, std::int64_t n, std::int64_t ox, std::int64_t oo,
                  const cuda::Stream& stream) {
  const std::string what = std::string(op.name) + " n=" + std::to_string(n) + " x,y+" +
                           std::to_string(ox) + " out+" + std::to_string(oo);
  const std::size_t size = static_cast<std::size_t>(n + 2);
  const std::vector<float> hx = values(n + 2, 12);
  const std::vector<float> hy = values(n + 2, 13, 3);
  const std::vector<float> hout(size, kSentinel);
  const cuda::DeviceBuffer dx = upload_now(hx);
  const cuda::DeviceBuffer dy = upload_now(hy);
  const cuda::DeviceBuffer dout = upload_now(hout);
  op.gpu(dx.as<float>() + ox, dy.as<float>() + ox, dout.as<float>() + oo, n, stream);
  std::vector<float> want = hout;
  op.ref(hx.data() + ox, hy.data() + ox, want.data() + oo, n);
  EXPECT_TRUE(same_floats(download_after(stream, dout, size), want)) << what;

  if (ox != oo) return;
  const cuda::DeviceBuffer in_place = upload_now(hx);
  op.gpu(in_place.as<float>() + ox, dy.as<float>() + ox, in_place.as<float>() + ox, n, stream);
  std::vector<float> want_in_place = hx;
  op.ref(want_in_place.data() + ox, hy.data() + ox, want_in_place.data() + ox, n);
  EXPECT_TRUE(same_floats(download_after(stream, in_place, size), want_in_place))
      << what << " in place";
}

TEST(CudaElementwise, WithoutAGpuThereIsNoStreamToLaunchOn) {
  if (cuda::device_count() > 0) GTEST_SKIP() << "a GPU is present";
  EXPECT_THROW(cuda::Stream(0), tandem::DeviceError);
}

TEST(CudaElementwiseGpu, UnaryMatchesTheReferenceBitForBit) {
  TANDEM_REQUIRE_GPU();
  const cuda::Stream stream(0);
  for (const UnaryCase& op : kUnary) {
    for (const std::int64_t n : kSizes) {
      for (const std::int64_t ox : {0, 1}) {
        for (const std::int64_t oy : {0, 1}) check_unary(op, n, ox, oy, stream);
      }
    }
  }
}

TEST(CudaElementwiseGpu, BinaryMatchesTheReferenceBitForBit) {
  TANDEM_REQUIRE_GPU();
  const cuda::Stream stream(0);
  for (const BinaryCase& op : kBinary) {
    for (const std::int64_t n : kSizes) {
      for (const std::int64_t ox : {0, 1}) {
        for (const std::int64_t oo : {0, 1}) check_binary(op, n, ox, oo, stream);
      }
    }
  }
}

TEST(CudaElementwiseGpu, ReluPropagatesNaNAndMapsNegativeZeroToPositiveZero) {
  TANDEM_REQUIRE_GPU();
  const cuda::Stream stream(0);
  // 12 elements: three float4s aligned; eleven scalars from offset 1.
  const std::vector<float> hx = {-0.0f,  0.0f,    kNaN,  -kNaN, kInf,    -kInf,
                                 1e-40f, -1e-40f, -1.0f, 2.5f,  FLT_MIN, -FLT_MAX};
  for (const std::int64_t offset : {0, 1}) {
    const std::int64_t n = static_cast<std::int64_t>(hx.size()) - offset;
    const cuda::DeviceBuffer dx = upload_now(hx);
    const cuda::DeviceBuffer dy = upload_now(std::vector<float>(hx.size(), kSentinel));
    cuda::relu(dx.as<float>() + offset, dy.as<float>() + offset, n, stream);
    const std::vector<float> y = download_after(stream, dy, hx.size());
    std::vector<float> want(hx.size(), kSentinel);
    ref::relu(hx.data() + offset, want.data() + offset, n);
    EXPECT_TRUE(same_floats(y, want)) << "offset " << offset;
    for (std::size_t i = static_cast<std::size_t>(offset); i < hx.size(); ++i) {
      if (std::isnan(hx[i])) {
        EXPECT_TRUE(std::isnan(y[i])) << i;
      } else if (!(hx[i] > 0.0f)) {
        EXPECT_EQ(bits_of(y[i]), 0u) << i << ": relu(" << hx[i] << ") must be +0";
      } else {
        EXPECT_EQ(bits_of(y[i]), bits_of(hx[i])) << i;
      }
    }
  }
}

// An op on n elements, through `run`, into a guarded output; inputs and output
// `misalign` floats past aligned addresses (1: the scalar path). Bit for bit against
// `ref`, and the guards around the output intact.
template <typename Run, typename Ref>
void check_guarded(const std::string& what, std::int64_t n, std::size_t misalign, Run run,
                   Ref ref) {
  const std::vector<float> hx = values(n + 1, 11);
  const std::vector<float> hy = values(n + 1, 12, 3);
  const cuda::DeviceBuffer dx = upload_now(hx);
  const cuda::DeviceBuffer dy = upload_now(hy);
  const tandem::testing::GuardedBuffer out(static_cast<std::size_t>(n) * sizeof(float),
                                           misalign * sizeof(float));
  const cuda::Stream stream(0);
  run(dx.as<float>() + misalign, dy.as<float>() + misalign, out.payload<float>(), n, stream);
  stream.synchronize();
  std::vector<float> want(static_cast<std::size_t>(n));
  ref(hx.data() + misalign, hy.data() + misalign, want.data(), n);
  const std::string where =
      what + " n=" + std::to_string(n) + " misalign=" + std::to_string(misalign);
  EXPECT_TRUE(same_floats(out.download<float>(), want)) << where;
  EXPECT_TRUE(out.guards_intact()) << where;
}

void relu_gpu(const float* x, const float*, float* y, std::int64_t n, const cuda::Stream& s) {
  cuda::relu(x, y, n, s);
}
void relu_ref(const float* x, const float*, float* y, std::int64_t n) { ref::relu(x, y, n); }

// Small grids: every thread's grid-stride loop iterates many times (up to n / 4 / threads
// float4s, or n / threads floats misaligned), and n % 4 == 3 leaves a tail. n stays
// moderate: compute-sanitizer runs these too.
const cuda::LaunchConfig kSmallGrids[] = {{32, 1}, {256, 2}, {96, 3}, {1024, 1}};
const std::int64_t kSmallGridSizes[] = {4099, 65'539};

std::string launch_name(const cuda::LaunchConfig& config) {
  return std::to_string(config.blocks) + " x " + std::to_string(config.threads_per_block);
}

TEST(CudaElementwiseGpu, ReluLeavesTheGuardsAroundItsOutputIntact) {
  TANDEM_REQUIRE_GPU();
  for (const std::int64_t n : {1, 3, 5, 1023, 1025, 1'000'003}) {
    for (const std::size_t misalign : {std::size_t{0}, std::size_t{1}}) {
      check_guarded("relu", n, misalign, relu_gpu, relu_ref);
    }
  }
}

TEST(CudaElementwiseGpu, ReluGridStrideLoopIteratesOnASmallGrid) {
  TANDEM_REQUIRE_GPU();
  for (const cuda::LaunchConfig& config : kSmallGrids) {
    const auto run = [&config](const float* x, const float*, float* y, std::int64_t n,
                               const cuda::Stream& s) { cuda::relu(x, y, n, s, config); };
    for (const std::int64_t n : kSmallGridSizes) {
      for (const std::size_t misalign : {std::size_t{0}, std::size_t{1}}) {
        check_guarded("relu on " + launch_name(config), n, misalign, run, relu_ref);
      }
    }
  }
}

TEST(CudaElementwiseGpu, AddGridStrideLoopIteratesOnASmallGrid) {
  TANDEM_REQUIRE_GPU();
  for (const cuda::LaunchConfig& config : kSmallGrids) {
    const auto run = [&config](const float* x, const float* y, float* out, std::int64_t n,
                               const cuda::Stream& s) { cuda::add(x, y, out, n, s, config); };
    for (const std::int64_t n : kSmallGridSizes) {
      for (const std::size_t misalign : {std::size_t{0}, std::size_t{1}}) {
        check_guarded("add on " + launch_name(config), n, misalign, run, ref::add);
      }
    }
  }
}

TEST(CudaElementwiseGpu, AddRefusesABadLaunchConfig) {
  TANDEM_REQUIRE_GPU();
  const cuda::Stream stream(0);
  const cuda::DeviceBuffer buf = upload_now(std::vector<float>(8, 1.0f));
  const float* x = buf.as<float>();
  for (const cuda::LaunchConfig config :
       {cuda::LaunchConfig{33, 1}, cuda::LaunchConfig{2048, 1}, cuda::LaunchConfig{256, -1}}) {
    EXPECT_THROW(cuda::add(x, x, buf.as<float>(), 8, stream, config), tandem::ArgumentError)
        << launch_name(config);
  }
}

// ---- Reductions ------------------------------------------------------------------------

double sum_tolerance(std::int64_t n, double abs_sum) {
  return 2.0 * static_cast<double>(n + 1) * kU * abs_sum;
}

void check_reductions(const std::vector<float>& hx, const std::vector<float>& hy, std::int64_t n,
                      std::int64_t offset, const cuda::Stream& stream) {
  const std::string what = "n=" + std::to_string(n) + " offset=" + std::to_string(offset);
  const cuda::DeviceBuffer dx = upload_now(hx);
  const cuda::DeviceBuffer dy = upload_now(hy);
  const float* gx = dx.as<float>() + offset;
  const float* gy = dy.as<float>() + offset;
  const float* x = hx.data() + offset;
  const float* y = hy.data() + offset;
  double abs_dot = 0.0;
  for (std::int64_t i = 0; i < n; ++i) abs_dot += std::fabs(double{x[i]} * double{y[i]});

  const double dot = ref::dot(x, y, n);
  EXPECT_LE(std::fabs(cuda::dot(gx, gy, n, stream) - dot), sum_tolerance(n, abs_dot)) << what;

  const double dist = ref::euclidean_distance(x, y, n);
  const double gpu_dist = cuda::euclidean_distance(gx, gy, n, stream);
  if (dist == 0.0) {
    EXPECT_EQ(gpu_dist, 0.0) << what;
  } else {
    EXPECT_LE(std::fabs(gpu_dist - dist), sum_tolerance(n, dist * dist) / dist + 2 * kU * dist)
        << what;
  }

  const double cos = ref::cosine_similarity(x, y, n);
  const double norms = std::sqrt(ref::dot(x, x, n)) * std::sqrt(ref::dot(y, y, n));
  const double cos_tol = (norms > 0.0 ? sum_tolerance(n, abs_dot) / norms : 0.0) +
                         std::fabs(cos) * (2.0 * static_cast<double>(n + 1) * kU + 8.0 * kU);
  EXPECT_LE(std::fabs(cuda::cosine_similarity(gx, gy, n, stream) - cos), cos_tol) << what;
}

TEST(CudaReduceGpu, MatchTheDoubleReferenceWithinTheSummationBound) {
  TANDEM_REQUIRE_GPU();
  const cuda::Stream stream(0);
  for (const std::int64_t n : kSizes) {
    std::vector<float> hx(static_cast<std::size_t>(n + 1));
    std::vector<float> hy(hx.size());
    tandem::cpu::fill_normal(hx.data(), n + 1, 21);
    tandem::cpu::fill_normal(hy.data(), n + 1, 22, 0.5f, 2.0f);
    for (const std::int64_t offset : {0, 1}) check_reductions(hx, hy, n, offset, stream);
  }
}

TEST(CudaReduceGpu, ExactSumsAreIdentical) {
  TANDEM_REQUIRE_GPU();
  const cuda::Stream stream(0);
  // Integers in [-8, 8]: every term and partial sum (below 2^53) is exact in double.
  for (const std::int64_t n : {std::int64_t{5}, std::int64_t{1025}, std::int64_t{1'000'003}}) {
    std::vector<float> hx(static_cast<std::size_t>(n));
    std::vector<float> hy(hx.size());
    tandem::cpu::fill_uniform_int(hx.data(), n, 23, -8, 8);
    tandem::cpu::fill_uniform_int(hy.data(), n, 24, -8, 8);
    const cuda::DeviceBuffer dx = upload_now(hx);
    const cuda::DeviceBuffer dy = upload_now(hy);
    const float* gx = dx.as<float>();
    const float* gy = dy.as<float>();
    EXPECT_EQ(cuda::dot(gx, gy, n, stream), ref::dot(hx.data(), hy.data(), n)) << n;
    EXPECT_EQ(cuda::euclidean_distance(gx, gy, n, stream),
              ref::euclidean_distance(hx.data(), hy.data(), n))
        << n;
    EXPECT_EQ(cuda::cosine_similarity(gx, gy, n, stream),
              ref::cosine_similarity(hx.data(), hy.data(), n))
        << n;
  }
}

TEST(CudaReduceGpu, EmptyZeroAndIdenticalInputs) {
  TANDEM_REQUIRE_GPU();
  const cuda::Stream stream(0);
  EXPECT_EQ(cuda::dot(nullptr, nullptr, 0, stream), 0.0);
  EXPECT_EQ(cuda::euclidean_distance(nullptr, nullptr, 0, stream), 0.0);
  EXPECT_EQ(cuda::cosine_similarity(nullptr, nullptr, 0, stream), 0.0);

  std::vector<float> hx(1025);
  tandem::cpu::fill_normal(hx.data(), 1025, 25);
  const cuda::DeviceBuffer dx = upload_now(hx);
  const cuda::DeviceBuffer zeros = upload_now(std::vector<float>(1025, 0.0f));
  // A zero vector: cosine 0 (the eps), not NaN.
  EXPECT_EQ(cuda::cosine_similarity(dx.as<float>(), zeros.as<float>(), 1025, stream), 0.0);
  EXPECT_EQ(cuda::cosine_similarity(zeros.as<float>(), zeros.as<float>(), 1025, stream), 0.0);
  EXPECT_EQ(cuda::euclidean_distance(dx.as<float>(), dx.as<float>(), 1025, stream), 0.0);
  EXPECT_NEAR(cuda::cosine_similarity(dx.as<float>(), dx.as<float>(), 1025, stream), 1.0, 1e-15);
}

}  // namespace
