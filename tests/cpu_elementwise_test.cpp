// The element-wise kernels and batch_apply on every CPU path, bit for bit against the
// reference: sizes around the vector width, unaligned and in-place operands, NaN and
// the other special values, one and two threads, and arrays large enough to be
// threaded and written with streaming stores.
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

// Past the threading threshold (2 x 64 Ki elements per thread) and, at 12 MB, past
// the streaming-store threshold (8 MiB of output).
constexpr std::int64_t kLarge = 3'000'001;

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

// Normal samples with the special values sprinkled in: NaN, +-Inf, +-0, denormals.
std::vector<float> data(std::int64_t n, std::uint64_t seed) {
  std::vector<float> v(static_cast<std::size_t>(n));
  cpu::fill_normal(v.data(), n, seed);
  const float specials[] = {kNaN, kInf, -kInf, -0.0f, 0.0f, 1e-40f, -1e-40f};
  for (std::int64_t i = 0; i < n; i += 7) v[i] = specials[(i / 7 + seed) % 7];
  return v;
}

// The same bits, or NaN on both sides (which NaN an operation on two NaNs returns
// depends on the operand order the compiler picked, so only the NaN-ness is compared).
std::int64_t mismatches(const float* got, const float* want, std::int64_t n,
                        const std::string& what) {
  std::int64_t bad = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    if (std::isnan(got[i]) && std::isnan(want[i])) continue;
    if (std::memcmp(&got[i], &want[i], sizeof(float)) != 0 && bad++ < 3) {
      ADD_FAILURE() << what << ": element " << i << " is " << got[i] << ", reference " << want[i];
    }
  }
  return bad;
}

enum class Op { relu, add, multiply, squared_difference };

const char* op_name(Op op) {
  switch (op) {
    case Op::relu:
      return "relu";
    case Op::add:
      return "add";
    case Op::multiply:
      return "multiply";
    case Op::squared_difference:
      break;
  }
  return "squared_difference";
}

void run_ref(Op op, const float* x, const float* y, float* out, std::int64_t n) {
  switch (op) {
    case Op::relu:
      return ref::relu(x, out, n);
    case Op::add:
      return ref::add(x, y, out, n);
    case Op::multiply:
      return ref::multiply(x, y, out, n);
    case Op::squared_difference:
      return ref::squared_difference(x, y, out, n);
  }
}

void run_fast(Op op, const float* x, const float* y, float* out, std::int64_t n,
              const cpu::RunOptions& run) {
  switch (op) {
    case Op::relu:
      return cpu::relu(x, out, n, run);
    case Op::add:
      return cpu::add(x, y, out, n, run);
    case Op::multiply:
      return cpu::multiply(x, y, out, n, run);
    case Op::squared_difference:
      return cpu::squared_difference(x, y, out, n, run);
  }
}

constexpr Op kOps[] = {Op::relu, Op::add, Op::multiply, Op::squared_difference};

// Where the output goes, relative to the inputs.
enum class Place { separate, in_place_x, in_place_y };

class CpuElementwise : public tandem::testing::PerIsa {
 protected:
  // One op on n elements starting `offset` floats into each buffer, against the
  // reference on copies of the same inputs; the elements around the output are
  // checked to be untouched.
  void check(Op op, std::int64_t n, std::int64_t offset, Place place, int threads) {
    const std::int64_t total = n + offset + 3;
    const std::vector<float> x0 = data(total, 1), y0 = data(total, 2);
    std::vector<float> x = x0, y = y0, out(total, -7.0f);
    std::vector<float> rx = x0, ry = y0, rout(total, -7.0f);
    const auto pick = [&](std::vector<float>& xs, std::vector<float>& ys,
                          std::vector<float>& os) -> float* {
      switch (place) {
        case Place::in_place_x:
          return xs.data() + offset;
        case Place::in_place_y:
          return ys.data() + offset;
        case Place::separate:
          break;
      }
      return os.data() + offset;
    };
    float* dst = pick(x, y, out);
    float* rdst = pick(rx, ry, rout);
    run_fast(op, x.data() + offset, y.data() + offset, dst, n, run(threads));
    expect_ran_on_path();
    run_ref(op, rx.data() + offset, ry.data() + offset, rdst, n);
    const std::string what =
        std::string(op_name(op)) + " n=" + std::to_string(n) + " offset=" + std::to_string(offset) +
        " place=" + std::to_string(static_cast<int>(place)) + " threads=" + std::to_string(threads);
    // Whole buffers: the results and everything around them.
    EXPECT_EQ(mismatches(x.data(), rx.data(), total, what + " (x)"), 0);
    EXPECT_EQ(mismatches(y.data(), ry.data(), total, what + " (y)"), 0);
    EXPECT_EQ(mismatches(out.data(), rout.data(), total, what + " (out)"), 0);
  }

  std::vector<std::int64_t> sizes() const {
    const std::int64_t l = lanes(isa());
    return {0, 1, l - 1, l, l + 1, 2 * l + 3, 4 * l - 1, 4 * l + 5, 1009};
  }
};

TEST_P(CpuElementwise, SmallSizesAndOffsetsBitExact) {
  for (const Op op : kOps) {
    for (const std::int64_t n : sizes()) {
      for (const std::int64_t offset : {0, 1, 3}) check(op, n, offset, Place::separate, 1);
    }
  }
}

TEST_P(CpuElementwise, InPlaceBitExact) {
  for (const Op op : kOps) {
    for (const std::int64_t n : sizes()) {
      check(op, n, 1, Place::in_place_x, 1);
      if (op != Op::relu) check(op, n, 1, Place::in_place_y, 1);
    }
  }
}

