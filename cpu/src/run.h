// What every public kernel entry point does first: check that the path can run
// here, record it as the path that ran, and hand back that path's table.
#pragma once

#include <cstddef>
#include <string>

#include <tandem/cpu/isa.h>
#include <tandem/error.h>

namespace tandem::cpu::detail {

inline void require_supported(const char* op, Isa isa) {
  if (!isa_supported(isa)) {
    throw DeviceError(std::string(op) + ": the cpu." + std::string(isa_name(isa)) +
                      " path is not supported by this CPU");
  }
}

// The path's table from a family's tables in TANDEM_CPU_ISA_LIST's order
// (kernels/tables.h, k<Family>ByPath).
template <typename Table, std::size_t N>
const Table& select(const char* op, Isa isa, const Table* const (&by_path)[N]) {
  static_assert(N == kIsaCount, "one table per path");
  require_supported(op, isa);
  set_last_isa(isa);
  return *by_path[kIsaCount - 1 - static_cast<std::size_t>(isa)];
}

}  // namespace tandem::cpu::detail
