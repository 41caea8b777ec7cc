// The CPU target of the report: its measured ceilings and the studies (matmul
// scaling, block sizes, vectorization, threads, quantization), as report JSON.
#pragma once

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

namespace tandem::analyzer {

using Progress = std::function<void(const std::string& step)>;

nlohmann::json measure_cpu_target(bool quick, const Progress& progress);

}  // namespace tandem::analyzer
