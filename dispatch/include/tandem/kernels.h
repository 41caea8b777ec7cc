// The kernel registry as data: every implementation of every operation in this
// build, in the dispatcher's order of preference per operation and device, with
// whether it can run in this process (what `tandem info` lists).
#pragma once

#include <string>
#include <vector>

#include <tandem/device.h>
#include <tandem/op.h>

namespace tandem {

struct KernelInfo {
  std::string op;                  // "matmul"
  DeviceKind device;               // where it runs
  std::string dtypes;              // "f32", "f32 -> i8/i16", ...
  std::string implementation;      // "reference", "cpu.avx2", "cuda.cublas", ...
  std::string summary;             // one line: what it is
  bool available = false;          // can run here (path supported, under the cap, GPU present)
  std::string unavailable_reason;  // why not, when not
};

std::vector<KernelInfo> registered_kernels();

}  // namespace tandem
