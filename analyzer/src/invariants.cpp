// The invariants a report must satisfy before `tandem analyze` writes it: physical
// ones that hold on every machine (nothing measured beats the ceiling measured for it,
// a farther memory level is never faster), and the report's own consistency (a roof
// is the product it says it is). They bound medians by the best samples of the
// ceilings, plus kSlack for timer granularity (kMemorySlack under a memory roof).
#include <algorithm>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <tandem/analyzer/analysis.h>

namespace tandem::analyzer {
namespace {

using nlohmann::json;

constexpr double kSlack = 1.05;
// A memory roof is the best of the sweep's two access patterns (one read stream, one
// copy), a lower bound of what the level delivers: relu with streaming stores on 2
// threads was measured 11% above the copy's best sample on the Zen 4 VM. A memory-bound
// point may exceed its roof by this much; beyond it the point sits in the wrong level.
constexpr double kMemorySlack = 1.25;

double num(const json& j, const char* key) { return j.at(key).get<double>(); }

void measurements(const json& node, const std::string& path, std::vector<std::string>& out) {
  if (node.is_object()) {
    if (node.contains("median") && node.contains("min") && node.contains("max")) {
      const double lo = num(node, "min"), mid = num(node, "median"), hi = num(node, "max");
      if (!(lo >= 0 && lo <= mid && mid <= hi)) {
        out.push_back(
            fmt::format("{}: 0 <= min {} <= median {} <= max {} does not hold", path, lo, mid, hi));
      }
      return;
    }
    for (const auto& [key, value] : node.items()) measurements(value, path + "." + key, out);
  } else if (node.is_array()) {
    for (std::size_t i = 0; i < node.size(); ++i) {
      measurements(node[i], fmt::format("{}[{}]", path, i), out);
    }
  }
}

// The bandwidth level rows of one thread count: the largest count not above `threads`.
std::vector<const json*> levels_at(const json& levels, int threads) {
  int chosen = 0;
  for (const json& l : levels) {
    const int t = l.at("threads").get<int>();
    if (t <= threads) chosen = std::max(chosen, t);
  }
  std::vector<const json*> out;
  for (const json& l : levels) {
    if (l.at("threads").get<int>() == chosen) out.push_back(&l);
  }
  std::sort(out.begin(), out.end(), [](const json* a, const json* b) {
    return a->at("from_bytes").get<std::int64_t>() < b->at("from_bytes").get<std::int64_t>();
  });
  return out;
}

void check_levels(const json& target, const std::string& where, std::vector<std::string>& out) {
  const json& levels = target.at("ceilings").at("bandwidth_levels");
  std::vector<int> counts;
  for (const json& l : levels) counts.push_back(l.at("threads").get<int>());
  std::sort(counts.begin(), counts.end());
  counts.erase(std::unique(counts.begin(), counts.end()), counts.end());
  for (const int threads : counts) {
    const std::vector<const json*> rows = levels_at(levels, threads);
    for (std::size_t i = 1; i < rows.size(); ++i) {
      const json &near = *rows[i - 1], &far = *rows[i];
      if (num(far, "gbps") > num(near, "gbps")) {
        out.push_back(
            fmt::format("{}: {} reads at {:.2f} GB/s, faster than {} at {:.2f} ({} threads)", where,
                        far.at("level").get<std::string>(), num(far, "gbps"),
                        near.at("level").get<std::string>(), num(near, "gbps"), threads));
      }
      if (far.at("from_bytes").get<std::int64_t>() <= near.at("to_bytes").get<std::int64_t>()) {
        out.push_back(fmt::format("{}: levels {} and {} overlap ({} threads)", where,
                                  near.at("level").get<std::string>(),
                                  far.at("level").get<std::string>(), threads));
      }
    }
    for (const json* l : rows) {
      if (num(*l, "roof_gbps") != std::max(num(*l, "gbps"), num(*l, "copy_gbps")) ||
          num(*l, "roof_gbps") > num(*l, "max_gbps")) {
        out.push_back(fmt::format("{}: level {} roof {} is not max(read, copy) <= best sample {}",
                                  where, l->at("level").get<std::string>(), num(*l, "roof_gbps"),
                                  num(*l, "max_gbps")));
      }
    }
  }
}

// The FMA peak row of an implementation at a thread count, or null.
const json* fma_row(const json& target, const std::string& implementation, int threads) {
  for (const json& row : target.at("ceilings").at("fma_peak")) {
    if (row.at("implementation") == implementation && row.at("threads").get<int>() == threads) {
      return &row;
    }
  }
  return nullptr;
}

void check_roofline(const json& target, const std::string& where, std::vector<std::string>& out) {
  const json& levels = target.at("ceilings").at("bandwidth_levels");
  for (const json& p : target.value("roofline", json::array())) {
    const std::string name =
        fmt::format("{}.roofline {}", where, p.at("kernel").get<std::string>());
    const double gflops = num(p, "gflops");
    const double slack = p.at("bound") == "memory" ? kMemorySlack : kSlack;
    if (gflops > slack * num(p, "roof_max_gflops")) {
      out.push_back(
          fmt::format("{}: {:.2f} GFLOP/s exceeds its roof ({:.2f} from the best samples)", name,
                      gflops, num(p, "roof_max_gflops")));
    }
    const double ceiling = std::min(num(p, "compute_roof_gflops"), num(p, "memory_roof_gflops"));
    if (num(p, "ceiling_gflops") != ceiling) {
      out.push_back(fmt::format("{}: ceiling {} is not min(compute roof, memory roof) = {}", name,
                                num(p, "ceiling_gflops"), ceiling));
    }
    if (p.at("level").is_null()) continue;
    for (const json* l : levels_at(levels, p.at("threads").get<int>())) {
      if (l->at("level") != p.at("level")) continue;
      const double want = num(p, "intensity") * num(*l, "roof_gbps");
      if (std::abs(num(p, "memory_roof_gflops") - want) > 1e-9 * want) {
        out.push_back(fmt::format("{}: memory roof {} is not intensity x the {} rate = {}", name,
                                  num(p, "memory_roof_gflops"), l->at("level").get<std::string>(),
                                  want));
      }
    }
  }
}

void check_studies(const json& target, const std::string& where, std::vector<std::string>& out) {
  for (const json& m : target.value("matmul_scaling", json::array())) {
    if (!m.contains("peak_of")) continue;
    const json* peak =
        fma_row(target, m.at("peak_of").get<std::string>(), m.at("threads").get<int>());
    if (peak != nullptr && num(m, "gflops") > kSlack * num(peak->at("gflops"), "max")) {
      out.push_back(
          fmt::format("{}.matmul_scaling {} n={}: {:.2f} GFLOP/s exceeds the FMA peak {:.2f}",
                      where, m.at("implementation").get<std::string>(), m.at("n").get<int>(),
                      num(m, "gflops"), num(peak->at("gflops"), "max")));
    }
  }
  for (const json& t : target.value("threads", json::array())) {
    if (!(num(t, "speedup") > 0) || t.at("threads_used").get<int>() > t.at("threads").get<int>()) {
      out.push_back(fmt::format("{}.threads {} t{}: speedup {} or threads_used {} impossible",
                                where, t.at("op").get<std::string>(), t.at("threads").get<int>(),
                                num(t, "speedup"), t.at("threads_used").get<int>()));
    }
  }
  std::vector<std::int64_t> sizes;
  for (const json& b : target.value("block_sweep", json::array())) {
    if (b.at("default").get<bool>()) sizes.push_back(b.at("n").get<std::int64_t>());
  }
  for (const json& b : target.value("block_sweep", json::array())) {
    if (std::count(sizes.begin(), sizes.end(), b.at("n").get<std::int64_t>()) != 1) {
      out.push_back(fmt::format("{}.block_sweep n={}: not exactly one default row", where,
                                b.at("n").get<std::int64_t>()));
      break;
    }
  }
}

}  // namespace

std::vector<std::string> report_violations(const json& report) {
  std::vector<std::string> out;
  try {
    const json& targets = report.at("targets");
    for (std::size_t t = 0; t < targets.size(); ++t) {
      const json& target = targets[t];
      const std::string where =
          fmt::format("targets[{}] ({})", t, target.at("device").get<std::string>());
      measurements(target, where, out);
      check_levels(target, where, out);
      check_roofline(target, where, out);
      check_studies(target, where, out);
    }
  } catch (const json::exception& e) {
    out.push_back(std::string("the report is malformed: ") + e.what());
  }
  return out;
}

}  // namespace tandem::analyzer
