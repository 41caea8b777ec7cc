// What every public kernel entry point does first: check that the path can run
// here, record it as the path that ran, and hand back that path's table.
#pragma once

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

template <typename Table>
const Table& select(const char* op, Isa isa, const Table& avx512, const Table& avx2,
                    const Table& baseline) {
  require_supported(op, isa);
  set_last_isa(isa);
  switch (isa) {
    case Isa::avx512:
      return avx512;
    case Isa::avx2:
      return avx2;
    case Isa::baseline:
      break;
  }
  return baseline;
}

}  // namespace tandem::cpu::detail
