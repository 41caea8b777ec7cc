// matmul int8/int16 -> int32: Tandem's integer GEMM per CPU path (avx512 only with
// VNNI; cpu.amx, int8 on AMX tiles, where the CPU has them) and the quantized matmul
// (f32 in and out through int8), on 1 and 2 threads, beside the oneDNN anchor (u8 x s8
// -> s32, oneDNN's int8 matmul). Counter: GOP/s, 2 m n k operations per call.
#include <tandem/cpu/isa.h>
#include <tandem/cpu/kernels.h>

#include "bench_util.h"
#include "onednn_anchor.h"

namespace tandem::bench {
namespace {

constexpr std::int64_t kSizes[] = {512, 2048};  // square: m = k = n
constexpr int kThreads[] = {1, 2};

double ops(std::int64_t s) { return 2.0 * static_cast<double>(s) * static_cast<double>(s * s); }

template <typename T>
std::vector<T> random_ints(std::int64_t n, std::uint64_t seed, int lo, int hi) {
  std::vector<float> f(static_cast<std::size_t>(n));
  cpu::fill_uniform_int(f.data(), n, seed, lo, hi);
  return std::vector<T>(f.begin(), f.end());
}

template <typename T>
void run_tandem(benchmark::State& state, std::int64_t s, cpu::RunOptions run) {
  constexpr int hi = sizeof(T) == 1 ? 127 : 32767;
  const auto a = random_ints<T>(s * s, 1, -hi - 1, hi), b = random_ints<T>(s * s, 2, -hi - 1, hi);
  std::vector<std::int32_t> c(static_cast<std::size_t>(s * s));
  measure(state, "GOP/s", ops(s), [&] {
    if constexpr (sizeof(T) == 1) {
      cpu::gemm_s8s8s32(s, s, s, a.data(), s, b.data(), s, c.data(), s, run);
    } else {
      cpu::gemm_s16s16s32(s, s, s, a.data(), s, b.data(), s, c.data(), s, run);
    }
  });
}

void run_quantized(benchmark::State& state, std::int64_t s, cpu::RunOptions run) {
  const auto a = normal(s * s, 1), b = normal(s * s, 2);
  std::vector<float> c(static_cast<std::size_t>(s * s));
  measure(state, "GOP/s", ops(s),
          [&] { cpu::quantized_matmul(a.data(), b.data(), c.data(), s, s, s, 8, run); });
}

void run_onednn(benchmark::State& state, std::int64_t s, int threads) {
  using DataType = OnednnMatmul::DataType;
  const auto a = random_ints<std::uint8_t>(s * s, 1, 0, 255);
  const auto b = random_ints<std::int8_t>(s * s, 2, -128, 127);
  std::vector<std::int32_t> c(static_cast<std::size_t>(s * s));
  const OnednnThreads scope(threads);
  OnednnMatmul matmul(s, s, s, DataType::u8, DataType::s8, DataType::s32);
  state.SetLabel(matmul.implementation());
  measure(state, "GOP/s", ops(s), [&] { matmul.run(a.data(), b.data(), c.data()); });
}

const bool registered = [] {
  for (const std::int64_t s : kSizes) {
    const std::string shape = mkn(s, s, s);
    for (const int t : kThreads) {
      const std::string threads = "/t" + std::to_string(t);
      for (const IntegerUnit& u : kIntegerUnits) {
        if (!u.available()) continue;
        const cpu::RunOptions run = u.run(t);
        benchmark::RegisterBenchmark((name("matmul", "i8", u.name, shape) + threads).c_str(),
                                     run_tandem<std::int8_t>, s, run)
            ->Unit(benchmark::kMillisecond);
        if (u.unit != cpu::IgemmUnit::amx) {  // int16 has no AMX instruction
          benchmark::RegisterBenchmark((name("matmul", "i16", u.name, shape) + threads).c_str(),
                                       run_tandem<std::int16_t>, s, run)
              ->Unit(benchmark::kMillisecond);
        }
        benchmark::RegisterBenchmark((name("matmul", "q8", u.name, shape) + threads).c_str(),
                                     run_quantized, s, run)
            ->Unit(benchmark::kMillisecond);
      }
      benchmark::RegisterBenchmark((name("matmul", "u8s8s32", "onednn", shape) + threads).c_str(),
                                   run_onednn, s, t)
          ->Unit(benchmark::kMillisecond);
    }
  }
  return true;
}();

}  // namespace
}  // namespace tandem::bench
