// Every figure the analyzer reports is a Measurement: min/median/max over
// repetitions, and a flag when the spread says the machine was not quiet.
#pragma once

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

namespace tandem::analyzer {

struct Measurement {
  double min = 0, median = 0, max = 0;
  int repetitions = 0;
  bool unstable = false;

  // The same measurement in another unit: amount / time (time in microseconds), e.g.
  // GFLOP/s from flops * 1e-3 (min and max swap: the fastest time is the highest rate).
  Measurement rate(double amount_per_us) const;
};

// When a measurement is flagged: its median is more than this factor above its min
// (on a shared VM the hypervisor moves vCPUs and steals time; a wide spread means
// the median is not the machine's figure).
inline constexpr double kUnstableSpread = 1.25;
std::string unstable_rule();

// Times f (microseconds per call) with budgets for --quick or a full run.
Measurement measure_us(const std::function<void()>& f, bool quick);

nlohmann::json to_json(const Measurement& m);

// Counts every measurement made in this process, and the unstable ones.
struct NoiseCount {
  int measurements = 0;
  int unstable = 0;
};
NoiseCount noise_count();

}  // namespace tandem::analyzer
