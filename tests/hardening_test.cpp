// The second hardening round (docs/hardening.md): classes of input that used to crash,
// hang or return garbage. Each test runs every implementation that can run here (CPU
// paths, the reference, and the GPU ones where there is a GPU) and checks the result
// against the reference, or the documented refusal.
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <tandem/cost_model.h>
#include <tandem/cpu/reference.h>
#include <tandem/cpu/threads_used.h>
#include <tandem/cuda/runtime.h>
#include <tandem/error.h>
#include <tandem/kernels.h>
#include <tandem/ops.h>

using tandem::DeviceKind;
using tandem::DType;
using tandem::Options;
using tandem::Shape;
using tandem::Tensor;
using tandem::Transpose;

namespace {

constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();

// Every implementation of `op` that can run here, GPU ones included when a GPU exists.
std::vector<std::string> runnable(const char* op) {
  std::vector<std::string> names;
  for (const auto& k : tandem::registered_kernels()) {
    if (k.op == op && k.available) names.push_back(k.implementation);
  }
  return names;
}

// Small integers, so that every GEMM result is exact.
Tensor ints(const Shape& shape, int seed) {
  std::vector<float> v(static_cast<std::size_t>(shape.numel()));
  for (std::size_t i = 0; i < v.size(); ++i) {
    v[i] =
        static_cast<float>(static_cast<int>((i * 7 + static_cast<std::size_t>(seed) * 13) % 9) - 4);
  }
  return Tensor::from(v, shape);
}

std::vector<float> reference_matmul(const Tensor& a, const Tensor& b) {
  const std::int64_t m = a.dim(0), k = a.dim(1), n = b.dim(1);
  std::vector<float> c(static_cast<std::size_t>(m * n));
  tandem::cpu::reference::matmul(a.data<float>(), b.data<float>(), c.data(), m, n, k);
  return c;
}

template <typename E, typename F>
void expect_refused(F&& call, const std::string& start) {
  try {
    call();
    ADD_FAILURE() << "no exception; expected a message starting " << start;
  } catch (const E& e) {
    EXPECT_EQ(std::string(e.what()).rfind(start, 0), 0u) << e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type: " << e.what();
  }
}

// ---- 1. Blocking: any value is bounded by the problem --------------------------------

TEST(Hardening, HugeBlockingIsBoundedByTheProblemOnEveryPath) {
  const Tensor a = ints({45, 67}, 1), b = ints({67, 67}, 2);  // the issue's 3015 elements
  const std::vector<float> expected = reference_matmul(a, b);
  const tandem::cpu::GemmBlocking blockings[] = {{kInt64Max, 0, 0},
                                                 {0, kInt64Max, 0},
                                                 {0, 0, kInt64Max},
                                                 {kInt64Max, kInt64Max, kInt64Max},
                                                 {kInt64Max - 7, kInt64Max - 1, kInt64Max - 15},
                                                 {1, 1, 1}};
  for (const std::string& impl : runnable("matmul")) {
    for (const auto& blocking : blockings) {
      SCOPED_TRACE(impl + " blocking {" + std::to_string(blocking.mc) + ", " +
                   std::to_string(blocking.kc) + ", " + std::to_string(blocking.nc) + "}");
      Options o = Options::using_implementation(impl);
      o.blocking = blocking;
      EXPECT_EQ(tandem::matmul(a, b, o).to_vector<float>(), expected);
    }
  }
}

TEST(Hardening, HugeBlockingIsBoundedInTheIntegerGemmToo) {
  const Tensor a = ints({33, 70}, 3), b = ints({70, 21}, 4);
  for (const std::string& impl : runnable("quantized_matmul")) {
    SCOPED_TRACE(impl);
    const Tensor expected =
        tandem::quantized_matmul(a, b, 8, Options::using_implementation("reference"));
    Options o = Options::using_implementation(impl);
    for (const tandem::cpu::GemmBlocking blocking :
         {tandem::cpu::GemmBlocking{kInt64Max, 0, 0}, tandem::cpu::GemmBlocking{0, kInt64Max, 0},
          tandem::cpu::GemmBlocking{0, 0, kInt64Max}}) {
      o.blocking = blocking;
      const std::vector<float> got = tandem::quantized_matmul(a, b, 8, o).to_vector<float>();
      const std::vector<float> want = expected.to_vector<float>();
      ASSERT_EQ(got.size(), want.size());
      for (std::size_t i = 0; i < got.size(); ++i) {
        ASSERT_NEAR(got[i], want[i], 1e-5f * std::fabs(want[i]) + 1e-6f) << "element " << i;
      }
    }
  }
}

// ---- 2. Threads and workers: capped, never a crash -----------------------------------

TEST(Hardening, ThreadCountsAreCapped) {
  const int cap = tandem::cpu::max_threads();
  EXPECT_GE(cap, 1);
  EXPECT_EQ(tandem::cpu::gemm_threads(1024, 1024, 1024, 100000),
            std::min(cap, tandem::cpu::gemm_threads(1024, 1024, 1024, cap)));
  EXPECT_LE(tandem::cpu::elementwise_threads(std::int64_t{1} << 40, 100000), cap);
  EXPECT_LE(tandem::cpu::reduction_threads(std::int64_t{1} << 40, 100000), cap);
  EXPECT_LE(tandem::cpu::quantize_threads(std::int64_t{1} << 40, 100000), cap);
  std::printf("max_threads() = %d here\n", cap);
}

TEST(Hardening, AHundredThousandThreadsRunTheMatmulOnEveryPath) {
  // 1024^3: 65536 threads by the size rule alone, 100000 requested (before the cap,
  // libgomp failed to create them and the process ended). Integer-valued operands give
  // exact sums, so each path's one-thread result is the reference's.
  const Tensor a = ints({1024, 1024}, 5), b = ints({1024, 1024}, 6);
  for (const std::string& impl : runnable("matmul")) {
    if (impl == "reference") continue;  // single-threaded
    SCOPED_TRACE(impl);
    Options one = Options::using_implementation(impl);
    one.threads = 1;
    const std::vector<float> expected = tandem::matmul(a, b, one).to_vector<float>();
    Options o = Options::using_implementation(impl);
    o.threads = 100000;
    EXPECT_EQ(tandem::matmul(a, b, o).to_vector<float>(), expected);
  }
  const Tensor x = tandem::Tensor::randn({1 << 23}, 3);  // 256 threads by the size rule
  Options o;
  o.threads = 100000;
  EXPECT_EQ(tandem::relu(x, o).to_vector<float>(),
            tandem::relu(x, Options::using_implementation("reference")).to_vector<float>());
}

TEST(Hardening, FortyThousandWorkersRunTheBatchOnEveryImplementation) {
  const Tensor x = ints({50000, 3}, 7);
  const tandem::RowFunction twice = [](const float* in, float* out, std::int64_t n) {
    for (std::int64_t i = 0; i < n; ++i) out[i] = 2.0f * in[i];
  };
  std::vector<float> expected = x.to_vector<float>();
  for (float& v : expected) v *= 2.0f;
  for (const std::string& impl : runnable("batch_apply")) {
    SCOPED_TRACE(impl);
    EXPECT_EQ(tandem::batch_apply(x, twice, 40000, Options::using_implementation(impl))
                  .to_vector<float>(),
              expected);
  }
}

// ---- 3. Sizes whose byte count overflows -----------------------------------------------

TEST(Hardening, TensorByteCountsThatOverflowAreRefused) {
  expect_refused<tandem::ShapeError>(
      [] { (void)Tensor::empty({(std::int64_t{1} << 62) - 1}, DType::f32); }, "tensor: [");
  expect_refused<tandem::ShapeError>([] { (void)Tensor::zeros({kInt64Max}, DType::i16); },
                                     "tensor: [");
  expect_refused<tandem::ShapeError>([] { (void)Tensor::empty({kInt64Max / 4 + 1}, DType::i32); },
                                     "tensor: [");
  // Representable, but no machine has it: the allocation fails as an error.
  expect_refused<tandem::DeviceError>(
      [] { (void)Tensor::empty({std::int64_t{1} << 60}, DType::f32); }, "tensor: cannot allocate");
}

TEST(Hardening, RawGemmSpansThatOverflowAreRefused) {
  std::vector<float> buffer(64, 1.0f), c(64, -7.0f);
  expect_refused<tandem::ShapeError>(
      [&] {
        tandem::gemm(Transpose::no, Transpose::no, kInt64Max / 2, 1, 1, 1.0f, buffer.data(), 4,
                     buffer.data(), 1, 0.0f, c.data(), 1);
      },
      "gemm: A (");
  EXPECT_EQ(c, std::vector<float>(64, -7.0f));
}

// ---- 5. Reductions: finite when the double result is ----------------------------------

TEST(Hardening, ReductionsDoNotOverflowInFloatOnEveryImplementation) {
  const Tensor big = Tensor::from(std::vector<float>{2e19f, 1.0f}, Shape{2});
  const Tensor a = Tensor::from(std::vector<float>{2e19f}, Shape{1});
  const Tensor minus_one = Tensor::from(std::vector<float>{-1.0f}, Shape{1});
  const Tensor huge = Tensor::from(std::vector<float>{3e38f}, Shape{1});
  const Tensor minus_huge = Tensor::from(std::vector<float>{-3e38f}, Shape{1});
  // Long enough to split across threads and blocks; every 1000th element huge.
  std::vector<float> long_values(300000, 0.5f);
  for (std::size_t i = 0; i < long_values.size(); i += 1000) long_values[i] = 3e19f;
  const Tensor long_x = Tensor::from(long_values, Shape{300000});
  double long_dot = 0.0;
  for (const float v : long_values) long_dot += double{v} * double{v};

  const double dot_big = 2e19 * 2e19 + 1.0;  // in double, as the reference computes
  const double a_value = static_cast<double>(2e19f);
  for (const std::string& impl : runnable("dot")) {
    SCOPED_TRACE(impl);
    const Options o = Options::using_implementation(impl);
    EXPECT_DOUBLE_EQ(tandem::dot(big, big, o), double{2e19f} * double{2e19f} + 1.0);
    EXPECT_NEAR(tandem::dot(long_x, long_x, o), long_dot, 1e-9 * long_dot);
    (void)dot_big;
  }
  for (const std::string& impl : runnable("euclidean_distance")) {
    SCOPED_TRACE(impl);
    const Options o = Options::using_implementation(impl);
    EXPECT_DOUBLE_EQ(tandem::euclidean_distance(a, minus_one, o), a_value + 1.0);
    EXPECT_DOUBLE_EQ(tandem::euclidean_distance(huge, minus_huge, o),
                     2.0 * static_cast<double>(3e38f));
  }
  for (const std::string& impl : runnable("cosine_similarity")) {
    SCOPED_TRACE(impl);
    const Options o = Options::using_implementation(impl);
    EXPECT_NEAR(tandem::cosine_similarity(big, big, o), 1.0, 1e-12);
    EXPECT_NEAR(tandem::cosine_similarity(long_x, long_x, o), 1.0, 1e-12);
  }
  // Inf in the input still gives inf, as in the reference.
  const Tensor with_inf =
      Tensor::from(std::vector<float>{1.0f, std::numeric_limits<float>::infinity()}, Shape{2});
  for (const std::string& impl : runnable("dot")) {
    EXPECT_TRUE(std::isinf(tandem::dot(with_inf, with_inf, Options::using_implementation(impl))))
        << impl;
  }
}

// ---- 6. Quantization of values up to FLT_MAX --------------------------------------------

TEST(Hardening, QuantizingFltMaxGivesFiniteValuesOnEveryImplementation) {
  const Tensor x = Tensor::from(std::vector<float>{FLT_MAX, -FLT_MAX, 1e38f, 0.0f}, Shape{4});
  for (const int bits : {8, 16}) {
    for (const std::string& impl : runnable("quantize")) {
      SCOPED_TRACE(impl + " at " + std::to_string(bits) + " bits");
      const Options o = Options::using_implementation(impl);
      const tandem::QuantizedTensor q = tandem::quantize(x, bits, o);
      EXPECT_TRUE(std::isfinite(q.scale));
      for (const float v : tandem::dequantize(q, o).to_vector<float>()) {
        EXPECT_TRUE(std::isfinite(v)) << v;
      }
    }
    for (const std::string& impl : runnable("quantized_relu")) {
      SCOPED_TRACE(impl + " at " + std::to_string(bits) + " bits");
      const std::vector<float> y =
          tandem::quantized_relu(x, bits, Options::using_implementation(impl)).to_vector<float>();
      EXPECT_TRUE(std::isfinite(y[0]));
      EXPECT_GT(y[0], 0.99f * FLT_MAX);
      EXPECT_EQ(y[1], 0.0f);
    }
  }
}

TEST(Hardening, QuantizedMatmulRefusesScalesWhoseProductOverflows) {
  const Tensor a = Tensor::from(std::vector<float>{FLT_MAX, 0.0f}, Shape{1, 2});
  const Tensor b = Tensor::from(std::vector<float>{0.0f, FLT_MAX}, Shape{2, 1});
  for (const std::string& impl : runnable("quantized_matmul")) {
    SCOPED_TRACE(impl);
    expect_refused<tandem::ArgumentError>(
        [&] { (void)tandem::quantized_matmul(a, b, 8, Options::using_implementation(impl)); },
        "quantized_matmul: the scales of A (");
  }
}

// ---- 7. Cost profiles that would predict inf or NaN --------------------------------------

std::string profile_with(const std::string& points) {
  return R"({"schema": "tandem-profile", "version": 1, "kernels": [{"op": "relu",
           "implementation": "reference", "points": )" +
         points + "}]}";
}