TEST_P(CpuElementwise, LargeThreadedAndStreamingBitExact) {
  // With a 4 MiB last level, kLarge (12 MB) takes the streaming path when out of place
  // (aligned or not: the head is peeled), the ordinary path in place; 200003 (800 KB)
  // is threaded but not streamed.
  const tandem::testing::ScopedLastLevelCache last_level(std::int64_t{4} << 20);
  for (const Op op : kOps) {
    for (const int threads : {1, 2}) {
      check(op, kLarge, 0, Place::separate, threads);
      check(op, kLarge, 1, Place::separate, threads);
      check(op, kLarge, 1, Place::in_place_x, threads);
      check(op, 200'003, 0, Place::separate, threads);
    }
  }
}

TEST_P(CpuElementwise, ReluPropagatesNaNAndZeroesNegatives) {
  const std::vector<float> x = {kNaN, -kNaN,   kInf,   -kInf, -0.0f,
                                0.0f, -1e-40f, 1e-40f, -3.0f, 2.5f};
  const auto n = static_cast<std::int64_t>(x.size());
  std::vector<float> y(x.size(), 1.0f), want(x.size());
  cpu::relu(x.data(), y.data(), n, run());
  expect_ran_on_path();
  ref::relu(x.data(), want.data(), n);
  EXPECT_TRUE(std::isnan(y[0]));
  EXPECT_TRUE(std::isnan(y[1]));
  EXPECT_EQ(y[2], kInf);
  // +0, not -0, for every non-positive input.
  for (const std::size_t i : {3u, 4u, 5u, 6u, 8u}) {
    EXPECT_EQ(y[i], 0.0f);
    EXPECT_FALSE(std::signbit(y[i])) << "element " << i;
  }
  EXPECT_EQ(std::memcmp(y.data(), want.data(), x.size() * sizeof(float)), 0);
}

TEST_P(CpuElementwise, DefaultThreadCountMatches) {
  check(Op::add, kLarge, 0, Place::separate, 0);
  check(Op::relu, kLarge, 0, Place::separate, 0);
}

TANDEM_INSTANTIATE_PER_ISA(CpuElementwise);

// ---- batch_apply ---------------------------------------------------------------------

class CpuBatchApply : public tandem::testing::PerIsa {};

TEST_P(CpuBatchApply, EqualsTheOpOverTheWholeBatchForEveryWorkerCount) {
  const std::int64_t rows = 37, cols = 53;
  const std::vector<float> x = data(rows * cols, 3);
  std::vector<float> want(x.size());
  cpu::relu(x.data(), want.data(), rows * cols, run(1));
  const cpu::RunOptions options = run(1);
  const cpu::RowOp op = [options](const float* in, float* out, std::int64_t n) {
    cpu::relu(in, out, n, options);
  };
  for (const int workers : {1, 2, 3, 8, 37, 100}) {
    std::vector<float> y(x.size(), -1.0f);
    cpu::batch_apply(op, x.data(), y.data(), rows, cols, workers);
    // Block 0 runs on this thread (OpenMP's master), with the path under test.
    expect_ran_on_path();
    EXPECT_EQ(mismatches(y.data(), want.data(), rows * cols, std::to_string(workers) + " workers"),
              0);
  }
}

TEST_P(CpuBatchApply, MatchesTheReferenceBatchApply) {
  const std::int64_t rows = 1000, cols = 257;
  const std::vector<float> x = data(rows * cols, 4);
  std::vector<float> y(x.size()), want(x.size());
  const cpu::RunOptions options = run(1);
  cpu::batch_apply(
      [options](const float* in, float* out, std::int64_t n) { cpu::relu(in, out, n, options); },
      x.data(), y.data(), rows, cols, 2);
  expect_ran_on_path();
  ref::batch_apply(ref::relu, x.data(), want.data(), rows, cols, 2);
  EXPECT_EQ(mismatches(y.data(), want.data(), rows * cols, "batch"), 0);
}

TEST_P(CpuBatchApply, InPlaceAndRowBlocksCoverEveryRowOnce) {
  const std::int64_t rows = 11, cols = 5;
  std::vector<float> x(rows * cols, 1.0f);
  const cpu::RunOptions options = run(1);
  // Adds 1 to every element it is given: each element must be seen exactly once.
  cpu::batch_apply(
      [options](const float* in, float* out, std::int64_t n) {
        std::vector<float> ones(static_cast<std::size_t>(n), 1.0f);
        cpu::add(in, ones.data(), out, n, options);
      },
      x.data(), x.data(), rows, cols, 4);
  expect_ran_on_path();
  EXPECT_EQ(x, std::vector<float>(rows * cols, 2.0f));
}

TEST_P(CpuBatchApply, ErrorsReachTheCallerAndEmptyBatchIsANoOp) {
  std::vector<float> x(4), y(4);
  cpu::relu(x.data(), y.data(), 4, run());
  expect_ran_on_path();
  EXPECT_THROW(cpu::batch_apply(ref::relu, x.data(), y.data(), 2, 2, 0), tandem::ArgumentError);
  const auto failing = [](const float*, float*, std::int64_t) -> void {
    throw tandem::ArgumentError("row op failed");
  };
  EXPECT_THROW(cpu::batch_apply(failing, x.data(), y.data(), 2, 2, 2), tandem::ArgumentError);
  bool called = false;
  cpu::batch_apply([&](const float*, float*, std::int64_t) { called = true; }, nullptr, nullptr, 0,
                   5, 4);
  EXPECT_FALSE(called);
}

TANDEM_INSTANTIATE_PER_ISA(CpuBatchApply);

}  // namespace
