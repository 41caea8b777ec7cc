// The machine's FMA peak: a register-only loop of independent FMAs per path, on 1
// and 2 threads. The figure the GEMM targets are measured against ("85% of peak").
#include <immintrin.h>
#include <omp.h>

#include <tandem/cpu/isa.h>

#include "bench_util.h"

namespace tandem::bench {
namespace {

constexpr std::int64_t kIterations = 1 << 20;
// Independent chains to cover FMA latency times 2 FMA pipes (5 x 2 on Zen 2), as
// many as the 16 AVX2 registers hold beside the two constants.
constexpr int kChains = 14;

// Returns the flops done (2 per lane per FMA).
__attribute__((target("avx2,fma"))) double fma_loop_avx2(float seed) {
  __m256 acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = _mm256_set1_ps(seed + static_cast<float>(i));
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  for (std::int64_t it = 0; it < kIterations; ++it) {
    for (int i = 0; i < kChains; ++i) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
  }
  __m256 sum = acc[0];
  for (int i = 1; i < kChains; ++i) sum = _mm256_add_ps(sum, acc[i]);
  benchmark::DoNotOptimize(sum);
  return 2.0 * 8 * kChains * static_cast<double>(kIterations);
}

__attribute__((target("avx512f"))) double fma_loop_avx512(float seed) {
  __m512 acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = _mm512_set1_ps(seed + static_cast<float>(i));
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
  for (std::int64_t it = 0; it < kIterations; ++it) {
    for (int i = 0; i < kChains; ++i) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
  }
  __m512 sum = acc[0];
  for (int i = 1; i < kChains; ++i) sum = _mm512_add_ps(sum, acc[i]);
  benchmark::DoNotOptimize(sum);
  return 2.0 * 16 * kChains * static_cast<double>(kIterations);
}

void run_peak(benchmark::State& state, double (*loop)(float), int threads) {
  const double flops_per_thread =
      2.0 * kChains * static_cast<double>(kIterations) * (loop == fma_loop_avx512 ? 16 : 8);
  measure_flops(state, flops_per_thread * threads, [&] {
#pragma omp parallel num_threads(threads)
    loop(static_cast<float>(omp_get_thread_num()));
  });
}

const bool registered = [] {
  for (const int threads : {1, 2}) {
    const std::string t = std::string("t").append(std::to_string(threads));  // GCC 12 -Wrestrict
    if (cpu::isa_supported(cpu::Isa::avx2)) {
      benchmark::RegisterBenchmark(name("fma_peak", "f32", "cpu.avx2", t).c_str(), run_peak,
                                   fma_loop_avx2, threads);
    }
    if (cpu::isa_supported(cpu::Isa::avx512)) {
      benchmark::RegisterBenchmark(name("fma_peak", "f32", "cpu.avx512", t).c_str(), run_peak,
                                   fma_loop_avx512, threads);
    }
  }
  return true;
}();

}  // namespace
}  // namespace tandem::bench