TEST(Hardening, ProfilesThatPredictInfOrNaNAreRefusedNamingTheEntry) {
  for (const std::string points :
       {"[[1, 1e300]]", "[[1e-300, 1], [1e300, 2]]", "[[1, 1], [1e300, 2]]", "[[1, 1e-300]]"}) {
    SCOPED_TRACE(points);
    expect_refused<tandem::ArgumentError>(
        [&] { (void)tandem::CostModel::parse(profile_with(points), "test"); },
        "cost profile test: relu/reference ");
  }
  // The bounds leave every real profile alone, and predictions stay finite.
  const tandem::CostModel ok =
      tandem::CostModel::parse(profile_with("[[1, 1e-6], [1e21, 1e12]]"), "test");
  for (const double work : {0.0, 1.0, 1e18, 1e30}) {
    const double us = ok.predict_us(tandem::Op::relu, "reference", DeviceKind::cpu, work);
    EXPECT_TRUE(std::isfinite(us) && us > 0.0) << work << " -> " << us;
  }
}

TEST(Hardening, ProfileReadsAreBoundedAndDirectoriesNamed) {
  expect_refused<tandem::ArgumentError>([] { (void)tandem::CostModel::load("/dev/zero"); },
                                        "cost profile /dev/zero: larger than 16 MiB");
  const std::string dir = std::filesystem::temp_directory_path().string();
  expect_refused<tandem::ArgumentError>([&] { (void)tandem::CostModel::load(dir); },
                                        "cost profile " + dir + ": is a directory");
}

