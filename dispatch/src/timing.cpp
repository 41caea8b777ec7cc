#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <numeric>

#include <tandem/error.h>
#include <tandem/timing.h>

namespace tandem {

TimingStats summarize(std::vector<double> samples_us) {
  if (samples_us.empty()) throw ArgumentError("time_kernel: no samples to summarize");
  std::sort(samples_us.begin(), samples_us.end());
  const std::size_t n = samples_us.size();
  TimingStats s;
  s.repetitions = static_cast<int>(n);
  s.min_us = samples_us.front();
  s.max_us = samples_us.back();
  s.median_us = n % 2 == 1 ? samples_us[n / 2] : 0.5 * (samples_us[n / 2 - 1] + samples_us[n / 2]);
  s.mean_us = std::accumulate(samples_us.begin(), samples_us.end(), 0.0) / static_cast<double>(n);
  if (n > 1) {
    double sq = 0;
    for (const double x : samples_us) sq += (x - s.mean_us) * (x - s.mean_us);
    s.stddev_us = std::sqrt(sq / static_cast<double>(n - 1));
  }
  return s;
}

double timer_overhead_us() {
  static const double overhead = [] {
    TimingOptions options;
    options.warmups = 100;
    options.min_repetitions = 10'000;
    options.min_seconds = 0;
    return time_kernel([] {}, options).stats.median_us;
  }();
  return overhead;
}

double gpu_timer_overhead_us(int device) {
  static std::mutex mutex;
  static std::map<int, double> cache;
  const std::lock_guard lock(mutex);
  if (const auto it = cache.find(device); it != cache.end()) return it->second;
  cuda::Stream stream(device);
  TimingOptions options;
  options.warmups = 10;
  options.min_repetitions = 200;
  options.min_seconds = 0;
  const double overhead =
      time_kernel_gpu([](const cuda::Stream& s) { cuda::launch_empty_kernel(s); }, stream, options)
          .median_us;
  cache.emplace(device, overhead);
  return overhead;
}

}  // namespace tandem
