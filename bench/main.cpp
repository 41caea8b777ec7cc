// tandem_bench: Google Benchmark, with the machine's facts in the JSON context.
#include <benchmark/benchmark.h>

#include <tandem/cpu/cpu_info.h>
#include <tandem/cuda/runtime.h>
#include <tandem/version.h>

int main(int argc, char** argv) {
  const auto& cpu = tandem::cpu::cpu_info();
  benchmark::AddCustomContext("tandem_version", TANDEM_VERSION_STRING);
  benchmark::AddCustomContext("cpu_model", cpu.model);
  benchmark::AddCustomContext("cpu_avx512f", cpu.avx512f ? "yes" : "no");
  benchmark::AddCustomContext("cpu_avx2", cpu.avx2 ? "yes" : "no");
  benchmark::AddCustomContext("gpu_count", std::to_string(tandem::cuda::device_count()));
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
