// The fused layer: y = act(x @ w + bias), with the bias and the activation applied by
// the GEMM's store. The kernels on every CPU path against the reference (bit for bit
// on integer-valued data), the public op's checks, and the rule that the epilogue
// runs once, on the finished sum, whatever the blocking.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <tandem/cpu/kernels.h>
#include <tandem/cpu/random.h>
#include <tandem/cpu/reference.h>
#include <tandem/tandem.h>

#include "gpu_test.h"
#include "isa_test_util.h"

namespace cpu = tandem::cpu;
using tandem::Activation;
using tandem::Epilogue;
using tandem::Options;
using tandem::Tensor;
using tandem::Transpose;

namespace {

std::vector<float> ints(std::int64_t count, std::uint64_t seed, int lo, int hi) {
  std::vector<float> v(static_cast<std::size_t>(count));
  cpu::fill_uniform_int(v.data(), count, seed, lo, hi);
  return v;
}

struct Shape3 {
  std::int64_t m, n, k;
  std::string str() const {
    return std::to_string(m) + "x" + std::to_string(n) + "x" + std::to_string(k);
  }
};

// Matrix-vector (m or n = 1), unpacked small problems, one and several tiles, partial
// tiles, and K over the f32 k block (512), so that the store runs after several k blocks.
const Shape3 kShapes[] = {{1, 1, 1},      {1, 37, 300},   {45, 1, 80}, {7, 9, 13},   {13, 33, 5},
                          {100, 70, 300}, {64, 96, 1100}, {25, 47, 1}, {12, 32, 512}};

class CpuLinear : public tandem::testing::PerIsa {
 protected:
  // The path under test and the reference on the same integer-valued operands: x and w
  // in [-4, 4], bias in [-60, 60] so that relu clips about half the outputs. Every sum
  // is an integer below 2^24, so both must agree exactly.
  void check(const Shape3& s, bool with_bias, Activation act, float beta, int threads,
             const cpu::GemmBlocking& blocking = {}) {
    SCOPED_TRACE(s.str() + (with_bias ? " bias" : "") + " " +
                 std::string(tandem::activation_name(act)) + " beta=" + std::to_string(beta) +
                 " threads=" + std::to_string(threads) + " kc=" + std::to_string(blocking.kc));
    const auto a = ints(s.m * s.k, 1, -4, 4), b = ints(s.k * s.n, 2, -4, 4);
    const auto bias = ints(s.n, 3, -60, 60);
    auto fast = ints(s.m * s.n, 4, -9, 9);
    auto want = fast;
    const Epilogue epilogue{with_bias ? bias.data() : nullptr, act};
    cpu::sgemm(Transpose::no, Transpose::no, s.m, s.n, s.k, 1.0f, a.data(), s.k, b.data(), s.n,
               beta, fast.data(), s.n, run(threads), blocking, epilogue);
    expect_ran_on_path();
    cpu::reference::gemm(Transpose::no, Transpose::no, s.m, s.n, s.k, 1.0f, a.data(), s.k, b.data(),
                         s.n, beta, want.data(), s.n, epilogue);
    EXPECT_EQ(fast, want);
  }
};

TEST_P(CpuLinear, BiasAndReluInTheStoreMatchTheReferenceBitForBit) {
  for (const Shape3& s : kShapes) {
    for (const int threads : {1, 2}) {
      check(s, true, Activation::relu, 0.0f, threads);
      check(s, true, Activation::none, 0.0f, threads);
      check(s, false, Activation::relu, 0.0f, threads);
    }
  }
}

TEST_P(CpuLinear, EpilogueAfterBetaTimesC) {
  for (const Shape3& s : kShapes) check(s, true, Activation::relu, 2.0f, 2);
}

// Small k blocks: a store that added the bias (or clipped) after each block, rather than
// once on the whole sum, gives a different result.
TEST_P(CpuLinear, EpilogueRunsOnceWhateverTheKBlocks) {
  const cpu::GemmBlocking small{24, 16, 64};
  for (const Shape3& s : {Shape3{50, 70, 100}, Shape3{100, 70, 300}, Shape3{64, 96, 1100}}) {
    check(s, true, Activation::relu, 0.0f, 1, small);
    check(s, true, Activation::relu, 1.0f, 2, small);
  }
}

// k = 0 (and alpha = 0): the sum is empty, y = act(beta * C + bias).
TEST_P(CpuLinear, EmptySumIsTheEpilogueOfBetaC) {
  check({5, 19, 0}, true, Activation::relu, 0.0f, 1);
  check({5, 19, 0}, true, Activation::relu, 1.0f, 1);
}

// On normal data the fused layer is the unfused one bit for bit on the same path: the
// GEMM's float result, then + bias in float, then relu (epilogue.h's order).
TEST_P(CpuLinear, FusedEqualsGemmThenBiasThenReluOnNormalData) {
  for (const Shape3& s :
       {Shape3{1, 300, 200}, Shape3{200, 1, 300}, Shape3{30, 40, 50}, Shape3{128, 256, 784}}) {
    SCOPED_TRACE(s.str());
    std::vector<float> a(s.m * s.k), b(s.k * s.n), bias(s.n), fused(s.m * s.n), unfused(s.m * s.n);
    cpu::fill_normal(a.data(), s.m * s.k, 5);
    cpu::fill_normal(b.data(), s.k * s.n, 6);
    cpu::fill_normal(bias.data(), s.n, 7);
    cpu::sgemm(Transpose::no, Transpose::no, s.m, s.n, s.k, 1.0f, a.data(), s.k, b.data(), s.n,
               0.0f, fused.data(), s.n, run(1), {}, {bias.data(), Activation::relu});
    expect_ran_on_path();
    cpu::sgemm(Transpose::no, Transpose::no, s.m, s.n, s.k, 1.0f, a.data(), s.k, b.data(), s.n,
               0.0f, unfused.data(), s.n, run(1));
    for (std::int64_t i = 0; i < s.m; ++i) {
      for (std::int64_t j = 0; j < s.n; ++j) {
        float& y = unfused[i * s.n + j];
        y = tandem::activate(Activation::relu, y + bias[j]);
      }
    }
    EXPECT_EQ(fused, unfused);
  }
}

// relu propagates NaN, as the relu op does; a NaN in a row of x reaches that row only.
TEST_P(CpuLinear, ReluPropagatesNaN) {
  for (const Shape3& s : {Shape3{30, 40, 50}, Shape3{1, 40, 50}, Shape3{30, 1, 50}}) {
    SCOPED_TRACE(s.str());
    auto a = ints(s.m * s.k, 1, -4, 4);
    const auto b = ints(s.k * s.n, 2, -4, 4), bias = ints(s.n, 3, -60, 60);
    const std::int64_t bad_row = s.m / 2;
    a[bad_row * s.k + 3] = std::numeric_limits<float>::quiet_NaN();
    std::vector<float> y(s.m * s.n);
    cpu::sgemm(Transpose::no, Transpose::no, s.m, s.n, s.k, 1.0f, a.data(), s.k, b.data(), s.n,
               0.0f, y.data(), s.n, run(), {}, {bias.data(), Activation::relu});
    for (std::int64_t i = 0; i < s.m; ++i) {
      for (std::int64_t j = 0; j < s.n; ++j) {
        const float v = y[i * s.n + j];
        if (i == bad_row) {
          EXPECT_TRUE(std::isnan(v)) << "y[" << i << "][" << j << "] = " << v;
        } else {
          EXPECT_TRUE(v >= 0.0f && !std::signbit(v)) << "y[" << i << "][" << j << "] = " << v;
        }
      }
    }
  }
}

TANDEM_INSTANTIATE_PER_ISA(CpuLinear);

// ---- The public op -----------------------------------------------------------------------

Tensor int_tensor(const tandem::Shape& shape, std::uint64_t seed, int lo, int hi) {
  return Tensor::from(ints(shape.numel(), seed, lo, hi), shape);
}

std::vector<float> reference_linear(const Tensor& x, const Tensor& w, const Tensor& bias,
                                    Activation act) {
  const std::int64_t m = x.dim(0), k = x.dim(1), n = w.dim(1);
  std::vector<float> y(static_cast<std::size_t>(m * n));
  cpu::reference::gemm(Transpose::no, Transpose::no, m, n, k, 1.0f, x.data<float>(), k,
                       w.data<float>(), n, 0.0f, y.data(), n,
                       {bias.defined() ? bias.data<float>() : nullptr, act});
  return y;
}

TEST(Linear, EveryCpuImplementationMatchesTheReference) {
  const Tensor x = int_tensor({37, 300}, 1, -4, 4), w = int_tensor({300, 70}, 2, -4, 4);
  const Tensor bias = int_tensor({70}, 3, -60, 60);
  for (const auto& k : tandem::registered_kernels()) {
    if (k.op != "linear" || k.device != tandem::DeviceKind::cpu || !k.available) continue;
    SCOPED_TRACE(k.implementation);
    const Options o = Options::using_implementation(k.implementation);
    EXPECT_EQ(tandem::linear(x, w, bias, Activation::relu, o).to_vector<float>(),
              reference_linear(x, w, bias, Activation::relu));
    EXPECT_EQ(tandem::linear(x, w, {}, Activation::none, o).to_vector<float>(),
              tandem::matmul(x, w, o).to_vector<float>());
  }
}

TEST(Linear, IntoAnOutputAndEmptyShapes) {
  const Tensor x = int_tensor({9, 0}, 1, -4, 4), w = int_tensor({0, 6}, 2, -4, 4);
  const Tensor bias = int_tensor({6}, 3, -60, 60);
  Tensor out = Tensor::zeros({9, 6}, tandem::DType::f32);
  tandem::linear(x, w, bias, Activation::relu, out);
  EXPECT_EQ(out.to_vector<float>(), reference_linear(x, w, bias, Activation::relu));
  const Tensor none = tandem::linear(int_tensor({0, 4}, 1, -4, 4), int_tensor({4, 6}, 2, -4, 4),
                                     bias, Activation::relu);
  EXPECT_EQ(none.shape(), (tandem::Shape{0, 6}));
}

// Refused calls name the op and the shapes, and write nothing.
TEST(Linear, BadOperandsAreRefusedBeforeAnythingIsWritten) {
  const Tensor x = int_tensor({4, 5}, 1, -4, 4), w = int_tensor({5, 6}, 2, -4, 4);
  Tensor out = Tensor::from(std::vector<float>(24, 7.0f), {4, 6});
  const auto refused = [&](auto&& call, const char* what) {
    try {
      call();
      ADD_FAILURE() << "accepted " << what;
    } catch (const tandem::Error& e) {
      const std::string text = e.what();
      EXPECT_EQ(text.rfind("linear: ", 0), 0u) << text;
      EXPECT_NE(text.find("[4, 5]"), std::string::npos) << text;
    }
    EXPECT_EQ(out.to_vector<float>(), std::vector<float>(24, 7.0f)) << what;
  };
  refused([&] { tandem::linear(x, w, int_tensor({5}, 3, 0, 1), Activation::relu, out); },
          "a bias of the wrong length");
  refused(
      [&] {
        tandem::linear(x, w, int_tensor({1, 6}, 3, 0, 1), Activation::relu, out);
      },
      "a bias of rank 2");
  refused(
      [&] { tandem::linear(x, w, Tensor::zeros({6}, tandem::DType::i8), Activation::relu, out); },
      "an int8 bias");
  refused(
      [&] {
        tandem::linear(x, int_tensor({4, 6}, 2, 0, 1), {}, Activation::none, out);
      },
      "inner dimensions that differ");
  refused([&] { tandem::linear(x, w, {}, static_cast<Activation>(9), out); },
          "an unknown activation");
  Tensor wrong = Tensor::zeros({4, 7}, tandem::DType::f32);
  EXPECT_THROW(tandem::linear(x, w, {}, Activation::none, wrong), tandem::ShapeError);
  EXPECT_THROW(tandem::linear(x, w, int_tensor({5}, 3, 0, 1)), tandem::ShapeError);
}

TEST(Linear, OutputOverlappingTheBiasIsRefused) {
  const Tensor x = int_tensor({1, 5}, 1, -4, 4), w = int_tensor({5, 6}, 2, -4, 4);
  Tensor out = Tensor::zeros({1, 6}, tandem::DType::f32);
  EXPECT_THROW(tandem::linear(x, w, out.reshape({6}), Activation::relu, out),
               tandem::ArgumentError);
}

// Through the dispatcher on a GPU: every CUDA implementation, tensors on the device and
// host tensors offloaded (the bias travels with them), against the reference (exact on
// integer-valued data).
TEST(LinearGpu, EveryCudaImplementationMatchesTheReference) {
  TANDEM_REQUIRE_GPU();
  const Tensor x = int_tensor({67, 300}, 1, -4, 4), w = int_tensor({300, 129}, 2, -4, 4);
  const Tensor bias = int_tensor({129}, 3, -60, 60);
  const auto want = reference_linear(x, w, bias, Activation::relu);
  const auto gpu = tandem::Device::cuda(0);
  for (const char* impl : {"cuda.tiled", "cuda.tiled_basic", "cuda.cublas"}) {
    SCOPED_TRACE(impl);
    const Options o = Options::using_implementation(impl);
    EXPECT_EQ(tandem::linear(x.to(gpu), w.to(gpu), bias.to(gpu), Activation::relu, o)
                  .to(tandem::Device::cpu())
                  .to_vector<float>(),
              want);
    EXPECT_EQ(tandem::linear(x, w, bias, Activation::relu, o).to_vector<float>(), want);
  }
}

}  // namespace
