// tandem_gpu_bench: the GPU benchmarks (cuda_bench.cpp) and the dispatcher's
// (dispatch_bench.cpp: its GPU rows and the dispatch overhead) without the CPU anchors,
// whose libraries (OpenBLAS, oneDNN, BLIS: some 85 MB) the GPU machine's staging cannot
// carry. scripts/gpu-check.sh runs it; the GPU's facts go into the JSON context.
#include <string>

#include <benchmark/benchmark.h>

#include <tandem/cpu/cpu_info.h>
#include <tandem/cuda/runtime.h>
#include <tandem/version.h>

int main(int argc, char** argv) {
  benchmark::AddCustomContext("tandem_version", TANDEM_VERSION_STRING);
  benchmark::AddCustomContext("cpu_model", tandem::cpu::cpu_info().model);
  const int gpus = tandem::cuda::device_count();
  benchmark::AddCustomContext("gpu_count", std::to_string(gpus));
  if (gpus == 0) {
    benchmark::AddCustomContext("gpu_unavailable", tandem::cuda::unavailable_reason());
  } else {
    const tandem::cuda::GpuProperties gpu = tandem::cuda::device_properties(0);
    benchmark::AddCustomContext("gpu_name", gpu.name);
    benchmark::AddCustomContext("gpu_sm_count", std::to_string(gpu.sm_count));
    benchmark::AddCustomContext("gpu_compute_capability", std::to_string(gpu.compute_major) + "." +
                                                              std::to_string(gpu.compute_minor));
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
