// A GPU target of the report: device-to-device and host<->device bandwidth, and
// matmul scaling of the CUDA SGEMMs on resident data.
#pragma once

#include <nlohmann/json.hpp>

#include "cpu_target.h"

namespace tandem::analyzer {

nlohmann::json measure_gpu_target(int device, bool quick, const Progress& progress);

}  // namespace tandem::analyzer
