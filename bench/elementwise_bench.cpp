// Element-wise ops, reductions and quantization on 1-D arrays, beside memcpy of the
// same bytes (the bandwidth anchor).
#include <cstring>

#include <tandem/cpu/reference.h>

#include "bench_util.h"

namespace tandem::bench {
namespace {

namespace ref = cpu::reference;

// 256 KiB (cache-resident) and 64 MiB (memory-bound) of floats.
constexpr std::int64_t kSizes[] = {std::int64_t{1} << 16, std::int64_t{1} << 24};

void register_1d(const char* op, const char* impl, std::int64_t n,
                 void (*body)(benchmark::State&, std::int64_t)) {
  benchmark::RegisterBenchmark(name(op, "f32", impl, std::to_string(n)).c_str(), body, n);
}

// Bytes one call moves: read + write for out-of-place ops, counted as memcpy counts them.
double bytes(std::int64_t n, int per_element) { return static_cast<double>(n) * per_element; }

void relu(benchmark::State& state, std::int64_t n) {
  const auto x = normal(n, 1);
  std::vector<float> y(x.size());
  measure_bytes(state, bytes(n, 8), [&] { ref::relu(x.data(), y.data(), n); });
}

void copy(benchmark::State& state, std::int64_t n) {
  const auto x = normal(n, 1);
  std::vector<float> y(x.size());
  measure_bytes(state, bytes(n, 8),
                [&] { std::memcpy(y.data(), x.data(), x.size() * sizeof(float)); });
}

void add(benchmark::State& state, std::int64_t n) {
  const auto x = normal(n, 1), y = normal(n, 2);
  std::vector<float> z(x.size());
  measure_bytes(state, bytes(n, 12), [&] { ref::add(x.data(), y.data(), z.data(), n); });
}

void dot(benchmark::State& state, std::int64_t n) {
  const auto x = normal(n, 1), y = normal(n, 2);
  measure_bytes(state, bytes(n, 8),
                [&] { benchmark::DoNotOptimize(ref::dot(x.data(), y.data(), n)); });
}

void quantize8(benchmark::State& state, std::int64_t n) {
  const auto x = normal(n, 1);
  std::vector<std::int8_t> q(x.size());
  // The scale pass reads x once more: 4 + 4 + 1 bytes per element.
  measure_bytes(state, bytes(n, 9), [&] {
    ref::quantize(x.data(), n, ref::quantize_scale(x.data(), n, 8), q.data());
  });
}

const bool registered = [] {
  for (const std::int64_t n : kSizes) {
    register_1d("relu", "reference", n, relu);
    register_1d("relu", "memcpy", n, copy);
    register_1d("add", "reference", n, add);
    register_1d("dot", "reference", n, dot);
    register_1d("quantize", "reference", n, quantize8);
  }
  return true;
}();

}  // namespace
}  // namespace tandem::bench
