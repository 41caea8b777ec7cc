// Helpers shared by the benchmarks: names of the form <op>/<dtype>/<impl>/<shape>,
// throughput counters, and reproducible inputs.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>

#include <tandem/cpu/isa.h>
#include <tandem/cpu/kernels.h>
#include <tandem/cpu/random.h>

namespace tandem::bench {

inline std::string name(const std::string& op, const std::string& dtype, const std::string& impl,
                        const std::string& shape) {
  return op + "/" + dtype + "/" + impl + "/" + shape;
}

// GEMM shapes are named M x K x N: A is M x K, B is K x N (an MLP layer with a batch
// of 128, 784 inputs and 256 outputs is 128x784x256).
inline std::string mkn(std::int64_t m, std::int64_t k, std::int64_t n) {
  return std::to_string(m) + "x" + std::to_string(k) + "x" + std::to_string(n);
}

// Runs body() once per benchmark iteration and reports `amount` per iteration as a
// wall-clock rate (GFLOP/s or GB/s, in units of 1e9). Wall clock, because the
// multi-threaded kernels' work is not on the main thread's CPU clock; measured here
// rather than with UseRealTime(), which would append "/real_time" to every name.
template <typename Body>
void measure(benchmark::State& state, const char* counter, double amount, Body&& body) {
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    body();
    benchmark::ClobberMemory();
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  state.counters[counter] = amount * static_cast<double>(state.iterations()) / seconds * 1e-9;
}

template <typename Body>
void measure_flops(benchmark::State& state, double flops, Body&& body) {
  measure(state, "GFLOP/s", flops, std::forward<Body>(body));
}
template <typename Body>
void measure_bytes(benchmark::State& state, double bytes, Body&& body) {
  measure(state, "GB/s", bytes, std::forward<Body>(body));
}

inline std::vector<float> normal(std::int64_t n, std::uint64_t seed) {
  std::vector<float> v(static_cast<std::size_t>(n));
  cpu::fill_normal(v.data(), n, seed);
  return v;
}

// The integer GEMM's implementations, by name: the avx512 path (with VNNI) on AMX tiles
// or on its vectors, and the avx2 path on AVX-VNNI or on its vectors.
struct IntegerUnit {
  const char* name;
  cpu::Isa isa;
  cpu::IgemmUnit unit;
  bool available() const { return cpu::igemm_unit_supported(isa, unit); }
  cpu::RunOptions run(int threads) const { return {isa, threads, unit}; }
};
inline constexpr IntegerUnit kIntegerUnits[] = {
    {"cpu.amx", cpu::Isa::avx512, cpu::IgemmUnit::amx},
    {"cpu.avx512", cpu::Isa::avx512, cpu::IgemmUnit::vectors},
    {"cpu.avx2_vnni", cpu::Isa::avx2, cpu::IgemmUnit::avx_vnni},
    {"cpu.avx2", cpu::Isa::avx2, cpu::IgemmUnit::vectors}};

}  // namespace tandem::bench
