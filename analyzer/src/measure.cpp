#include "measure.h"

#include <atomic>

#include <fmt/format.h>

#include <tandem/timing.h>

namespace tandem::analyzer {
namespace {

std::atomic<int> g_measurements{0};
std::atomic<int> g_unstable{0};

}  // namespace

Measurement Measurement::rate(double amount_per_us) const {
  Measurement r = *this;
  r.min = max > 0 ? amount_per_us / max : 0;
  r.median = median > 0 ? amount_per_us / median : 0;
  r.max = min > 0 ? amount_per_us / min : 0;
  return r;
}

std::string unstable_rule() {
  return fmt::format("a measurement is unstable when its median is more than {:.2f}x its min",
                     kUnstableSpread);
}

Measurement measure_us(const std::function<void()>& f, bool quick) {
  TimingOptions options;
  options.warmups = 1;
  options.min_repetitions = quick ? 5 : 15;
  options.min_seconds = quick ? 0.02 : 0.25;
  options.max_repetitions = 100000;
  const TimingStats s = time_kernel(f, options).stats;
  Measurement m{s.min_us, s.median_us, s.max_us, s.repetitions,
                s.median_us > kUnstableSpread * s.min_us};
  ++g_measurements;
  if (m.unstable) ++g_unstable;
  return m;
}

nlohmann::json to_json(const Measurement& m) {
  return {{"min", m.min},
          {"median", m.median},
          {"max", m.max},
          {"repetitions", m.repetitions},
          {"unstable", m.unstable}};
}

NoiseCount noise_count() { return {g_measurements.load(), g_unstable.load()}; }

}  // namespace tandem::analyzer
