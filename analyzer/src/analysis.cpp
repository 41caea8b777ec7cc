// analyze(): the targets, the noise count and the roadmap in one document; and its
// Markdown and terminal forms.
#include <chrono>
#include <ctime>
#include <string>

#include <fmt/format.h>

#include <tandem/analyzer/analysis.h>
#include <tandem/analyzer/system_report.h>
#include <tandem/cuda/runtime.h>
#include <tandem/error.h>
#include <tandem/version.h>

#include "cpu_target.h"
#include "gpu_target.h"
#include "measure.h"

namespace tandem::analyzer {
namespace {

using nlohmann::json;

std::string utc_now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

std::string us(const json& m) {
  return fmt::format("{:.1f}{}", m["median"].get<double>(),
                     m["unstable"].get<bool>() ? " (!)" : "");
}

}  // namespace

json analyze(const AnalyzeOptions& options) {
  const int gpus = cuda::device_count();
  if (options.device && options.device->is_cuda() && options.device->index >= gpus) {
    throw DeviceError("analyze: " + options.device->str() + " requested, but " +
                      (gpus == 0 ? "there is no GPU: " + cuda::unavailable_reason()
                                 : fmt::format("there are {} GPUs", gpus)));
  }
  json report = {
      {"schema", "tandem-report"}, {"version", 1},
      {"created", utc_now()},      {"tandem_version", TANDEM_VERSION_STRING},
      {"quick", options.quick},    {"system", json::parse(format_json(collect_system_report()))}};
  json targets = json::array();
  if (!options.device || options.device->is_cpu()) {
    targets.push_back(measure_cpu_target(options.quick, options.progress));
  }
  for (int g = 0; g < gpus; ++g) {
    if (options.device && *options.device != Device::cuda(g)) continue;
    targets.push_back(measure_gpu_target(g, options.quick, options.progress));
  }
  report["targets"] = targets;
  const NoiseCount noise = noise_count();
  report["noise"] = {{"rule", unstable_rule()},
                     {"measurements", noise.measurements},
                     {"unstable", noise.unstable}};
  report["roadmap"] = roadmap(report);
  return report;
}

std::string format_markdown(const json& r) {
  std::string md = fmt::format(
      "# Tandem report\n\n{} on {}, Tandem {}{}.\n\n", r["created"].get<std::string>(),
      r["system"]["cpu"]["model"].get<std::string>(), r["tandem_version"].get<std::string>(),
      r["quick"].get<bool>() ? " (--quick)" : "");
  md += fmt::format("Noise: {} of {} measurements unstable ({}); they are marked (!) below.\n",
                    r["noise"]["unstable"].get<int>(), r["noise"]["measurements"].get<int>(),
                    r["noise"]["rule"].get<std::string>());
  for (const json& t : r["targets"]) {
    const json& c = t["ceilings"];
    md += fmt::format(
        "\n## {} ({})\n\n### Ceilings\n\n| measure | threads | median | unit "
        "|\n|---|---|---|---|\n",
        t["device"].get<std::string>(), t["name"].get<std::string>());
    for (const json& p : c["fma_peak"]) {
      md += fmt::format("| FMA peak {} | {} | {} | GFLOP/s |\n",
                        p["implementation"].get<std::string>(), p["threads"].get<int>(),
                        us(p["gflops"]));
    }
    for (const json& l : c["bandwidth_levels"]) {
      md += fmt::format("| read bandwidth {} ({} KiB per thread) | {} | {:.1f} | GB/s |\n",
                        l["level"].get<std::string>(),
                        l["working_set_bytes"].get<std::int64_t>() / 1024, l["threads"].get<int>(),
                        l["gbps"].get<double>());
    }
    if (t.contains("matmul_scaling")) {
      md +=
          "\n### Matmul scaling\n\n| implementation | n | median us | GFLOP/s | efficiency vs "
          "O(n^3) |\n|---|---|---|---|---|\n";
      for (const json& m : t["matmul_scaling"]) {
        md +=
            fmt::format("| {} | {} | {} | {:.2f} | {:.2f} |\n",
                        m["implementation"].get<std::string>(), m["n"].get<int>(), us(m["time_us"]),
                        m["gflops"].get<double>(), m["scaling_efficiency"].get<double>());
      }
    }
    if (t.contains("block_sweep")) {
      md +=
          "\n### GEMM block sizes (best marked)\n\n| n | mc | kc | nc | median us | GFLOP/s "
          "|\n|---|---|---|---|---|---|\n";
      for (const json& b : t["block_sweep"]) {
        md += fmt::format("| {} | {} | {} | {} | {} | {:.2f}{} |\n", b["n"].get<int>(),
                          b["mc"].get<int>(), b["kc"].get<int>(), b["nc"].get<int>(),
                          us(b["time_us"]), b["gflops"].get<double>(),
                          b["best"].get<bool>() ? " **best**" : "");
      }
    }
    if (t.contains("vectorization")) {
      md +=
          "\n### Vectorization (one thread, 64K elements)\n\n| op | implementation | median us | "
          "speedup vs reference |\n|---|---|---|---|\n";
      for (const json& v : t["vectorization"]) {
        md += fmt::format("| {} | {} | {} | {:.2f}x |\n", v["op"].get<std::string>(),
                          v["implementation"].get<std::string>(), us(v["time_us"]),
                          v["speedup_vs_reference"].get<double>());
      }
    }
    if (t.contains("threads")) {
      md +=
          "\n### Thread scaling\n\n| op | shape | threads | median us | speedup | efficiency "
          "|\n|---|---|---|---|---|---|\n";
      for (const json& v : t["threads"]) {
        md += fmt::format("| {} | {} | {} | {} | {:.2f}x | {:.2f} |\n", v["op"].get<std::string>(),
                          v["shape"].get<std::string>(), v["threads"].get<int>(), us(v["time_us"]),
                          v["speedup"].get<double>(), v["efficiency"].get<double>());
      }
      for (const json& p : t["threading_pays_from"]) {
        md += fmt::format("\nThreads pay for {} from {} elements.\n", p["op"].get<std::string>(),
                          p["elements"].is_null()
                              ? std::string("no measured size")
                              : std::to_string(p["elements"].get<std::int64_t>()));
      }
    }
    if (t.contains("quantization")) {
      md +=
          "\n### Quantization\n\n| op | shape | bits | median us | MSE | max rel. error | bytes "
          "|\n|---|---|---|---|---|---|---|\n";
      for (const json& q : t["quantization"]) {
        md += fmt::format("| {} | {} | {} | {} | {:.3e} | {:.3e} | {} |\n",
                          q["op"].get<std::string>(), q["shape"].get<std::string>(),
                          q["bits"].get<int>(), us(q["time_us"]), q["mse"].get<double>(),
                          q["max_rel_error"].get<double>(), q["bytes"].get<std::int64_t>());
      }
    }
    if (t.contains("roofline")) {
      md +=
          "\n### Roofline\n\n| kernel | flop/byte | GFLOP/s | ceiling | share "
          "|\n|---|---|---|---|---|\n";
      for (const json& p : t["roofline"]) {
        md += fmt::format("| {} | {:.3f} | {:.2f} | {:.2f} | {:.0f}% |\n",
                          p["kernel"].get<std::string>(), p["intensity"].get<double>(),
                          p["gflops"].get<double>(), p["ceiling_gflops"].get<double>(),
                          100 * p["gflops"].get<double>() / p["ceiling_gflops"].get<double>());
      }
    }
  }
  md +=
      "\n## Roadmap\n\n| profile | priority | # | recommendation | evidence "
      "|\n|---|---|---|---|---|\n";
  for (const json& x : r["roadmap"]) {
    md += fmt::format("| {} | {} | {} | {} | {} |\n", x["profile"].get<std::string>(),
                      x["priority"].get<std::string>(), x["rank"].get<int>(),
                      x["recommendation"].get<std::string>(), x["evidence"].get<std::string>());
  }
  return md;
}

std::string format_summary(const json& r) {
  std::string out;
  for (const json& t : r["targets"]) {
    const json& c = t["ceilings"];
    out += fmt::format(
        "{} ({}): compute {:.1f} GFLOP/s, memory {:.1f} GB/s, top bandwidth {:.1f} GB/s\n",
        t["device"].get<std::string>(), t["name"].get<std::string>(),
        c["compute_gflops"].get<double>(), c["memory_gbps"].get<double>(),
        c["top_bandwidth_gbps"].get<double>());
    double best = 0;
    std::string best_name;
    for (const json& m : t.value("matmul_scaling", json::array())) {
      if (m["gflops"].get<double>() > best) {
        best = m["gflops"].get<double>();
        best_name =
            fmt::format("{} at n = {}", m["implementation"].get<std::string>(), m["n"].get<int>());
      }
    }
    if (!best_name.empty())
      out += fmt::format("  best matmul: {:.1f} GFLOP/s ({})\n", best, best_name);
  }
  out += fmt::format("  noise: {} of {} measurements unstable\n", r["noise"]["unstable"].get<int>(),
                     r["noise"]["measurements"].get<int>());
  int shown = 0;
  for (const json& x : r["roadmap"]) {
    if (x["profile"] != "cloud" || x["rank"] != 1) continue;
    out += fmt::format("  {}: {}\n", x["priority"].get<std::string>(),
                       x["recommendation"].get<std::string>());
    if (++shown == 3) break;
  }
  return out;
}

}  // namespace tandem::analyzer
