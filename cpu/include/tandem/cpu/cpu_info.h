// What this CPU is and can do, read once through cpuinfo.
#pragma once

#include <cstdint>
#include <string>

namespace tandem::cpu {

struct CpuInfo {
  bool detected = false;  // false when cpuinfo could not read the CPU; see `error`
  std::string error;
  std::string model;
  int cores = 0;       // physical cores
  int processors = 0;  // logical processors (hardware threads)

  // Instruction sets usable here: supported by the CPU and enabled by the OS.
  bool sse4_2 = false;
  bool avx = false;
  bool avx2 = false;
  bool fma3 = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512dq = false;
  bool avx512vl = false;
  bool avx512vnni = false;

  // Size in bytes of one cache of each level (0 when the level is absent), and how
  // many logical processors share it.
  std::int64_t l1d_bytes = 0;
  std::int64_t l2_bytes = 0;
  std::int64_t l3_bytes = 0;
  int l1d_shared_by = 0;
  int l2_shared_by = 0;
  int l3_shared_by = 0;
};

// Detected on first call, then cached; safe to call from any thread.
const CpuInfo& cpu_info();

}  // namespace tandem::cpu
