// A GPU target of the report: device-to-device and host<->device bandwidth, and
// matmul scaling of the CUDA SGEMMs on resident data.
#pragma once

#include <optional>

#include <nlohmann/json.hpp>

#include <tandem/device.h>

#include "cpu_target.h"

namespace tandem::analyzer {

nlohmann::json measure_gpu_target(int device, bool quick, const Progress& progress);

// Throws a DeviceError naming `command` when `device` is a GPU this machine lacks.
void require_device(const std::optional<Device>& device, const char* command);

}  // namespace tandem::analyzer
