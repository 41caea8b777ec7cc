#include <algorithm>

#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include <tandem/analyzer/system_report.h>
#include <tandem/cost_model.h>
#include <tandem/timing.h>
#include <tandem/version.h>

namespace tandem::analyzer {
namespace {

std::string bytes_string(std::int64_t bytes) {
  if (bytes == 0) return "none";
  if (bytes % (1 << 20) == 0) return fmt::format("{} MiB", bytes >> 20);
  if (bytes % (1 << 10) == 0) return fmt::format("{} KiB", bytes >> 10);
  return fmt::format("{} B", bytes);
}

std::string device_kind_name(DeviceKind kind) { return kind == DeviceKind::cpu ? "cpu" : "cuda"; }

std::vector<std::string> isa_list(const cpu::CpuInfo& c) {
  const std::pair<bool, const char*> flags[] = {
      {c.sse4_2, "sse4.2"},
      {c.avx, "avx"},
      {c.avx2, "avx2"},
      {c.fma3, "fma3"},
      {c.avx512f, "avx512f"},
      {c.avx512bw, "avx512bw"},
      {c.avx512dq, "avx512dq"},
      {c.avx512vl, "avx512vl"},
      {c.avx512vnni, "avx512vnni"},
      {cpu::has_avx_vnni(), "avx-vnni"},
      {cpu::has_amx_int8(), "amx-int8"}};  // usable: the OS granted the tile state
  std::vector<std::string> out;
  for (const auto& [has, name] : flags) {
    if (has) out.emplace_back(name);
  }
  return out;
}

std::vector<std::string> path_names(const std::vector<cpu::Isa>& isas) {
  std::vector<std::string> out;
  for (const cpu::Isa isa : isas) out.emplace_back(cpu::isa_name(isa));
  return out;
}

std::string cache_line(const char* level, std::int64_t bytes, int shared_by) {
  if (bytes == 0) return fmt::format("{} none", level);
  return fmt::format("{} {} (shared by {} logical)", level, bytes_string(bytes), shared_by);
}

}  // namespace

SystemReport collect_system_report() {
  SystemReport r;
  r.version = TANDEM_VERSION_STRING;
  r.cpu = cpu::cpu_info();
  for (const cpu::Isa isa : cpu::all_isas()) {
    if (cpu::isa_supported(isa)) r.cpu_paths_supported.push_back(isa);
  }
  r.cpu_path_cap = cpu::max_isa();
  r.cpu_path_best = cpu::best_isa();
  r.built_with_cuda = cuda::built_with_cuda();
  for (int i = 0; i < cuda::device_count(); ++i) r.gpus.push_back(cuda::device_properties(i));
  r.gpu_unavailable_reason = cuda::unavailable_reason();
  r.kernels = registered_kernels();
  r.cost_model_source = cost_model().source();
  r.host_timer_overhead_us = timer_overhead_us();
  return r;
}

std::string format_text(const SystemReport& r) {
  std::string out = fmt::format("Tandem {} (CUDA kernels {})\n\nCPU\n", r.version,
                                r.built_with_cuda ? "built" : "not built");
  const cpu::CpuInfo& c = r.cpu;
  if (!c.detected) {
    out += fmt::format("  not detected: {}\n", c.error);
  } else {
    out += fmt::format("  model      {}\n", c.model);
    out += fmt::format("  cores      {} physical, {} logical\n", c.cores, c.processors);
    out += fmt::format("  ISA        {}\n", fmt::join(isa_list(c), " "));
    out += fmt::format("  caches     {}\n             {}\n             {}\n",
                       cache_line("L1d", c.l1d_bytes, c.l1d_shared_by),
                       cache_line("L2 ", c.l2_bytes, c.l2_shared_by),
                       cache_line("L3 ", c.l3_bytes, c.l3_shared_by));
  }
  out += fmt::format("  paths      built: {}; supported here: {}; cap: {}; in use: cpu.{}\n",
                     fmt::join(path_names({cpu::all_isas().begin(), cpu::all_isas().end()}), " "),
                     fmt::join(path_names(r.cpu_paths_supported), " "),
                     cpu::isa_name(r.cpu_path_cap), cpu::isa_name(r.cpu_path_best));
  out += fmt::format("  timer      {:.3f} us per timed call (steady_clock, measured median)\n",
                     r.host_timer_overhead_us);

  out += "\nGPU\n";
  if (r.gpus.empty()) out += fmt::format("  none: {}\n", r.gpu_unavailable_reason);
  for (const auto& g : r.gpus) {
    out += fmt::format(
        "  cuda:{}     {} (sm_{}{}), {} SMs at {} MHz, {} memory, {} L2, {} shared memory per "
        "SM\n",
        g.index, g.name, g.compute_major, g.compute_minor, g.sm_count, g.clock_khz / 1000,
        bytes_string(g.global_memory_bytes), bytes_string(g.l2_bytes),
        bytes_string(g.shared_memory_per_sm_bytes));
  }

  std::size_t dtype_width = 8;  // the longest dtype list, and two spaces
  for (const auto& k : r.kernels) dtype_width = std::max(dtype_width, k.dtypes.size() + 2);
  out += fmt::format(
      "\nKernels (per op and device, in the dispatcher's order of preference)\n"
      "  {:<20}{:<8}{:<{}}{:<18}{:<13}{}\n",
      "op", "device", "dtype", dtype_width, "implementation", "status", "summary");
  for (const auto& k : r.kernels) {
    out +=
        fmt::format("  {:<20}{:<8}{:<{}}{:<18}{:<13}{}{}\n", k.op, device_kind_name(k.device),
                    k.dtypes, dtype_width, k.implementation, k.available ? "ready" : "unavailable",
                    k.summary, k.available ? "" : " [" + k.unavailable_reason + "]");
  }
  out += fmt::format("\nCost model: {}\n", r.cost_model_source);
  return out;
}

std::string format_json(const SystemReport& r) {
  using nlohmann::json;
  const cpu::CpuInfo& c = r.cpu;
  json cpu_json = {{"detected", c.detected},
                   {"error", c.error},
                   {"model", c.model},
                   {"cores", c.cores},
                   {"logical_processors", c.processors},
                   {"isa", isa_list(c)},
                   {"caches",
                    {{"l1d_bytes", c.l1d_bytes},
                     {"l2_bytes", c.l2_bytes},
                     {"l3_bytes", c.l3_bytes},
                     {"l1d_shared_by", c.l1d_shared_by},
                     {"l2_shared_by", c.l2_shared_by},
                     {"l3_shared_by", c.l3_shared_by}}},
                   {"paths_supported", path_names(r.cpu_paths_supported)},
                   {"path_cap", cpu::isa_name(r.cpu_path_cap)},
                   {"path_in_use", cpu::isa_name(r.cpu_path_best)}};
  json gpus = json::array();
  for (const auto& g : r.gpus) {
    gpus.push_back(
        {{"index", g.index},
         {"name", g.name},
         {"compute_capability", fmt::format("{}.{}", g.compute_major, g.compute_minor)},
         {"sm_count", g.sm_count},
         {"clock_khz", g.clock_khz},
         {"memory_clock_khz", g.memory_clock_khz},
         {"memory_bus_bits", g.memory_bus_bits},
         {"global_memory_bytes", g.global_memory_bytes},
         {"l2_bytes", g.l2_bytes},
         {"shared_memory_per_sm_bytes", g.shared_memory_per_sm_bytes},
         {"shared_memory_per_block_optin_bytes", g.shared_memory_per_block_optin_bytes}});
  }
  json kernels = json::array();
  for (const auto& k : r.kernels) {
    kernels.push_back({{"op", k.op},
                       {"device", device_kind_name(k.device)},
                       {"dtypes", k.dtypes},
                       {"implementation", k.implementation},
                       {"summary", k.summary},
                       {"available", k.available},
                       {"unavailable_reason", k.unavailable_reason}});
  }
  const json report = {{"version", r.version},
                       {"built_with_cuda", r.built_with_cuda},
                       {"cpu", cpu_json},
                       {"gpus", gpus},
                       {"gpu_unavailable_reason", r.gpu_unavailable_reason},
                       {"kernels", kernels},
                       {"cost_model", r.cost_model_source},
                       {"host_timer_overhead_us", r.host_timer_overhead_us}};
  return report.dump(2) + "\n";
}

}  // namespace tandem::analyzer
