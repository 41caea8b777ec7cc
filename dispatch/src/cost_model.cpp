#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <system_error>

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <tandem/cost_model.h>
#include <tandem/error.h>
#include <tandem/log.h>

namespace tandem {
namespace {

// ---- The built-in defaults (not measurements; see cost_model.h) -------------------
// A fixed cost per call plus work at a constant rate, per device kind and kind of
// work. The CPU's figures are generous and the GPU's transfers slow, so that without
// a profile only large compute-bound work leaves the host.
struct Rate {
  double overhead_us;
  double work_per_us;
};
constexpr Rate kCpuFlops{1.0, 1e5};                 // 100 GFLOP/s
constexpr Rate kCpuElements{0.5, 2e3};              // 2 G elements/s
constexpr Rate kGpuFlops{10.0, 2e7};                // 20 TFLOP/s
constexpr Rate kGpuElements{10.0, 1e5};             // 100 G elements/s
constexpr double kDefaultTransferBytesPerUs = 5e3;  // 5 GB/s each way
constexpr double kDefaultTransferLatencyUs = 20.0;

Rate default_rate(Op op, DeviceKind device) {
  const bool flops = counts_flops(op);
  if (device == DeviceKind::cpu) return flops ? kCpuFlops : kCpuElements;
  return flops ? kGpuFlops : kGpuElements;
}

// Log-log interpolation inside the curve, flat below it, linear above it.
double interpolate(const CostCurve& curve, double work) {
  const auto& [w0, t0] = curve.front();
  const auto& [wn, tn] = curve.back();
  if (work <= w0) return t0;
  if (work >= wn) return tn * (work / wn);
  const auto hi = std::lower_bound(curve.begin(), curve.end(), work,
                                   [](const auto& point, double w) { return point.first < w; });
  const auto lo = hi - 1;
  const double f = std::log(work / lo->first) / std::log(hi->first / lo->first);
  return lo->second * std::pow(hi->second / lo->second, f);
}

[[noreturn]] void malformed(const std::string& source, const std::string& what) {
  throw ArgumentError("cost profile " + source + ": " + what);
}

double positive(const nlohmann::json& value, const std::string& source, const std::string& what) {
  if (!value.is_number()) malformed(source, what + " is not a number");
  const double v = value.get<double>();
  if (!std::isfinite(v) || v <= 0.0) malformed(source, what + " must be positive and finite");
  return v;
}

// What a profile's points may hold. Within these, every prediction for any work the
// dispatcher can ask about (up to ~1e30 flops) is finite and positive, so that no
// NaN or inf ever orders the implementations.
struct Range {
  double lo, hi;
};
constexpr Range kWorkRange{1e-3, 1e21};         // elements or flops
constexpr Range kMicrosecondRange{1e-6, 1e12};  // a picosecond to 11 days

double within(const nlohmann::json& value, Range range, const std::string& source,
              const std::string& what) {
  const double v = positive(value, source, what);
  if (v < range.lo || v > range.hi) {
    malformed(source,
              fmt::format("{} = {:g} is outside [{:g}, {:g}]", what, v, range.lo, range.hi));
  }
  return v;
}

// A profile is a few kilobytes; reading stops well past that (TANDEM_PROFILE=/dev/zero).
constexpr std::streamsize kMaxProfileBytes = std::streamsize{16} << 20;

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::string(v) : std::string();
}

// The model at default_path(), or the defaults (see cost_model.h for when it warns).
CostModel load_default() {
  const bool explicit_path = !env("TANDEM_PROFILE").empty();
  const std::string path = CostModel::default_path();
  if (path.empty()) return CostModel();
  if (!explicit_path && !std::ifstream(path).good()) return CostModel();
  try {
    return CostModel::load(path);
  } catch (const Error& e) {
    logger().warn("{}; using the built-in cost model", e.what());
    return CostModel();
  }
}

// The current model: the default one until set_cost_model() replaces it. Replaced
// models are kept, so that references handed out stay valid.
std::atomic<const CostModel*> g_override{nullptr};
std::mutex g_keep_mutex;
std::vector<std::unique_ptr<const CostModel>> g_kept;

}  // namespace

CostModel::CostModel()
    : h2d_bytes_per_us_(kDefaultTransferBytesPerUs),
      d2h_bytes_per_us_(kDefaultTransferBytesPerUs),
      transfer_latency_us_(kDefaultTransferLatencyUs),
      op_measured_(all_ops().size(), false) {}

