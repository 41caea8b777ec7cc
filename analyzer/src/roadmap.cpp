// Recommendations derived from the report, never from assumptions: each cites the
// measurement behind it. Ranked per (profile, priority) by the size of the measured
// gap or saving.
#include <algorithm>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <tandem/analyzer/analysis.h>

namespace tandem::analyzer {
namespace {

using nlohmann::json;

// Which deployments a finding speaks to: whole-machine throughput (all threads),
// one core (small devices, latency), or both.
enum class Scope { all_threads, one_thread, any };

struct Finding {
  double weight;  // larger first
  std::string recommendation;
  std::string evidence;
  Scope scope = Scope::any;
};

// Roofline gaps: the kernels furthest below their ceiling.
// Only the CPU path the dispatcher runs by default (in_use) gets advice: the others
// are fallbacks, and the reference is the correctness oracle, slow by design.
std::vector<Finding> performance_findings(const json& target, const std::string& in_use) {
  std::vector<Finding> out;
  for (const json& p : target.value("roofline", json::array())) {
    const double achieved = p["gflops"].get<double>();
    const double ceiling = p["ceiling_gflops"].get<double>();
    const std::string impl = p["implementation"].get<std::string>();
    if (ceiling <= 0 || impl == "reference" || (impl.starts_with("cpu.") && impl != in_use)) {
      continue;
    }
    const double share = achieved / ceiling;
    out.push_back(
        {1.0 - share,
         fmt::format("{}: {:.0f}% of its ceiling; {}", p["kernel"].get<std::string>(), 100 * share,
                     p["bound"] == "memory"
                         ? "memory-bound: fuse it with its neighbours or cut its bytes "
                           "rather than its flops"
                         : "compute-bound: the gap is in the kernel (blocking, "
                           "vector width, threads)"),
         fmt::format("roofline {}: {:.2f} GFLOP/s at {:.3f} flop/byte, ceiling {:.2f} "
                     "GFLOP/s ({} roof)",
                     p["kernel"].get<std::string>(), achieved, p["intensity"].get<double>(),
                     ceiling, p["bound"] == "memory" ? p["level"].get<std::string>() : "compute"),
         p["threads"].get<int>() == 1 ? Scope::one_thread : Scope::all_threads});
  }
  // Caches that cpuinfo misreports (a VM reporting its host's) size the kernels wrongly
  // until a profile carries the measured ones.
  const json caches = target["ceilings"].value("caches", json::object());
  if (!caches.empty() && caches["in_use"] != caches["effective"] &&
      caches["in_use"]["l3_bytes"] != caches["effective"]["l3_bytes"]) {
    out.push_back({0.5,
                   fmt::format("the kernels size their blocking from {} caches, not the measured "
                               "ones: run `tandem calibrate` (its profile carries them)",
                               caches["in_use"]["source"].get<std::string>()),
                   fmt::format("caches: {}", caches["notes"].dump())});
  }
  // Threads that do not pay (where the kernel split; flagged rows are not claims).
  for (const json& t : target.value("threads", json::array())) {
    if (t["threads_used"].get<int>() > 1 && t["flag"].is_null() &&
        t["efficiency"].get<double>() < 0.6) {
      out.push_back({0.6 - t["efficiency"].get<double>(),
                     fmt::format("{} at {}: {} threads give {:.2f}x; on this machine run it on "
                                 "fewer threads or batch more work per call",
                                 t["op"].get<std::string>(), t["shape"].get<std::string>(),
                                 t["threads_used"].get<int>(), t["speedup"].get<double>()),
                     fmt::format("threads {} {} t{}: efficiency {:.2f}", t["op"].get<std::string>(),
                                 t["shape"].get<std::string>(), t["threads"].get<int>(),
                                 t["efficiency"].get<double>()),
                     Scope::all_threads});
    }
  }
  return out;
}

const json* quant_row(const json& target, const std::string& op, int bits) {
  if (!target.contains("quantization")) return nullptr;
  for (const json& q : target["quantization"]) {
    if (q["op"] == op && q["bits"] == bits) return &q;
  }
  return nullptr;
}

// Memory saved by quantization, as the API delivers it: a tensor stored quantized
// (quantize() -> QuantizedTensor), relu on quantized data, a layer's weights prepared
// as QuantizedWeights. Each finding's score is the fraction saved, from the rows.
std::vector<Finding> memory_findings(const json& target) {
  std::vector<Finding> out;
  for (const int bits : {8, 16}) {
    const json* q = quant_row(target, "quantize", bits);
    if (q == nullptr) continue;
    const double f32 = 4.0 * std::stod(q->at("shape").get<std::string>());
    const double saving = 1.0 - q->at("stored_bytes").get<double>() / f32;
    out.push_back(
        {saving,
         fmt::format("store tensors quantized to {} bits (tandem::quantize, a QuantizedTensor): "
                     "{:.0f}% less memory than f32, at a round-trip max relative error of {:.2e}",
                     bits, 100 * saving, q->at("max_rel_error").get<double>()),
         fmt::format("quantization quantize {} bits {}: {} stored bytes vs {:.0f} in f32", bits,
                     q->at("shape").get<std::string>(), q->at("stored_bytes").get<std::int64_t>(),
                     f32)});
  }
  for (const char* op : {"matmul", "relu"}) {
    const json* f32 = quant_row(target, op, 32);
    const json* q8 = quant_row(target, op, 8);
    if (f32 == nullptr || q8 == nullptr) continue;
    const double ratio =
        q8->at("time_us")["median"].get<double>() / f32->at("time_us")["median"].get<double>();
    const bool matmul = std::string(op) == "matmul";
    // The layer saves storage (W kept quantized); relu saves traffic (bytes moved).
    const char* measure = matmul ? "stored_bytes" : "bytes";
    const auto b8 = q8->at(measure).get<std::int64_t>(), b32 = f32->at(measure).get<std::int64_t>();
    const double saving = 1.0 - static_cast<double>(b8) / static_cast<double>(b32);
    out.push_back(
        {saving,
         matmul
             ? fmt::format("keep a layer's weights as 8-bit QuantizedWeights (quantized_linear): "
                           "{:.0f}% less memory for W than f32, in {:.2f}x the f32 matmul's "
                           "time",
                           100 * saving, ratio)
             : fmt::format("run relu on 8-bit data (quantized_relu of a QuantizedTensor): "
                           "{:.0f}% less memory traffic than f32 relu, in {:.2f}x its time",
                           100 * saving, ratio),
         fmt::format("quantization {} {}: {} {} at 8 bits vs {} at 32", op,
                     q8->at("shape").get<std::string>(), b8, measure, b32)});
  }
  return out;
}

// Error: the precision to keep where accuracy matters.
std::vector<Finding> accuracy_findings(const json& target) {
  std::vector<Finding> out;
  for (const char* op : {"matmul", "relu"}) {
    const json* q8 = quant_row(target, op, 8);
    const json* q16 = quant_row(target, op, 16);
    if (q8 == nullptr || q16 == nullptr) continue;
    const double e8 = q8->at("max_rel_error").get<double>();
    const double e16 = q16->at("max_rel_error").get<double>();
    out.push_back({e8,
                   fmt::format("{}: 8 bits err {:.2e}, 16 bits {:.2e}; {}", op, e8, e16,
                               e8 > 1e-2 ? "keep 16 bits (or f32) where a 1% error matters"
                                         : "8 bits stays within 1% here"),
                   fmt::format("quantization {} {}: max_rel_error 8 bits {:.3e}, 16 bits {:.3e}",
                               op, q8->at("shape").get<std::string>(), e8, e16)});
  }
  return out;
}

}  // namespace

json roadmap(const json& report) {
  json out = json::array();
  // What each profile cares about first: ordering of the priorities' findings.
  struct Profile {
    const char* name;
    const char* focus;  // appended to the recommendation: why it matters there
    Scope scope;        // the findings that speak to it (and those of any scope)
  };
  const Profile profiles[] = {{"cloud", "throughput per server", Scope::all_threads},
                              {"edge", "memory and single-core latency", Scope::one_thread},
                              {"mobile", "memory traffic, hence energy", Scope::one_thread}};
  for (const json& target : report["targets"]) {
    const std::string device = target["device"].get<std::string>();
    const std::pair<const char*, std::vector<Finding>> priorities[] = {
        {"performance",
         performance_findings(target,
                              "cpu." + report["system"]["cpu"]["path_in_use"].get<std::string>())},
        {"memory", memory_findings(target)},
        {"accuracy", accuracy_findings(target)}};
    for (const Profile& profile : profiles) {
      for (const auto& [priority, found] : priorities) {
        std::vector<Finding> sorted = found;
        std::stable_sort(sorted.begin(), sorted.end(),
                         [](const Finding& a, const Finding& b) { return a.weight > b.weight; });
        int rank = 0;
        for (const Finding& f : sorted) {
          if (rank == 3) break;
          if (f.scope != Scope::any && f.scope != profile.scope) continue;
          out.push_back({{"profile", profile.name},
                         {"priority", priority},
                         {"rank", ++rank},
                         {"recommendation", fmt::format("[{}] {} (matters for {})", device,
                                                        f.recommendation, profile.focus)},
                         {"evidence", f.evidence}});
        }
      }
    }
  }
  return out;
}

}  // namespace tandem::analyzer
