// Element-wise ops, reductions and quantization on 1-D arrays: every CPU path this
// machine supports (cpu.avx512, cpu.avx2, cpu.baseline) beside the reference kernels
// and memcpy of the same bytes (the bandwidth anchor), at 256 KiB (cache-resident)
// and 256 MiB (64 Mi floats, memory-bound, far beyond L3) per array. Where the thread
// count varies it is the last part of the name:
//   relu/f32/cpu.avx2/67108864/t2, relu/f32/memcpy/67108864/t2
// GB/s counts the bytes the op must move (reads + writes), as memcpy's are counted.
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <tandem/cpu/isa.h>
#include <tandem/cpu/kernels.h>
#include <tandem/cpu/reference.h>

#include "bench_util.h"
#include "onednn_anchor.h"
#include "scalar_relu.h"

namespace tandem::bench {
namespace {

namespace ref = cpu::reference;

constexpr std::int64_t kSmall = std::int64_t{1} << 16;  // 256 KiB of floats
constexpr std::int64_t kLarge = std::int64_t{1} << 26;  // 256 MiB of floats

// Inputs are made once per (size, seed) and shared: a 64 Mi-element normal fill
// costs more than most of the benchmarks that read it.
const std::vector<float>& input(std::int64_t n, std::uint64_t seed) {
  static std::map<std::pair<std::int64_t, std::uint64_t>, std::vector<float>> cache;
  auto& v = cache[{n, seed}];
  if (v.empty()) v = normal(n, seed);
  return v;
}

double bytes(std::int64_t n, int per_element) { return static_cast<double>(n) * per_element; }

// One implementation of every op. `threads` is RunOptions::threads for the CPU
// paths (0: default) and the memcpy team size; the reference ignores it.
struct Impl {
  std::function<void(const float*, float*, std::int64_t)> relu;
  std::function<void(const float*, const float*, float*, std::int64_t)> add, multiply,
      squared_difference;
  std::function<double(const float*, const float*, std::int64_t)> dot;
  std::function<float(const float*, std::int64_t, std::int8_t*)> quantize;  // returns the scale
  std::function<void(const std::int8_t*, std::int64_t, float, float*)> dequantize;
};

Impl reference_impl() {
  return {
      ref::relu,
      ref::add,
      ref::multiply,
      ref::squared_difference,
      ref::dot,
      [](const float* x, std::int64_t n, std::int8_t* q) {
        const float scale = ref::quantize_scale(x, n, 8);
        ref::quantize(x, n, scale, q);
        return scale;
      },
      [](const std::int8_t* q, std::int64_t n, float scale, float* x) {
        ref::dequantize(q, n, scale, x);
      },
  };
}

Impl cpu_impl(cpu::RunOptions run) {
  return {
      [run](const float* x, float* y, std::int64_t n) { cpu::relu(x, y, n, run); },
      [run](const float* x, const float* y, float* z, std::int64_t n) {
        cpu::add(x, y, z, n, run);
      },
      [run](const float* x, const float* y, float* z, std::int64_t n) {
        cpu::multiply(x, y, z, n, run);
      },
      [run](const float* x, const float* y, float* z, std::int64_t n) {
        cpu::squared_difference(x, y, z, n, run);
      },
      [run](const float* x, const float* y, std::int64_t n) { return cpu::dot(x, y, n, run); },
      [run](const float* x, std::int64_t n, std::int8_t* q) { return cpu::quantize(x, n, q, run); },
      [run](const std::int8_t* q, std::int64_t n, float scale, float* x) {
        cpu::dequantize(q, n, scale, x, run);
      },
  };
}

void register_op(const std::string& op, const std::string& dtype, const std::string& impl,
                 const std::string& shape, std::function<void(benchmark::State&)> body) {
  benchmark::RegisterBenchmark(name(op, dtype, impl, shape).c_str(),
                               [body = std::move(body)](benchmark::State& s) { body(s); });
}

// All seven ops of one implementation at one size; `suffix` ("" or "/t2") ends the name.
void register_impl(const std::string& impl_name, const Impl& impl, std::int64_t n,
                   const std::string& suffix) {
  const std::string shape = std::to_string(n) + suffix;
  register_op("relu", "f32", impl_name, shape, [impl, n](benchmark::State& state) {
    const auto& x = input(n, 1);
    std::vector<float> y(x.size());
    measure_bytes(state, bytes(n, 8), [&] { impl.relu(x.data(), y.data(), n); });
  });
  const std::pair<const char*, decltype(Impl::add) Impl::*> binaries[] = {
      {"add", &Impl::add},
      {"multiply", &Impl::multiply},
      {"squared_difference", &Impl::squared_difference}};
  for (const auto& [op, member] : binaries) {
    register_op(op, "f32", impl_name, shape, [impl, n, member](benchmark::State& state) {
      const auto &x = input(n, 1), &y = input(n, 2);
      std::vector<float> z(x.size());
      const auto& f = impl.*member;
      measure_bytes(state, bytes(n, 12), [&] { f(x.data(), y.data(), z.data(), n); });
    });
  }
  register_op("dot", "f32", impl_name, shape, [impl, n](benchmark::State& state) {
    const auto &x = input(n, 1), &y = input(n, 2);
    measure_bytes(state, bytes(n, 8),
                  [&] { benchmark::DoNotOptimize(impl.dot(x.data(), y.data(), n)); });
  });
  // A product past FLT_MAX in every chunk: the float lanes overflow and each chunk is
  // summed again in double (reduce_api.cpp). What that safety net costs.
  if (n == kSmall) {
    register_op("dot", "f32", impl_name, shape + "/overflowing",
                [impl, n](benchmark::State& state) {
                  std::vector<float> x = input(n, 1);
                  x[0] = 2e19f;
                  measure_bytes(state, bytes(n, 8),
                                [&] { benchmark::DoNotOptimize(impl.dot(x.data(), x.data(), n)); });
                });
  }
  // The scale pass reads x once more: 4 + 4 + 1 bytes per element.
  register_op("quantize", "f32", impl_name, shape, [impl, n](benchmark::State& state) {
    const auto& x = input(n, 1);
    std::vector<std::int8_t> q(x.size());
    measure_bytes(state, bytes(n, 9),
                  [&] { benchmark::DoNotOptimize(impl.quantize(x.data(), n, q.data())); });
  });
  register_op("dequantize", "i8", impl_name, shape, [impl, n](benchmark::State& state) {
    const auto& x = input(n, 1);
    std::vector<std::int8_t> q(x.size());
    const float scale = ref::quantize_scale(x.data(), n, 8);
    cpu::quantize(x.data(), n, scale, q.data());
    std::vector<float> y(x.size());
    measure_bytes(state, bytes(n, 5), [&] { impl.dequantize(q.data(), n, scale, y.data()); });
  });
}

// memcpy of relu's bytes, split across `threads` (contiguous halves for 2).
void register_memcpy(std::int64_t n, int threads, const std::string& suffix) {
  register_op("relu", "f32", "memcpy", std::to_string(n) + suffix,
              [n, threads](benchmark::State& state) {
                const auto& x = input(n, 1);
                std::vector<float> y(x.size());
                measure_bytes(state, bytes(n, 8), [&] {
                  const std::int64_t per = (n + threads - 1) / threads;
#pragma omp parallel for num_threads(threads) schedule(static, 1)
                  for (int t = 0; t < threads; ++t) {
                    const std::int64_t begin = std::min<std::int64_t>(t * per, n);
                    const std::int64_t end = std::min<std::int64_t>(begin + per, n);
                    std::memcpy(y.data() + begin, x.data() + begin,
                                static_cast<std::size_t>(end - begin) * sizeof(float));
                  }
                });
              });
}

const bool registered = [] {
  // 256 KiB: one thread whatever is asked (below the threading threshold).
  register_impl("reference", reference_impl(), kSmall, "");
  register_op("relu", "f32", "memcpy", std::to_string(kSmall), [](benchmark::State& state) {
    const auto& x = input(kSmall, 1);
    std::vector<float> y(x.size());
    measure_bytes(state, bytes(kSmall, 8),
                  [&] { std::memcpy(y.data(), x.data(), x.size() * sizeof(float)); });
  });
  // The plain loop compiled without vectorization: what the SIMD paths are worth.
  register_op("relu", "f32", "scalar", std::to_string(kSmall), [](benchmark::State& state) {
    const auto& x = input(kSmall, 1);
    std::vector<float> y(x.size());
    measure_bytes(state, bytes(kSmall, 8), [&] { scalar_relu(x.data(), y.data(), kSmall); });
  });
  for (const cpu::Isa isa : cpu::all_isas()) {
    if (!cpu::isa_supported(isa)) continue;  // registered only where it can run
    register_impl("cpu." + std::string(cpu::isa_name(isa)), cpu_impl({isa, 0}), kSmall, "");
  }

  // 64 Mi elements: the reference on one thread; memcpy and the paths on 1 and 2.
  register_impl("reference", reference_impl(), kLarge, "");
  for (const int threads : {1, 2}) {
    const std::string suffix = "/t" + std::to_string(threads);
    register_memcpy(kLarge, threads, suffix);
    register_op("relu", "f32", "onednn", std::to_string(kLarge) + suffix,
                [threads](benchmark::State& state) {
                  const OnednnThreads scope(threads);
                  const auto& x = input(kLarge, 1);
                  std::vector<float> y(x.size());
                  OnednnRelu relu(kLarge);
                  state.SetLabel(relu.implementation());
                  measure_bytes(state, bytes(kLarge, 8), [&] { relu.run(x.data(), y.data()); });
                });
    for (const cpu::Isa isa : cpu::all_isas()) {
      if (!cpu::isa_supported(isa)) continue;
      register_impl("cpu." + std::string(cpu::isa_name(isa)), cpu_impl({isa, threads}), kLarge,
                    suffix);
    }
  }
  return true;
}();

}  // namespace
}  // namespace tandem::bench