CostModel CostModel::parse(std::string_view text, std::string source) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    malformed(source, std::string("not JSON: ") + e.what());
  }
  if (!doc.is_object()) malformed(source, "not a JSON object");
  if (doc.value("schema", nlohmann::json()) != "tandem-profile") {
    malformed(source, "\"schema\" is not \"tandem-profile\"");
  }
  if (doc.value("version", nlohmann::json()) != 1) malformed(source, "\"version\" is not 1");

  CostModel model;
  model.source_ = std::move(source);
  const std::string& src = model.source_;
  if (doc.contains("transfer")) {
    const nlohmann::json& t = doc["transfer"];
    if (!t.is_object()) malformed(src, "\"transfer\" is not an object");
    model.h2d_bytes_per_us_ =
        positive(t.value("h2d_gb_per_s", nlohmann::json()), src, "transfer.h2d_gb_per_s") * 1e3;
    model.d2h_bytes_per_us_ =
        positive(t.value("d2h_gb_per_s", nlohmann::json()), src, "transfer.d2h_gb_per_s") * 1e3;
    const nlohmann::json latency = t.value("latency_us", nlohmann::json(0.0));
    if (!latency.is_number() || !std::isfinite(latency.get<double>()) ||
        latency.get<double>() < 0.0) {
      malformed(src, "transfer.latency_us must be a finite number >= 0");
    }
    model.transfer_latency_us_ = latency.get<double>();
  }
  const nlohmann::json kernels = doc.value("kernels", nlohmann::json::array());
  if (!kernels.is_array()) malformed(src, "\"kernels\" is not an array");
  for (const nlohmann::json& k : kernels) {
    if (!k.is_object() || !k.contains("op") || !k["op"].is_string() ||
        !k.contains("implementation") || !k["implementation"].is_string() ||
        !k.contains("points") || !k["points"].is_array() || k["points"].empty()) {
      malformed(src, "a kernel entry needs \"op\", \"implementation\" and non-empty \"points\"");
    }
    const std::string op_text = k["op"].get<std::string>();
    const std::optional<Op> op = parse_op(op_text);
    if (!op) malformed(src, "unknown op '" + op_text + "'");
    const std::string impl = k["implementation"].get<std::string>();
    const std::string what = op_text + "/" + impl;
    CostCurve curve;
    for (const nlohmann::json& p : k["points"]) {
      if (!p.is_array() || p.size() != 2) malformed(src, what + ": a point is not [work, us]");
      curve.emplace_back(within(p[0], kWorkRange, src, what + " work"),
                         within(p[1], kMicrosecondRange, src, what + " us"));
    }
    std::sort(curve.begin(), curve.end());
    for (std::size_t i = 1; i < curve.size(); ++i) {
      if (curve[i].first == curve[i - 1].first) malformed(src, what + ": two points for one work");
    }
    if (!model.curves_.emplace(std::make_pair(*op, impl), std::move(curve)).second) {
      malformed(src, what + " appears twice");
    }
    model.op_measured_[static_cast<std::size_t>(*op)] = true;
  }
  if (doc.contains("caches")) {
    const nlohmann::json& c = doc["caches"];
    if (!c.is_object()) malformed(src, "\"caches\" is not an object");
    const auto bytes = [&](const char* key) {
      const double v = positive(c.value(key, nlohmann::json()), src, std::string("caches.") + key);
      if (v > 1e15 || v != std::floor(v))
        malformed(src, std::string("caches.") + key + " is not a byte count");
      return static_cast<std::int64_t>(v);
    };
    model.caches_ = cpu::CacheSizes{bytes("l1d_bytes"), bytes("l2_bytes"), bytes("l3_bytes"),
                                    "measured (" + src + ")"};
  }
  return model;
}

CostModel CostModel::load(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw ArgumentError("cost profile " + path + ": is a directory, not a file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw ArgumentError("cost profile " + path + ": cannot be read (" +
                        std::generic_category().message(errno) + ")");
  }
  std::string text;
  char chunk[1 << 16];
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
    text.append(chunk, static_cast<std::size_t>(in.gcount()));
    if (static_cast<std::streamsize>(text.size()) > kMaxProfileBytes) {
      throw ArgumentError("cost profile " + path + ": larger than " +
                          std::to_string(kMaxProfileBytes >> 20) + " MiB, not a profile");
    }
  }
  if (in.bad()) throw ArgumentError("cost profile " + path + ": read failed");
  return parse(text, path);
}

double CostModel::predict_us(Op op, std::string_view implementation, DeviceKind device,
                             double work) const {
  const auto it = curves_.find(std::make_pair(op, implementation));
  if (it != curves_.end()) return interpolate(it->second, work);
  const Rate rate = default_rate(op, device);
  return rate.overhead_us + work / rate.work_per_us;
}

bool CostModel::measured(Op op, std::string_view implementation) const {
  return curves_.find(std::make_pair(op, implementation)) != curves_.end();
}

bool CostModel::measured(Op op) const { return op_measured_[static_cast<std::size_t>(op)]; }

double CostModel::transfer_us(double bytes_to_device, double bytes_to_host) const {
  double us = 0.0;
  if (bytes_to_device > 0.0) us += transfer_latency_us_ + bytes_to_device / h2d_bytes_per_us_;
  if (bytes_to_host > 0.0) us += transfer_latency_us_ + bytes_to_host / d2h_bytes_per_us_;
  return us;
}

std::string CostModel::default_path() {
  if (std::string p = env("TANDEM_PROFILE"); !p.empty()) return p;
  if (std::string xdg = env("XDG_CONFIG_HOME"); !xdg.empty()) return xdg + "/tandem/profile.json";
  if (std::string home = env("HOME"); !home.empty()) return home + "/.config/tandem/profile.json";
  return {};
}

namespace {

// The kernels size themselves from the model's measured caches, or from cpuinfo's.
void apply_caches(const CostModel& model) {
  if (model.caches()) {
    cpu::set_measured_cache_sizes(*model.caches());
  } else {
    cpu::clear_measured_cache_sizes();
  }
}

}  // namespace

const CostModel& cost_model() {
  if (const CostModel* set = g_override.load(std::memory_order_acquire)) return *set;
  static const CostModel loaded = [] {
    CostModel m = load_default();
    apply_caches(m);
    return m;
  }();
  return loaded;
}

void set_cost_model(CostModel model) {
  apply_caches(model);
  const std::lock_guard lock(g_keep_mutex);
  g_kept.push_back(std::make_unique<const CostModel>(std::move(model)));
  g_override.store(g_kept.back().get(), std::memory_order_release);
}

}  // namespace tandem
