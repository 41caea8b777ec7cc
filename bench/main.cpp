// tandem_bench: Google Benchmark, with the machine's facts in the JSON context.
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include <benchmark/benchmark.h>

#include <tandem/cpu/cpu_info.h>
#include <tandem/cuda/runtime.h>
#include <tandem/version.h>

#include "anchor_context.h"

int main(int argc, char** argv) {
  // First: it may re-execute the binary, with OpenBLAS on a better core.
  tandem::bench::select_openblas_core(argv);
  const auto& cpu = tandem::cpu::cpu_info();
  benchmark::AddCustomContext("tandem_version", TANDEM_VERSION_STRING);
  benchmark::AddCustomContext("cpu_model", cpu.model);
  benchmark::AddCustomContext("cpu_avx512f", cpu.avx512f ? "yes" : "no");
  benchmark::AddCustomContext("cpu_avx2", cpu.avx2 ? "yes" : "no");
  benchmark::AddCustomContext("gpu_count", std::to_string(tandem::cuda::device_count()));
  if (!tandem::bench::add_anchor_context()) return 1;
  // A warm-up before every benchmark unless asked otherwise: the first runs of a
  // process (page faults, OpenBLAS and OpenMP starting their threads) are not steady.
  std::string warmup = "--benchmark_min_warmup_time=0.1";
  std::vector<char*> args{argv[0]};
  if (std::none_of(argv + 1, argv + argc, [](const char* a) {
        return std::string_view(a).starts_with("--benchmark_min_warmup_time");
      })) {
    args.push_back(warmup.data());
  }
  args.insert(args.end(), argv + 1, argv + argc);
  argc = static_cast<int>(args.size());
  argv = args.data();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
