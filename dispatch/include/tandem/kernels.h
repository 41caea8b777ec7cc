// The kernels this build can run, per operation, device and element type: what
// `tandem info` lists.
#pragma once

#include <string>
#include <vector>

#include <tandem/device.h>

namespace tandem {

struct KernelInfo {
  std::string op;              // "matmul"
  DeviceKind device;           // where it runs
  std::string dtypes;          // "f32", "f32 -> i8/i16", ...
  std::string implementation;  // "reference", later "cpu.avx512", "cuda.cublas", ...
  std::string summary;         // one line: what it is
};

std::vector<KernelInfo> registered_kernels();

}  // namespace tandem
