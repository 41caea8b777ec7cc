#include <chrono>
#include <cmath>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <tandem/error.h>
#include <tandem/timing.h>

#include "gpu_test.h"

TEST(Timing, SummarizeKnownSamples) {
  const tandem::TimingStats s = tandem::summarize({5, 1, 4, 2, 3});
  EXPECT_EQ(s.repetitions, 5);
  EXPECT_EQ(s.min_us, 1);
  EXPECT_EQ(s.max_us, 5);
  EXPECT_EQ(s.median_us, 3);
  EXPECT_EQ(s.mean_us, 3);
  EXPECT_DOUBLE_EQ(s.stddev_us, std::sqrt(2.5));
  EXPECT_EQ(tandem::summarize({1, 2, 3, 10}).median_us, 2.5);
  EXPECT_EQ(tandem::summarize({7}).stddev_us, 0);
  EXPECT_THROW(tandem::summarize({}), tandem::ArgumentError);
}

TEST(Timing, WarmsUpThenRepeatsUntilCountAndTimeAreReached) {
  int calls = 0;
  tandem::TimingOptions options;
  options.warmups = 3;
  options.min_repetitions = 7;
  options.min_seconds = 0;
  const auto timed = tandem::time_kernel([&] { return ++calls; }, options);
  EXPECT_EQ(timed.stats.repetitions, 7);
  EXPECT_EQ(calls, 10);
  EXPECT_EQ(timed.result, 10);  // the last repetition's result

  options.min_seconds = 0.02;
  options.warmups = 0;
  const auto slow = tandem::time_kernel(
      [] { std::this_thread::sleep_for(std::chrono::milliseconds(2)); }, options);
  EXPECT_GE(slow.stats.repetitions, 7);
  EXPECT_GE(slow.stats.mean_us * slow.stats.repetitions, 20000.0);
  EXPECT_GE(slow.stats.min_us, 2000.0);
  EXPECT_LE(slow.stats.min_us, slow.stats.median_us);
  EXPECT_LE(slow.stats.median_us, slow.stats.max_us);
}

TEST(Timing, MaxRepetitionsBoundsTheLoop) {
  tandem::TimingOptions options;
  options.min_repetitions = 2;
  options.min_seconds = 100;     // never reached ...
  options.max_repetitions = 50;  // ... so this stops it
  EXPECT_EQ(tandem::time_kernel([] {}, options).stats.repetitions, 50);
}

TEST(Timing, TimerOverheadIsMeasuredAndSmall) {
  const double overhead = tandem::timer_overhead_us();
  EXPECT_GT(overhead, 0.0);
  EXPECT_LT(overhead, 50.0);
  EXPECT_EQ(tandem::timer_overhead_us(), overhead);  // cached
}

TEST(TimingGpu, EventTimingOfAnEmptyKernel) {
  TANDEM_REQUIRE_GPU();
  const double overhead = tandem::gpu_timer_overhead_us(0);
  EXPECT_GT(overhead, 0.0);
  EXPECT_LT(overhead, 1000.0);
  tandem::cuda::Stream stream(0);
  tandem::TimingOptions options;
  options.min_seconds = 0;
  const auto stats = tandem::time_kernel_gpu(
      [](const tandem::cuda::Stream& s) { tandem::cuda::launch_empty_kernel(s); }, stream, options);
  EXPECT_EQ(stats.repetitions, options.min_repetitions);
}
