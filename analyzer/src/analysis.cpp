// analyze(): the targets, the noise count and the roadmap in one document; and its
// Markdown and terminal forms.
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <string>

#include <fmt/format.h>

#include <tandem/analyzer/analysis.h>
#include <tandem/analyzer/system_report.h>
#include <tandem/cpu/cpu_info.h>
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

std::string bytes(const json& b) {
  if (b.is_null()) return "-";
  const auto v = b.get<double>();
  if (v >= 1 << 30) return fmt::format("{:g} GiB", v / (1 << 30));
  if (v >= 1 << 20) return fmt::format("{:g} MiB", v / (1 << 20));
  return fmt::format("{:g} KiB", v / 1024);
}

// The 1, 5 and 15 minute load averages: a busy machine measures low.
json load_average() {
  double load[3] = {0, 0, 0};
  if (getloadavg(load, 3) != 3) return nullptr;
  return json::array({load[0], load[1], load[2]});
}

}  // namespace

json analyze(const AnalyzeOptions& options) {
  const int gpus = cuda::device_count();
  require_device(options.device, "analyze");
  const json load_start = load_average();
  const NoiseCount before = noise_count();  // this report's measurements only
  json report = {
      {"schema", "tandem-report"}, {"version", 2},
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
                     {"measurements", noise.measurements - before.measurements},
                     {"unstable", noise.unstable - before.unstable},
                     {"hardware_threads", cpu::cpu_info().processors},
                     {"load_average_start", load_start},
                     {"load_average_end", load_average()}};
  report["roadmap"] = roadmap(report);
  return report;
}

