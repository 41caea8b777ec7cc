// What this machine is and what Tandem can run on it: the CPU (from cpuinfo), every
// usable GPU (or why there is none), the registered kernels and the timer's own
// overhead. `tandem info` prints it.
#pragma once

#include <string>
#include <vector>

#include <tandem/cpu/cpu_info.h>
#include <tandem/cpu/isa.h>
#include <tandem/cuda/runtime.h>
#include <tandem/kernels.h>

namespace tandem::analyzer {

struct SystemReport {
  std::string version;
  cpu::CpuInfo cpu;
  std::vector<cpu::Isa> cpu_paths_supported;    // built and supported here, best first
  cpu::Isa cpu_path_cap = cpu::Isa::avx512;     // TANDEM_MAX_CPU_ISA or set_max_isa()
  cpu::Isa cpu_path_best = cpu::Isa::baseline;  // what the kernels run on by default
  bool built_with_cuda = false;
  std::vector<cuda::GpuProperties> gpus;
  std::string gpu_unavailable_reason;  // set when gpus is empty
  std::vector<KernelInfo> kernels;
  std::string cost_model_source;      // "built-in defaults" or the profile's path
  double host_timer_overhead_us = 0;  // measured median
};

SystemReport collect_system_report();

std::string format_text(const SystemReport& report);
std::string format_json(const SystemReport& report);

}  // namespace tandem::analyzer
