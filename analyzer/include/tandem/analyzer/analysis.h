// `tandem analyze` and `tandem calibrate`: measure this machine's targets and report
// (JSON schema "tandem-report" v1, docs/report.md), or write the dispatcher's cost
// profile (schema "tandem-profile" v1, tandem/cost_model.h).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <tandem/device.h>

namespace tandem::analyzer {

struct AnalyzeOptions {
  bool quick = false;            // small sizes and budgets: seconds, not minutes
  std::optional<Device> device;  // one target; nullopt: the CPU and every GPU
  // Called at the start of each step ("cpu: thread scaling").
  std::function<void(const std::string& step)> progress = [](const std::string&) {};
};

// The full report.
nlohmann::json analyze(const AnalyzeOptions& options);

// The physical invariants and the internal consistency a report must have, one message
// per violation (empty: the report holds). `tandem analyze` refuses to write a report
// that violates them.
std::vector<std::string> report_violations(const nlohmann::json& report);

// The report as Markdown (report.md) and as a short text summary for the terminal.
std::string format_markdown(const nlohmann::json& report);
std::string format_summary(const nlohmann::json& report);

// The recommendations derived from a report's measurements: for the target profiles
// cloud, edge and mobile and the priorities performance, memory and accuracy, each
// citing the measurement behind it, largest measured gap first.
nlohmann::json roadmap(const nlohmann::json& report);

// Measures every implementation of every op (batch_apply aside) that can run here at
// a few sizes, and the host<->device transfers when there is a GPU: a cost profile.
nlohmann::json calibrate(const AnalyzeOptions& options);

}  // namespace tandem::analyzer
