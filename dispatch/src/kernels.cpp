#include <tandem/kernels.h>

#include "registry.h"

namespace tandem {

std::vector<KernelInfo> registered_kernels() {
  std::vector<KernelInfo> out;
  for (const detail::KernelEntry& e : detail::all_kernels()) {
    out.push_back({std::string(op_name(e.op)), e.device, std::string(op_info(e.op).dtypes),
                   e.implementation, e.summary, e.available(), e.unavailable_reason()});
  }
  return out;
}

}  // namespace tandem