std::string format_markdown(const json& r) {
  std::string md = fmt::format(
      "# Tandem report\n\n{} on {}, Tandem {}{}.\n\n", r["created"].get<std::string>(),
      r["system"]["cpu"]["model"].get<std::string>(), r["tandem_version"].get<std::string>(),
      r["quick"].get<bool>() ? " (--quick)" : "");
  const json& noise = r["noise"];
  md += fmt::format("Noise: {} of {} measurements unstable ({}); they are marked (!) below.",
                    noise["unstable"].get<int>(), noise["measurements"].get<int>(),
                    noise["rule"].get<std::string>());
  if (noise["load_average_start"].is_array() && noise["load_average_end"].is_array()) {
    md += fmt::format(
        " Load average (1 min) {:.2f} at the start and {:.2f} at the end, on {} "
        "hardware threads{}.",
        noise["load_average_start"][0].get<double>(), noise["load_average_end"][0].get<double>(),
        noise["hardware_threads"].get<int>(),
        noise["load_average_start"][0].get<double>() > 0.5 ? ": the machine was busy" : "");
  }
  md += "\n";
  for (const json& t : r["targets"]) {
    const json& c = t["ceilings"];
    md += fmt::format(
        "\n## {} ({})\n\n### Compute ceilings\n\n| FMA peak | threads | median GFLOP/s | best "
        "|\n|---|---|---|---|\n",
        t["device"].get<std::string>(), t["name"].get<std::string>());
    for (const json& p : c["fma_peak"]) {
      md += fmt::format("| {} | {} | {} | {:.1f} |\n", p["implementation"].get<std::string>(),
                        p["threads"].get<int>(), us(p["gflops"]), p["gflops"]["max"].get<double>());
    }
    if (!c.value("int8_peak", json::array()).empty()) {
      md += "\n| int8 peak | threads | median GOP/s | best |\n|---|---|---|---|\n";
      for (const json& p : c["int8_peak"]) {
        md += fmt::format("| {} | {} | {} | {:.1f} |\n", p["implementation"].get<std::string>(),
                          p["threads"].get<int>(), us(p["gops"]), p["gops"]["max"].get<double>());
      }
    }
    md +=
        "\n### Memory levels (from the bandwidth sweep)\n\n| level | threads | plateau (per "
        "thread) | read GB/s | copy GB/s | cpuinfo | agrees |\n|---|---|---|---|---|---|---|\n";
    for (const json& l : c["bandwidth_levels"]) {
      md += fmt::format("| {} | {} | {} - {} | {:.1f} | {:.1f} | {} | {} |\n",
                        l["level"].get<std::string>(), l["threads"].get<int>(),
                        bytes(l["from_bytes"]), bytes(l["to_bytes"]), l["gbps"].get<double>(),
                        l["copy_gbps"].get<double>(), bytes(l.value("cpuinfo_bytes", json())),
                        !l.contains("agrees_with_cpuinfo")     ? "-"
                        : l["agrees_with_cpuinfo"].get<bool>() ? "yes"
                                                               : "**no**");
    }
    if (c.contains("caches")) {
      const json& k = c["caches"];
      md += fmt::format(
          "\nCache sizes measured: L1 {}, L2 {}, L3 {} (cpuinfo: {}, {}, {}). The kernels use {}, "
          "{}, {} ({}).\n",
          bytes(k["effective"]["l1d_bytes"]), bytes(k["effective"]["l2_bytes"]),
          bytes(k["effective"]["l3_bytes"]), bytes(k["cpuinfo"]["l1d_bytes"]),
          bytes(k["cpuinfo"]["l2_bytes"]), bytes(k["cpuinfo"]["l3_bytes"]),
          bytes(k["in_use"]["l1d_bytes"]), bytes(k["in_use"]["l2_bytes"]),
          bytes(k["in_use"]["l3_bytes"]), k["in_use"]["source"].get<std::string>());
      for (const json& note : k["notes"]) md += "- " + note.get<std::string>() + "\n";
    }
    if (t.contains("matmul_scaling")) {
      md +=
          "\n### Matmul scaling\n\n| implementation | n | threads | median us | GFLOP/s | % of "
          "peak |\n|---|---|---|---|---|---|\n";
      for (const json& m : t["matmul_scaling"]) {
        md += fmt::format("| {} | {} | {} | {} | {:.2f} | {:.1f}% of {} |\n",
                          m["implementation"].get<std::string>(), m["n"].get<int>(),
                          m["threads"].get<int>(), us(m["time_us"]), m["gflops"].get<double>(),
                          m["percent_of_peak"].get<double>(), m["peak_of"].get<std::string>());
      }
    }
    if (t.contains("block_sweep")) {
      md +=
          "\n### GEMM block sizes (the blocks that ran, after the driver's clamping)\n\n| n | "
          "threads | requested mc, kc, nc | ran mc | kc | nc | median us | GFLOP/s "
          "|\n|---|---|---|---|---|---|---|---|\n";
      for (const json& b : t["block_sweep"]) {
        const json& q = b["requested"];
        md += fmt::format(
            "| {} | {} | {} | {} | {} | {} | {} | {:.2f}{} |\n", b["n"].get<int>(),
            b["threads"].get<int>(),
            b["default"].get<bool>() ? std::string("defaults")
                                     : fmt::format("{}, {}, {}", q["mc"].get<int>(),
                                                   q["kc"].get<int>(), q["nc"].get<int>()),
            b["mc"].get<int>(), b["kc"].get<int>(), b["nc"].get<int>(), us(b["time_us"]),
            b["gflops"].get<double>(),
            b["best"].get<bool>() ? " **best: beats the defaults beyond the noise**" : "");
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
          "\n### Thread scaling\n\n| op | shape | threads | ran on | median us | speedup | "
          "efficiency | flag |\n|---|---|---|---|---|---|---|---|\n";
      for (const json& v : t["threads"]) {
        md += fmt::format("| {} | {} | {} | {} | {} | {:.2f}x | {:.2f} | {} |\n",
                          v["op"].get<std::string>(), v["shape"].get<std::string>(),
                          v["threads"].get<int>(), v["threads_used"].get<int>(), us(v["time_us"]),
                          v["speedup"].get<double>(), v["efficiency"].get<double>(),
                          v["flag"].is_null() ? std::string() : v["flag"].get<std::string>());
      }
      for (const json& p : t["threading_pays_from"]) {
        md += fmt::format(
            "\nThreads pay for {} from {} elements (the kernel splits from {} elements).\n",
            p["op"].get<std::string>(),
            p["elements"].is_null() ? std::string("no measured size")
                                    : std::to_string(p["elements"].get<std::int64_t>()),
            p["splits_from"].is_null() ? std::string("no measured size")
                                       : std::to_string(p["splits_from"].get<std::int64_t>()));
      }
    }
    if (t.contains("quantization")) {
      md +=
          "\n### Quantization (bytes: read and written by the call as the API takes it; "
          "stored: W as kept for matmul, the result's size otherwise; 8-bit matmul: "
          "quantized_linear with prepared weights on int8 x; 8/16-bit relu: int8/int16 in and "
          "out; ran on: the layer's weights' implementation)\n\n| op | shape | bits | ran on | "
          "median us | GOP/s | bytes | stored | MSE | max rel. error |\n"
          "|---|---|---|---|---|---|---|---|---|---|\n";
      for (const json& q : t["quantization"]) {
        md += fmt::format(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {:.3e} | {:.3e} |\n",
            q["op"].get<std::string>(), q["shape"].get<std::string>(), q["bits"].get<int>(),
            q.value("implementation", std::string("-")), us(q["time_us"]),
            q.contains("gops") ? fmt::format("{:.1f}", q["gops"].get<double>()) : std::string("-"),
            bytes(q["bytes"]), bytes(q["stored_bytes"]), q["mse"].get<double>(),
            q["max_rel_error"].get<double>());
      }
    }
    if (t.contains("roofline")) {
      md +=
          "\n### Roofline (each kernel against the memory level its working set lives in)\n\n| "
          "kernel | threads | working set | level | flop/byte | GFLOP/s | roof | bound | share "
          "|\n|---|---|---|---|---|---|---|---|---|\n";
      for (const json& p : t["roofline"]) {
        md += fmt::format("| {} | {} | {} | {} | {:.3f} | {:.2f} | {:.2f} | {} | {:.0f}% |\n",
                          p["kernel"].get<std::string>(), p["threads"].get<int>(),
                          bytes(p["working_set_bytes"]),
                          p["level"].is_null() ? std::string("-") : p["level"].get<std::string>(),
                          p["intensity"].get<double>(), p["gflops"].get<double>(),
                          p["ceiling_gflops"].get<double>(), p["bound"].get<std::string>(),
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
        "{} ({}): compute {:.1f} GFLOP/s, memory {:.1f} GB/s, top bandwidth {:.1f} GB/s "
        "(medians)\n",
        t["device"].get<std::string>(), t["name"].get<std::string>(),
        c["compute_gflops"].get<double>(), c["memory_gbps"].get<double>(),
        c["top_bandwidth_gbps"].get<double>());
    if (c.contains("caches")) {
      for (const json& note : c["caches"]["notes"]) {
        out += "  caches: " + note.get<std::string>() + "\n";
      }
    }
    const json* best = nullptr;
    const json& scaling = t.contains("matmul_scaling") ? t["matmul_scaling"] : json::array();
    for (const json& m : scaling) {
      if (best == nullptr || m["gflops"].get<double>() > (*best)["gflops"].get<double>()) best = &m;
    }
    if (best != nullptr) {
      out +=
          fmt::format("  best matmul: {:.1f} GFLOP/s ({} at n = {}, {:.0f}% of peak)\n",
                      (*best)["gflops"].get<double>(), (*best)["implementation"].get<std::string>(),
                      (*best)["n"].get<int>(), (*best)["percent_of_peak"].get<double>());
    }
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
