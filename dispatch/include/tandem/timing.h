// time_kernel: warm up, then repeat until both a minimum count and a minimum time
// are reached, and summarise the per-call times. Each repetition is timed on its
// own, so min and median are robust to a noisy, shared machine; timer_overhead_us()
// says how much of a tiny time is the timer itself.
#pragma once

#include <chrono>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include <tandem/cuda/runtime.h>

namespace tandem {

struct TimingOptions {
  int warmups = 2;
  int min_repetitions = 5;
  double min_seconds = 0.05;        // keep repeating until this much time was measured
  int max_repetitions = 1'000'000;  // ... but never more than this
};

struct TimingStats {
  double min_us = 0;
  double median_us = 0;
  double mean_us = 0;
  double stddev_us = 0;  // sample standard deviation
  double max_us = 0;
  int repetitions = 0;
};

// Statistics of per-call samples in microseconds (at least one).
TimingStats summarize(std::vector<double> samples_us);

template <typename R>
struct Timed {
  TimingStats stats;
  R result;  // what the last repetition returned
};
template <>
struct Timed<void> {
  TimingStats stats;
};

namespace detail {
// Calls `sample()` (which returns one time in microseconds) as the options ask.
template <typename Sample>
TimingStats repeat(const TimingOptions& options, Sample&& sample) {
  for (int i = 0; i < options.warmups; ++i) sample();
  std::vector<double> samples;
  double total_us = 0;
  while (static_cast<int>(samples.size()) < options.min_repetitions ||
         (total_us < options.min_seconds * 1e6 &&
          static_cast<int>(samples.size()) < options.max_repetitions)) {
    samples.push_back(sample());
    total_us += samples.back();
  }
  return summarize(std::move(samples));
}
}  // namespace detail

// Times f() on the host clock (std::chrono::steady_clock).
template <typename F>
auto time_kernel(F&& f, const TimingOptions& options = {}) -> Timed<std::invoke_result_t<F&>> {
  using R = std::invoke_result_t<F&>;
  using Clock = std::chrono::steady_clock;
  if constexpr (std::is_void_v<R>) {
    return {detail::repeat(options, [&] {
      const auto t0 = Clock::now();
      f();
      return std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
    })};
  } else {
    std::optional<R> last;
    TimingStats stats = detail::repeat(options, [&] {
      const auto t0 = Clock::now();
      last.emplace(f());
      return std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
    });
    return {stats, std::move(*last)};
  }
}

// Times the GPU work that enqueue(stream) puts on `stream`, with CUDA events.
template <typename F>
TimingStats time_kernel_gpu(F&& enqueue, const cuda::Stream& stream,
                            const TimingOptions& options = {}) {
  cuda::EventTimer timer(stream.device());
  return detail::repeat(options, [&] {
    timer.start(stream);
    enqueue(stream);
    timer.stop(stream);
    return timer.elapsed_us();
  });
}

// The median time of timing an empty call on the host clock: the floor under every
// figure time_kernel reports. Measured once, then cached.
double timer_overhead_us();

// The median event-timed duration of an empty kernel on `device`: launch plus event
// overhead, the floor under every time_kernel_gpu figure. Measured once per device.
double gpu_timer_overhead_us(int device);

}  // namespace tandem
