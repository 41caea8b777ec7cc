// The machine's FMA peak: a register-only loop of independent FMAs per path
// (cpu::fma_peak_loop), on 1 and 2 threads. The figure the GEMM targets are measured
// against ("85% of peak"); and the int8 units' peak (vpdpbusd, AMX tdpbssd).
#include <omp.h>

#include <tandem/cpu/ceilings.h>
#include <tandem/cpu/isa.h>

#include "bench_util.h"

namespace tandem::bench {
namespace {

constexpr std::int64_t kIterations = 1 << 20;

void run_peak(benchmark::State& state, cpu::Isa isa, int threads) {
  const double flops_per_thread = cpu::fma_peak_loop(isa, 1);  // per iteration
  measure_flops(state, flops_per_thread * static_cast<double>(kIterations) * threads, [&] {
#pragma omp parallel num_threads(threads)
    cpu::fma_peak_loop(isa, kIterations);
  });
}

// The int8 units' peak (cpu::int8_peak_loop): vpdpbusd on the avx512 path and on
// AVX-VNNI, tdpbssd on AMX tiles: the roof of the integer GEMM (matmul/i8/...).
void run_int8_peak(benchmark::State& state, IntegerUnit u, int threads) {
  const double ops_per_thread = cpu::int8_peak_loop(u.isa, u.unit, 1);  // per iteration
  const std::int64_t iterations = u.unit == cpu::IgemmUnit::amx ? kIterations / 64 : kIterations;
  measure(state, "GOP/s", ops_per_thread * static_cast<double>(iterations) * threads, [&] {
#pragma omp parallel num_threads(threads)
    cpu::int8_peak_loop(u.isa, u.unit, iterations);
  });
}

const bool registered = [] {
  for (const int threads : {1, 2}) {
    const std::string t = std::string("t").append(std::to_string(threads));  // GCC 12 -Wrestrict
    for (const cpu::Isa isa : {cpu::Isa::avx2, cpu::Isa::avx512}) {
      if (!cpu::isa_supported(isa)) continue;
      benchmark::RegisterBenchmark(
          name("fma_peak", "f32", "cpu." + std::string(cpu::isa_name(isa)), t).c_str(), run_peak,
          isa, threads);
    }
    for (const IntegerUnit& u : kIntegerUnits) {
      // The avx2 path's own vectors have no int8 multiply-add.
      if (!u.available() || (u.isa == cpu::Isa::avx2 && u.unit == cpu::IgemmUnit::vectors)) {
        continue;
      }
      benchmark::RegisterBenchmark(name("int8_peak", "i8", u.name, t).c_str(), run_int8_peak, u,
                                   threads);
    }
  }
  return true;
}();

}  // namespace
}  // namespace tandem::bench
