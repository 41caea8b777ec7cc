// The kernel registry: every implementation of every operation this build has, in
// order of preference per (op, device kind), each with its capability check and its
// entry point.
#pragma once

#include <optional>
#include <span>
#include <string>

#include <tandem/cpu/isa.h>
#include <tandem/cuda/kernels.h>
#include <tandem/device.h>
#include <tandem/op.h>

#include "call.h"

namespace tandem::detail {

enum class Backend : std::uint8_t { reference, cpu, cuda };

// Where an adapter runs a call: the CPU path and threads, or the GPU stream.
struct Context {
  cpu::RunOptions run;
  const cuda::Stream* stream = nullptr;
};

// Calls one kernel with the Call's operands: a line or two per row (registry.cpp).
using Adapter = void (*)(Call& call, const Context& where);

// One implementation of one op, as the registry holds it: a row of registry.cpp's
// table (a CPU row once per path).
struct KernelEntry {
  Op op;
  DeviceKind device;
  Backend backend;
  std::string implementation;  // "reference", "cpu.avx2", "cuda.cublas", ...
  std::string summary;
  Adapter adapter = nullptr;
  cpu::Isa isa = cpu::Isa::baseline;              // Backend::cpu: the path
  bool integer_gemm = false;                      // Backend::cpu: runs the integer GEMM (on `unit`)
  cpu::IgemmUnit unit = cpu::IgemmUnit::vectors;  // "cpu.amx", "cpu.avx2_vnni"

  // Whether it can run in this process at all (path supported and under the cap; a
  // GPU present): cheap, asked on every call.
  bool available() const;
  // Why not, for messages: empty when available.
  std::string unavailable_reason() const;
  // Runs the call (operands on this entry's device).
  void run(Call& call) const;
};

// The entries of one op on one device kind, best first.
std::span<const KernelEntry* const> candidates(Op op, DeviceKind device);
// The entry of that name for that op, or nullptr.
const KernelEntry* find_kernel(Op op, std::string_view implementation);
// Every entry, in registry order.
std::span<const KernelEntry> all_kernels();

}  // namespace tandem::detail
