#include <atomic>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <tandem/cpu/random.h>
#include <tandem/cpu/reference.h>
#include <tandem/error.h>

namespace ref = tandem::cpu::reference;

TEST(ReferenceBatchApply, EqualsTheSingleThreadedOpForEveryWorkerCount) {
  const std::int64_t rows = 37, cols = 53;
  std::vector<float> x(rows * cols);
  tandem::cpu::fill_normal(x.data(), rows * cols, 3);
  std::vector<float> expected(x.size());
  ref::relu(x.data(), expected.data(), rows * cols);
  for (const int workers : {1, 2, 3, 8, 37, 100}) {
    std::vector<float> y(x.size(), -1.0f);
    ref::batch_apply(ref::relu, x.data(), y.data(), rows, cols, workers);
    EXPECT_EQ(y, expected) << workers << " workers";
  }
}

TEST(ReferenceBatchApply, RunsOnTheRequestedNumberOfThreads) {
  std::mutex mutex;
  std::set<std::thread::id> ids;
  std::atomic<std::int64_t> elements{0};
  const auto record = [&](const float*, float*, std::int64_t n) {
    const std::lock_guard lock(mutex);
    ids.insert(std::this_thread::get_id());
    elements += n;
  };
  std::vector<float> x(40), y(40);
  ref::batch_apply(record, x.data(), y.data(), 10, 4, 4);
  EXPECT_EQ(ids.size(), 4u);
  EXPECT_EQ(elements.load(), 40);
}

TEST(ReferenceBatchApply, ErrorsReachTheCaller) {
  std::vector<float> x(4), y(4);
  EXPECT_THROW(ref::batch_apply(ref::relu, x.data(), y.data(), 2, 2, 0), tandem::ArgumentError);
  const auto failing = [](const float*, float*, std::int64_t) -> void {
    throw std::runtime_error("row op failed");
  };
  EXPECT_THROW(ref::batch_apply(failing, x.data(), y.data(), 2, 2, 2), std::runtime_error);
}

TEST(ReferenceBatchApply, EmptyBatchIsANoOp) {
  bool called = false;
  ref::batch_apply([&](const float*, float*, std::int64_t) { called = true; }, nullptr, nullptr, 0,
                   5, 4);
  EXPECT_FALSE(called);
}
