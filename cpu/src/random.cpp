#include <cmath>
#include <numbers>

#include <tandem/cpu/random.h>

namespace tandem::cpu {
namespace {

class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}

  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in (0, 1]: never 0, so log() below is finite.
  double uniform() { return (static_cast<double>(next() >> 11) + 1.0) * 0x1.0p-53; }

 private:
  std::uint64_t state_;
};

}  // namespace

void fill_normal(float* x, std::int64_t n, std::uint64_t seed, float mean, float stddev) {
  SplitMix64 rng(seed);
  for (std::int64_t i = 0; i < n; i += 2) {
    const double radius = std::sqrt(-2.0 * std::log(rng.uniform()));
    const double angle = 2.0 * std::numbers::pi * rng.uniform();
    x[i] = static_cast<float>(mean + stddev * radius * std::cos(angle));
    if (i + 1 < n) x[i + 1] = static_cast<float>(mean + stddev * radius * std::sin(angle));
  }
}

void fill_uniform_int(float* x, std::int64_t n, std::uint64_t seed, int lo, int hi) {
  SplitMix64 rng(seed);
  const auto span = static_cast<std::uint64_t>(static_cast<std::int64_t>(hi) - lo + 1);
  for (std::int64_t i = 0; i < n; ++i) {
    x[i] = static_cast<float>(lo + static_cast<std::int64_t>(rng.next() % span));
  }
}

}  // namespace tandem::cpu
