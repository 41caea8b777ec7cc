// The dispatcher's cost model: predicted kernel times per implementation, and the
// time of moving data between the host and a GPU. "auto" uses it to decide whether
// host data is worth offloading, and to order the implementations of one device.
//
// Work is counted per call in units of the operation: 2 m n k floating-point
// operations for matmul, gemm and quantized_matmul; elements for everything else.
//
// Without a profile the model uses built-in defaults (cost_model.cpp): round numbers,
// not measurements, chosen so that host data stays on the host unless the work is
// large and compute-bound (a GPU's advantage must survive the PCIe transfer). A
// calibration profile written by `tandem calibrate` replaces them with measured
// times. Its JSON schema (version 1):
//
//   {"schema": "tandem-profile", "version": 1,
//    "transfer": {"h2d_gb_per_s": 12.5, "d2h_gb_per_s": 13.1, "latency_us": 9.0},
//    "kernels": [{"op": "matmul", "implementation": "cpu.avx2",
//                 "points": [[work, median_us], ...]}, ...],
//    "caches": {"l1d_bytes": 49152, "l2_bytes": 2097152, "l3_bytes": 67108864}}
//
// "caches" (optional) holds the cache sizes measured by the bandwidth sweep; the
// kernels size their blocking and streaming-store threshold from them instead of
// cpuinfo's (tandem/cpu/cache_sizes.h) from the moment the model is loaded or set.
//
// Between measured points a time is interpolated on log-log axes; beyond the largest
// it grows linearly with work, below the smallest it stays at the smallest's time.
// Other keys are ignored (the analyzer adds "machine" and "created").
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <tandem/cpu/cache_sizes.h>
#include <tandem/device.h>
#include <tandem/op.h>

namespace tandem {

// (work, microseconds), sorted by work.
using CostCurve = std::vector<std::pair<double, double>>;

// Orders (op, implementation) keys; transparent, so that lookups take a string_view.
struct CurveKeyLess {
  using is_transparent = void;
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const {
    if (a.first != b.first) return a.first < b.first;
    return std::string_view(a.second) < std::string_view(b.second);
  }
};
using CostCurves = std::map<std::pair<Op, std::string>, CostCurve, CurveKeyLess>;

class CostModel {
 public:
  // The built-in defaults.
  CostModel();

  // A profile from JSON text; anything malformed (not JSON, wrong schema or version,
  // unknown op, non-positive or non-finite numbers) is an ArgumentError naming it.
  static CostModel parse(std::string_view json, std::string source = "profile");
  // parse() of a file; an unreadable file is an ArgumentError naming the path.
  static CostModel load(const std::string& path);

  // Predicted microseconds of `implementation` of `op` on `device` for `work`: the
  // profile's measurement when it has one, else the defaults for the device kind.
  double predict_us(Op op, std::string_view implementation, DeviceKind device, double work) const;
  // Whether the profile measured this implementation of this op.
  bool measured(Op op, std::string_view implementation) const;
  // Whether the profile measured any implementation of this op.
  bool measured(Op op) const;
  // Microseconds to move bytes to a GPU and back (0 bytes both ways: 0).
  double transfer_us(double bytes_to_device, double bytes_to_host) const;

  // "built-in defaults", or where the profile came from.
  const std::string& source() const { return source_; }
  // The measured curves, by (op, implementation).
  const CostCurves& curves() const { return curves_; }
  // The measured cache sizes, when the profile has them.
  const std::optional<cpu::CacheSizes>& caches() const { return caches_; }

  // The default path of the profile: $TANDEM_PROFILE if set, else
  // $XDG_CONFIG_HOME/tandem/profile.json, else $HOME/.config/tandem/profile.json.
  static std::string default_path();

 private:
  std::string source_ = "built-in defaults";
  double h2d_bytes_per_us_;
  double d2h_bytes_per_us_;
  double transfer_latency_us_;
  CostCurves curves_;
  std::vector<bool> op_measured_;
  std::optional<cpu::CacheSizes> caches_;
};

// The model the dispatcher uses: loaded once, on first use, from default_path(). A
// missing file at the default location gives the defaults quietly; a TANDEM_PROFILE
// that is missing or malformed, or a malformed default file, gives the defaults and
// one warning through the "tandem" logger - never an error.
const CostModel& cost_model();
// Replaces it (for the calibration step and tests); thread-safe. Replaced models stay
// alive until exit, so a reference obtained before stays valid.
void set_cost_model(CostModel model);

}  // namespace tandem
