// Every number here is timed on this machine; sizes come from the detected caches.
#include "cpu_target.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include <tandem/cpu/ceilings.h>
#include <tandem/cpu/cpu_info.h>
#include <tandem/cpu/isa.h>
#include <tandem/cpu/reference.h>
#include <tandem/kernels.h>
#include <tandem/ops.h>

#include "error_stats.h"
#include "measure.h"

namespace tandem::analyzer {
namespace {

using nlohmann::json;

int hardware_threads() { return std::max(1, cpu::cpu_info().processors); }

// The CPU implementations of op that can run here (registry order).
std::vector<std::string> cpu_implementations(std::string_view op) {
  std::vector<std::string> out;
  for (const KernelInfo& k : registered_kernels()) {
    if (k.op == op && k.device == DeviceKind::cpu && k.available) out.push_back(k.implementation);
  }
  return out;
}

std::vector<cpu::Isa> simd_paths() {
  std::vector<cpu::Isa> out;
  for (const cpu::Isa isa : cpu::all_isas()) {
    if (isa <= cpu::best_isa() && cpu::isa_supported(isa)) out.push_back(isa);
  }
  return out;
}

Options forced(const std::string& implementation, int threads = 0) {
  Options o = Options::using_implementation(implementation);
  o.threads = threads;
  return o;
}

// A kernel on the roofline; its ceiling is set once the ceilings are final.
struct RooflinePoint {
  std::string kernel;
  double intensity;  // flop per byte
  double gflops;     // median
  bool one_thread;   // against the one-thread ceilings, else all threads
};

// ---- Ceilings ------------------------------------------------------------------------
json fma_peaks(bool quick, double& best_t1, double& best_all) {
  json out = json::array();
  const std::int64_t iterations = quick ? (1 << 18) : (1 << 20);
  for (const cpu::Isa isa : simd_paths()) {
    if (isa == cpu::Isa::baseline) continue;
    for (const int threads : {1, hardware_threads()}) {
      const double flops = cpu::fma_peak_loop(isa, iterations) * threads;
      const Measurement m = measure_us(
          [&] {
#pragma omp parallel num_threads(threads)
            cpu::fma_peak_loop(isa, iterations);
          },
          quick);
      const Measurement g = m.rate(flops * 1e-3);
      (threads == 1 ? best_t1 : best_all) = std::max(threads == 1 ? best_t1 : best_all, g.max);
      out.push_back({{"implementation", "cpu." + std::string(cpu::isa_name(isa))},
                     {"threads", threads},
                     {"gflops", to_json(g)}});
      if (hardware_threads() == 1) break;
    }
  }
  return out;
}

// Read bandwidth with `threads` threads, each summing its own array of
// per_thread_bytes enough times to run about a millisecond.
Measurement read_bandwidth(std::int64_t per_thread_bytes, int threads, bool quick) {
  const std::int64_t n = std::max<std::int64_t>(per_thread_bytes / 4, 64);
  const int passes = static_cast<int>(std::max<std::int64_t>(1, (std::int64_t{1} << 21) / n));
  // 64-byte aligned (no load splits a cache line), first touched by its thread.
  struct Free {
    void operator()(float* p) const { std::free(p); }
  };
  std::vector<std::unique_ptr<float[], Free>> arrays(static_cast<std::size_t>(threads));
  const auto padded = static_cast<std::size_t>((n * 4 + 63) / 64 * 64);
#pragma omp parallel num_threads(threads)
  {
    auto& a = arrays[static_cast<std::size_t>(omp_get_thread_num())];
    a.reset(static_cast<float*>(std::aligned_alloc(64, padded)));
    std::fill(a.get(), a.get() + n, 1.0f);
  }
  const cpu::Isa isa = cpu::best_isa();
  volatile float sink = 0.0f;
  const Measurement m = measure_us(
      [&] {
#pragma omp parallel num_threads(threads)
        {
          const float* a = arrays[static_cast<std::size_t>(omp_get_thread_num())].get();
          const float s = cpu::sum_floats(isa, a, n, passes);
          if (s == -1.0f) sink = s;
        }
      },
      quick);
  return m.rate(static_cast<double>(n) * 4.0 * passes * threads * 1e-3);
}

struct Level {
  const char* name;
  std::int64_t bytes_per_thread;  // a working set that fits the level, per thread
};

// Each level measured at half its capacity per thread (L3 shared by the threads),
// memory at 8 times the L3.
std::vector<Level> levels(int threads) {
  const cpu::CpuInfo& c = cpu::cpu_info();
  std::vector<Level> out;
  if (c.l1d_bytes > 0) out.push_back({"L1", c.l1d_bytes / 2});
  if (c.l2_bytes > 0) out.push_back({"L2", c.l2_bytes / 2});
  if (c.l3_bytes > 0) out.push_back({"L3", c.l3_bytes / 2 / threads});
  const std::int64_t last = std::max<std::int64_t>({c.l3_bytes, c.l2_bytes, 4 << 20});
  out.push_back({"memory", std::max<std::int64_t>(8 * last / threads, 32 << 20)});
  return out;
}

json bandwidth(bool quick, json& levels_out, double& memory_t1, double& memory_all, double& top_t1,
               double& top_all) {
  json sweep = json::array();
  levels_out = json::array();
  const cpu::CpuInfo& c = cpu::cpu_info();
  const std::int64_t largest =
      std::max<std::int64_t>(8 * std::max<std::int64_t>(c.l3_bytes, 4 << 20), 32 << 20);
  const int step = quick ? 4 : 2;
  for (const int threads : {1, hardware_threads()}) {
    for (std::int64_t bytes = 16 << 10; bytes <= largest / threads; bytes *= step) {
      sweep.push_back({{"working_set_bytes", bytes},
                       {"threads", threads},
                       {"gbps", to_json(read_bandwidth(bytes, threads, quick))}});
    }
    for (const Level& level : levels(threads)) {
      const Measurement m = read_bandwidth(level.bytes_per_thread, threads, quick);
      levels_out.push_back({{"level", level.name},
                            {"threads", threads},
                            {"gbps", m.median},
                            {"working_set_bytes", level.bytes_per_thread}});
      double& top = threads == 1 ? top_t1 : top_all;
      top = std::max(top, m.max);
      if (std::string(level.name) == "memory") (threads == 1 ? memory_t1 : memory_all) = m.median;
    }
    if (hardware_threads() == 1) break;
  }
  if (hardware_threads() == 1) {
    memory_all = memory_t1;
    top_all = top_t1;
  }
  return sweep;
}

// ---- Studies ---------------------------------------------------------------------------
double matmul_flops(std::int64_t n) { return 2.0 * std::pow(static_cast<double>(n), 3); }

json matmul_scaling(bool quick, std::vector<RooflinePoint>& roofline) {
  json out = json::array();
  const std::vector<std::int64_t> sizes = quick
                                              ? std::vector<std::int64_t>{64, 128, 256}
                                              : std::vector<std::int64_t>{64, 128, 256, 512, 1024};
  for (const std::string& impl : cpu_implementations("matmul")) {
    double first_gflops = 0.0;
    for (const std::int64_t n : sizes) {
      if (impl == "reference" && n > (quick ? 128 : 256)) break;  // minutes beyond
      const Tensor a = Tensor::randn({n, n}, 1), b = Tensor::randn({n, n}, 2);
      Tensor c = Tensor::empty({n, n}, DType::f32);
      const Options o = forced(impl);
      const Measurement t = measure_us([&] { matmul(a, b, c, o); }, quick);
      const double gflops = t.rate(matmul_flops(n) * 1e-3).median;
      if (first_gflops == 0.0) first_gflops = gflops;
      out.push_back({{"implementation", impl},
                     {"n", n},
                     {"time_us", to_json(t)},
                     {"gflops", gflops},
                     {"scaling_efficiency", gflops / first_gflops}});
      if (n == sizes.back() || (impl == "reference" && n == (quick ? 128 : 256))) {
        roofline.push_back({fmt::format("matmul/{}/{}", impl, n),
                            matmul_flops(n) / (12.0 * std::pow(static_cast<double>(n), 2)), gflops,
                            false});
      }
    }
  }
  return out;
}

json block_sweep(bool quick) {
  json out = json::array();
  const cpu::GemmBlocking derived = cpu::gemm_blocking(cpu::best_isa());
  const std::vector<std::int64_t> sizes =
      quick ? std::vector<std::int64_t>{256} : std::vector<std::int64_t>{256, 512};
  std::vector<cpu::GemmBlocking> configs = {derived};
  for (const std::int64_t mc : {48, 96, 192}) {
    for (const std::int64_t kc : {128, 256, 512}) configs.push_back({mc, kc, derived.nc});
  }
  for (const std::int64_t n : sizes) {
    const Tensor a = Tensor::randn({n, n}, 1), b = Tensor::randn({n, n}, 2);
    Tensor c = Tensor::empty({n, n}, DType::f32);
    const std::size_t first = out.size();
    std::size_t best = first;
    for (const cpu::GemmBlocking& blk : configs) {
      Options o;
      o.blocking = blk;
      const Measurement t = measure_us([&] { matmul(a, b, c, o); }, quick);
      const double gflops = t.rate(matmul_flops(n) * 1e-3).median;
      out.push_back({{"n", n},
                     {"mc", blk.mc},
                     {"kc", blk.kc},
                     {"nc", blk.nc},
                     {"time_us", to_json(t)},
                     {"gflops", gflops},
                     {"best", false}});
      if (gflops > out[best]["gflops"].get<double>()) best = out.size() - 1;
    }
    out[best]["best"] = true;
  }
  return out;
}

// One op on vectors, through the public API.
struct VectorOp {
  const char* op;
  double flops_per_element;  // for the roofline (0: not on it)
  double bytes_per_element;
  std::function<void(const Tensor& x, const Tensor& y, Tensor& out, const Options& o)> run;
};

std::vector<VectorOp> vector_ops() {
  return {
      {"relu", 1.0, 8.0,
       [](const Tensor& x, const Tensor&, Tensor& out, const Options& o) { relu(x, out, o); }},
      {"add", 1.0, 12.0,
       [](const Tensor& x, const Tensor& y, Tensor& out, const Options& o) { add(x, y, out, o); }},
      {"dot", 2.0, 8.0,
       [](const Tensor& x, const Tensor& y, Tensor&, const Options& o) { (void)dot(x, y, o); }},
      {"quantize", 0.0, 5.0,
       [](const Tensor& x, const Tensor&, Tensor&, const Options& o) { (void)quantize(x, 8, o); }},
  };
}

json vectorization(bool quick, std::vector<RooflinePoint>& roofline) {
  json out = json::array();
  const std::int64_t n = 1 << 16;  // 256 KiB per operand: in L2, not L1
  const Tensor x = Tensor::randn({n}, 1), y = Tensor::randn({n}, 2);
  Tensor z = Tensor::empty({n}, DType::f32);
  for (const VectorOp& op : vector_ops()) {
    double reference_us = 0.0;
    for (const std::string& impl : cpu_implementations(op.op)) {
      const Options o = forced(impl, 1);
      const Measurement t = measure_us([&] { op.run(x, y, z, o); }, quick);
      if (impl == "reference") reference_us = t.median;
      out.push_back({{"op", op.op},
                     {"elements", n},
                     {"implementation", impl},
                     {"time_us", to_json(t)},
                     {"speedup_vs_reference", 0.0}});
      if (op.flops_per_element > 0 && impl.starts_with("cpu.")) {
        roofline.push_back({fmt::format("{}/{}/{}/t1", op.op, impl, n),
                            op.flops_per_element / op.bytes_per_element,
                            op.flops_per_element * static_cast<double>(n) / t.median * 1e-3, true});
      }
    }
    for (json& row : out) {
      if (row["op"] == op.op) {
        row["speedup_vs_reference"] = reference_us / row["time_us"]["median"].get<double>();
      }
    }
  }
  return out;
}

json thread_scaling(bool quick, json& pays_from) {
  json out = json::array();
  const int max_threads = hardware_threads();
  const std::int64_t n = quick ? (1 << 22) : (1 << 24);
  const std::int64_t mm = quick ? 256 : 512;
  const Tensor x = Tensor::randn({n}, 1), y = Tensor::randn({n}, 2);
  Tensor z = Tensor::empty({n}, DType::f32);
  const Tensor a = Tensor::randn({mm, mm}, 3), b = Tensor::randn({mm, mm}, 4);
  Tensor c = Tensor::empty({mm, mm}, DType::f32);
  struct Case {
    std::string op, shape;
    std::function<void(const Options&)> run;
  };
  const std::vector<Case> cases = {
      {"relu", std::to_string(n), [&](const Options& o) { relu(x, z, o); }},
      {"dot", std::to_string(n), [&](const Options& o) { (void)dot(x, y, o); }},
      {"quantize", std::to_string(n), [&](const Options& o) { (void)quantize(x, 8, o); }},
      {"matmul", fmt::format("{}x{}x{}", mm, mm, mm),
       [&](const Options& o) { matmul(a, b, c, o); }},
  };
  for (const Case& cs : cases) {
    double t1 = 0.0;
    for (int t = 1; t <= max_threads; ++t) {
      Options o;
      o.threads = t;
      const Measurement m = measure_us([&] { cs.run(o); }, quick);
      if (t == 1) t1 = m.median;
      const double speedup = t1 / m.median;
      out.push_back({{"op", cs.op},
                     {"shape", cs.shape},
                     {"threads", t},
                     {"time_us", to_json(m)},
                     {"speedup", speedup},
                     {"efficiency", speedup / t}});
    }
  }
  // The smallest size at which all threads beat one by 10%.
  pays_from = json::array();
  for (const char* op : {"relu", "dot"}) {
    json found = nullptr;
    for (std::int64_t size = 1 << 12; size <= n && max_threads > 1; size *= quick ? 4 : 2) {
      const Tensor xs = Tensor::randn({size}, 5), ys = Tensor::randn({size}, 6);
      Tensor zs = Tensor::empty({size}, DType::f32);
      const auto run = [&](int t) {
        Options o;
        o.threads = t;
        return measure_us(
                   [&] {
                     if (std::string(op) == "relu") {
                       relu(xs, zs, o);
                     } else {
                       (void)dot(xs, ys, o);
                     }
                   },
                   quick)
            .median;
      };
      if (run(max_threads) < 0.9 * run(1)) {
        found = size;
        break;
      }
    }
    pays_from.push_back({{"op", op}, {"elements", found}});
  }
  return out;
}

json quantization(bool quick) {
  json out = json::array();
  const std::int64_t n = quick ? 128 : 256;
  const Tensor a = Tensor::randn({n, n}, 1), b = Tensor::randn({n, n}, 2);
  std::vector<float> exact(static_cast<std::size_t>(n * n));
  cpu::reference::matmul(a.data<float>(), b.data<float>(), exact.data(), n, n, n);
  const std::string shape = fmt::format("{}x{}x{}", n, n, n);
  // 16-bit products fill int32 twice over (K <= 2): the matmul is measured at 8 bits.
  for (const int bits : {32, 8}) {
    Tensor c = Tensor::empty({n, n}, DType::f32);
    const Measurement t = measure_us(
        [&] { bits == 32 ? matmul(a, b, c) : (void)(c = quantized_matmul(a, b, bits)); }, quick);
    const ErrorStats e = error_stats(c.to_vector<float>(), exact);
    out.push_back({{"op", "matmul"},
                   {"device", "cpu"},
                   {"bits", bits},
                   {"shape", shape},
                   {"time_us", to_json(t)},
                   {"mse", e.mse},
                   {"max_rel_error", e.max_rel},
                   {"bytes", 2 * n * n * bits / 8}});
  }
  const std::int64_t v = 1 << 20;
  const Tensor x = Tensor::randn({v}, 3);
  std::vector<float> exact_relu(static_cast<std::size_t>(v));
  cpu::reference::relu(x.data<float>(), exact_relu.data(), v);
  for (const int bits : {32, 16, 8}) {
    Tensor y = Tensor::empty({v}, DType::f32);
    const Measurement t =
        measure_us([&] { bits == 32 ? relu(x, y) : (void)(y = quantized_relu(x, bits)); }, quick);
    const ErrorStats e = error_stats(y.to_vector<float>(), exact_relu);
    out.push_back({{"op", "relu"},
                   {"device", "cpu"},
                   {"bits", bits},
                   {"shape", std::to_string(v)},
                   {"time_us", to_json(t)},
                   {"mse", e.mse},
                   {"max_rel_error", e.max_rel},
                   {"bytes", v * bits / 8}});
  }
  return out;
}

}  // namespace

json measure_cpu_target(bool quick, const Progress& progress) {
  json target = {{"device", "cpu"}, {"name", cpu::cpu_info().model}};
  progress("cpu: FMA peak per path");
  double fma_t1 = 0, fma_all = 0;
  json fma_rows = fma_peaks(quick, fma_t1, fma_all);
  progress("cpu: bandwidth sweep (L1, L2, L3, memory)");
  json level_rows;
  double mem_t1 = 0, mem_all = 0, top_t1 = 0, top_all = 0;
  json ceilings = {
      {"bandwidth_sweep", bandwidth(quick, level_rows, mem_t1, mem_all, top_t1, top_all)},
      {"bandwidth_levels", level_rows}};

  std::vector<RooflinePoint> roofline;
  progress("cpu: matmul scaling per implementation");
  target["matmul_scaling"] = matmul_scaling(quick, roofline);
  progress("cpu: GEMM block-size sweep");
  target["block_sweep"] = block_sweep(quick);
  progress("cpu: vectorization (reference vs each SIMD path)");
  target["vectorization"] = vectorization(quick, roofline);
  progress("cpu: thread scaling");
  json pays_from;
  target["threads"] = thread_scaling(quick, pays_from);
  target["threading_pays_from"] = pays_from;
  progress("cpu: quantization trade-offs");
  target["quantization"] = quantization(quick);

  // The FMA peak once more: on a shared VM one measurement can catch the two vCPUs on
  // one physical core. The ceiling is the best seen, and its rows are that run's.
  progress("cpu: FMA peak again (the best of two runs is the ceiling)");
  double again_t1 = 0, again_all = 0;
  json again_rows = fma_peaks(quick, again_t1, again_all);
  if (again_all > fma_all) fma_rows = again_rows;
  fma_t1 = std::max(fma_t1, again_t1);
  fma_all = std::max(fma_all, again_all);
  ceilings["fma_peak"] = fma_rows;
  ceilings["compute_gflops"] = fma_all;
  ceilings["memory_gbps"] = mem_all;
  ceilings["top_bandwidth_gbps"] = top_all;
  target["ceilings"] = ceilings;

  json points = json::array();
  for (const RooflinePoint& p : roofline) {
    const double compute = p.one_thread ? fma_t1 : fma_all;
    const double bandwidth_roof = p.intensity * (p.one_thread ? top_t1 : top_all);
    points.push_back({{"kernel", p.kernel},
                      {"intensity", p.intensity},
                      {"gflops", p.gflops},
                      {"ceiling_gflops", std::min(compute, bandwidth_roof)}});
  }
  target["roofline"] = points;
  return target;
}

}  // namespace tandem::analyzer