// ---- 8. alpha = 0: A and B are not read (BLAS) -------------------------------------------

TEST(Hardening, AlphaZeroNeverReadsAOnEveryImplementation) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> a_values(6 * 5, 1.0f);
  a_values[7] = nan;
  const Tensor a = Tensor::from(a_values, Shape{6, 5});
  const Tensor b = ints({5, 4}, 8);
  const Tensor c0 = ints({6, 4}, 9);
  for (const std::string& impl : runnable("gemm")) {
    for (const float beta : {0.0f, 1.0f, -2.0f}) {
      SCOPED_TRACE(impl + " beta " + std::to_string(beta));
      Tensor c = Tensor::from(c0.to_vector<float>(), c0.shape());
      tandem::gemm(Transpose::no, Transpose::no, 0.0f, a, b, beta, c,
                   Options::using_implementation(impl));
      std::vector<float> expected = c0.to_vector<float>();
      for (float& v : expected) v = beta == 0.0f ? 0.0f : beta * v;
      EXPECT_EQ(c.to_vector<float>(), expected);
    }
  }
}

// ---- Raw gemm: C and A in disjoint columns of one workspace -------------------------------

TEST(Hardening, RawGemmAcceptsCAndAInDisjointColumnsOfOneWorkspace) {
  // One 4 x 8 workspace: A is columns 0-3, C columns 4-7 (ld 8 for both).
  for (const std::string& impl : runnable("gemm")) {
    if (impl.rfind("cuda.", 0) == 0) continue;  // host pointers: CPU implementations
    SCOPED_TRACE(impl);
    std::vector<float> work(32);
    for (int i = 0; i < 4; ++i) {
      for (int j = 0; j < 4; ++j) work[static_cast<std::size_t>(i * 8 + j)] = float(i - j);
    }
    const std::vector<float> b = ints({4, 4}, 10).to_vector<float>();
    std::vector<float> expected(16);
    std::vector<float> a_copy(16);
    for (int i = 0; i < 4; ++i) {
      for (int j = 0; j < 4; ++j) a_copy[static_cast<std::size_t>(i * 4 + j)] = float(i - j);
    }
    tandem::cpu::reference::matmul(a_copy.data(), b.data(), expected.data(), 4, 4, 4);
    tandem::gemm(Transpose::no, Transpose::no, 4, 4, 4, 1.0f, work.data(), 8, b.data(), 4, 0.0f,
                 work.data() + 4, 8, Options::using_implementation(impl));
    for (int i = 0; i < 4; ++i) {
      for (int j = 0; j < 4; ++j) {
        EXPECT_EQ(work[static_cast<std::size_t>(i * 8 + 4 + j)],
                  expected[static_cast<std::size_t>(i * 4 + j)]);
        EXPECT_EQ(work[static_cast<std::size_t>(i * 8 + j)], float(i - j)) << "A was written";
      }
    }
  }
  // Sharing one element is still refused: C starts in A's last column.
  std::vector<float> work(32, 1.0f);
  std::vector<float> b(16, 1.0f);
  expect_refused<tandem::ArgumentError>(
      [&] {
        tandem::gemm(Transpose::no, Transpose::no, 4, 4, 4, 1.0f, work.data(), 8, b.data(), 4, 0.0f,
                     work.data() + 3, 8);
      },
      "gemm: C overlaps A");
}

}  // namespace
