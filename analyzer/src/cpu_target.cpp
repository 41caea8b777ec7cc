// Every number here is timed on this machine; sizes come from the measured levels.
#include "cpu_target.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include <tandem/cpu/cpu_info.h>
#include <tandem/cpu/isa.h>
#include <tandem/cpu/kernels.h>
#include <tandem/cpu/reference.h>
#include <tandem/cpu/threads_used.h>
#include <tandem/kernels.h>
#include <tandem/ops.h>
#include <tandem/quantized_layer.h>

#include "cpu_ceilings.h"
#include "error_stats.h"
#include "measure.h"

namespace tandem::analyzer {
namespace {

using nlohmann::json;

int hardware_threads() { return ceiling_thread_counts().back(); }

// The CPU implementations of op that can run here (registry order).
std::vector<std::string> cpu_implementations(std::string_view op) {
  std::vector<std::string> out;
  for (const KernelInfo& k : registered_kernels()) {
    if (k.op == op && k.device == DeviceKind::cpu && k.available) out.push_back(k.implementation);
  }
  return out;
}

Options forced(const std::string& implementation, int threads = 0) {
  Options o = Options::using_implementation(implementation);
  o.threads = threads;
  return o;
}

// A kernel on the roofline, placed once the ceilings are known.
struct RooflinePoint {
  std::string kernel;
  std::string implementation;
  int threads;                     // that the call ran on
  std::int64_t working_set_bytes;  // all threads together
  double intensity;                // flop per byte
  double gflops;                   // from the median time
};

double matmul_flops(std::int64_t n) { return 2.0 * std::pow(static_cast<double>(n), 3); }
double matmul_bytes(std::int64_t n) { return 12.0 * std::pow(static_cast<double>(n), 2); }

// The threads a matmul of n runs on (the reference is one loop nest on one thread).
int matmul_threads(const std::string& impl, std::int64_t n) {
  return impl == "reference" ? 1 : cpu::gemm_threads(n, n, n, 0);
}

// ---- Studies ---------------------------------------------------------------------------
json matmul_scaling(bool quick, std::vector<RooflinePoint>& roofline) {
  json out = json::array();
  const std::vector<std::int64_t> sizes = quick
                                              ? std::vector<std::int64_t>{64, 128, 256}
                                              : std::vector<std::int64_t>{64, 128, 256, 512, 1024};
  for (const std::string& impl : cpu_implementations("matmul")) {
    for (const std::int64_t n : sizes) {
      const bool last = n == sizes.back() || (impl == "reference" && n == (quick ? 128 : 256));
      const Tensor a = Tensor::randn({n, n}, 1), b = Tensor::randn({n, n}, 2);
      Tensor c = Tensor::empty({n, n}, DType::f32);
      const Measurement t = measure_us([&] { matmul(a, b, c, forced(impl)); }, quick);
      const double gflops = t.rate(matmul_flops(n) * 1e-3).median;
      const int threads = matmul_threads(impl, n);
      out.push_back({{"implementation", impl},
                     {"n", n},
                     {"threads", threads},
                     {"time_us", to_json(t)},
                     {"gflops", gflops}});
      if (last) {
        roofline.push_back({fmt::format("matmul/{}/{}", impl, n), impl, threads,
                            static_cast<std::int64_t>(matmul_bytes(n)),
                            matmul_flops(n) / matmul_bytes(n), gflops});
        break;  // the reference takes minutes beyond
      }
    }
  }
  return out;
}

// The block sizes sgemm ran with: the defaults, a grid of mc x kc, and nc narrower than
// n. Rows report the blocking after the driver's clamping (configurations that run
// the same blocks are measured once); "best" marks a row only when its median beats the
// default's fastest run.
json block_sweep(bool quick) {
  json out = json::array();
  const cpu::Isa isa = cpu::best_isa();
  const std::vector<std::int64_t> sizes =
      quick ? std::vector<std::int64_t>{256} : std::vector<std::int64_t>{256, 512};
  for (const std::int64_t n : sizes) {
    std::vector<cpu::GemmBlocking> requested = {{}};
    for (const std::int64_t mc : {48, 96, 192}) {
      for (const std::int64_t kc : {128, 256, 512}) requested.push_back({mc, kc, 0});
    }
    for (const std::int64_t nc : {n / 4, n / 2}) requested.push_back({0, 0, nc});
    const Tensor a = Tensor::randn({n, n}, 1), b = Tensor::randn({n, n}, 2);
    Tensor c = Tensor::empty({n, n}, DType::f32);
    const int threads = cpu::gemm_threads(n, n, n, 0);
    const std::size_t first = out.size();
    std::vector<cpu::GemmBlocking> seen;
    for (const cpu::GemmBlocking& blk : requested) {
      const cpu::GemmBlocking used = cpu::sgemm_blocking_used(isa, n, n, n, threads, blk);
      if (std::any_of(seen.begin(), seen.end(), [&](const cpu::GemmBlocking& s) {
            return s.mc == used.mc && s.kc == used.kc && s.nc == used.nc;
          })) {
        continue;
      }
      seen.push_back(used);
      Options o;
      o.blocking = blk;
      const Measurement t = measure_us([&] { matmul(a, b, c, o); }, quick);
      out.push_back({{"n", n},
                     {"threads", threads},
                     {"requested", {{"mc", blk.mc}, {"kc", blk.kc}, {"nc", blk.nc}}},
                     {"mc", used.mc},
                     {"kc", used.kc},
                     {"nc", used.nc},
                     {"default", out.size() == first},
                     {"time_us", to_json(t)},
                     {"gflops", t.rate(matmul_flops(n) * 1e-3).median},
                     {"best", false}});
    }
    const double default_fastest = out[first]["time_us"]["min"].get<double>();
    std::size_t best = first;
    for (std::size_t i = first + 1; i < out.size(); ++i) {
      if (out[i]["gflops"].get<double>() > out[best]["gflops"].get<double>()) best = i;
    }
    if (best != first && out[best]["time_us"]["median"].get<double>() < default_fastest) {
      out[best]["best"] = true;
    }
  }
  return out;
}

// One op on vectors, through the public API.
struct VectorOp {
  const char* op;
  double flops_per_element;  // for the roofline (0: not on it)
  double bytes_per_element;  // read and written
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
  const std::int64_t n = 1 << 16;
  const Tensor x = Tensor::randn({n}, 1), y = Tensor::randn({n}, 2);
  Tensor z = Tensor::empty({n}, DType::f32);
  for (const VectorOp& op : vector_ops()) {
    double reference_us = 0.0;
    for (const std::string& impl : cpu_implementations(op.op)) {
      const Measurement t = measure_us([&] { op.run(x, y, z, forced(impl, 1)); }, quick);
      if (impl == "reference") reference_us = t.median;
      out.push_back({{"op", op.op},
                     {"elements", n},
                     {"implementation", impl},
                     {"time_us", to_json(t)},
                     {"speedup_vs_reference", 0.0}});
      if (op.flops_per_element > 0 && impl.starts_with("cpu.")) {
        roofline.push_back({fmt::format("{}/{}/{}/t1", op.op, impl, n), impl, 1,
                            static_cast<std::int64_t>(op.bytes_per_element * n),
                            op.flops_per_element / op.bytes_per_element,
                            op.flops_per_element * static_cast<double>(n) / t.median * 1e-3});
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

// A speedup beyond the threads that ran is not a property of the kernel (noise, or a
// working set that fits the caches of two cores and not one): flagged, never claimed,
// however small the excess (2.10x on 2 threads is as much a flag as 2.8x).
constexpr double kSuperLinear = 1.0;

std::optional<std::string> thread_flag(int requested, int used, double speedup) {
  if (used < requested) {
    return fmt::format("not split: the kernel ran on {} of {} threads at this size", used,
                       requested);
  }
  if (speedup > kSuperLinear * used) {
    return fmt::format("super-linear ({:.2f}x on {} threads): noise or cache effects, not a claim",
                       speedup, used);
  }
  return std::nullopt;
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
    std::function<int(int)> threads_used;
  };
  const std::vector<Case> cases = {
      {"relu", std::to_string(n), [&](const Options& o) { relu(x, z, o); },
       [&](int t) { return cpu::elementwise_threads(n, t); }},
      {"dot", std::to_string(n), [&](const Options& o) { (void)dot(x, y, o); },
       [&](int t) { return cpu::reduction_threads(n, t); }},
      {"quantize", std::to_string(n), [&](const Options& o) { (void)quantize(x, 8, o); },
       [&](int t) { return cpu::quantize_threads(n, t); }},
      {"matmul", fmt::format("{}x{}x{}", mm, mm, mm), [&](const Options& o) { matmul(a, b, c, o); },
       [&](int t) { return cpu::gemm_threads(mm, mm, mm, t); }},
  };
  for (const Case& cs : cases) {
    double t1 = 0.0;
    for (int t = 1; t <= max_threads; ++t) {
      Options o;
      o.threads = t;
      const Measurement m = measure_us([&] { cs.run(o); }, quick);
      if (t == 1) t1 = m.median;
      const double speedup = t1 / m.median;
      const int used = cs.threads_used(t);
      const std::optional<std::string> flag = thread_flag(t, used, speedup);
      out.push_back({{"op", cs.op},
                     {"shape", cs.shape},
                     {"threads", t},
                     {"threads_used", used},
                     {"time_us", to_json(m)},
                     {"speedup", speedup},
                     {"efficiency", speedup / used},
                     {"flag", flag ? json(*flag) : json(nullptr)}});
    }
  }
  // The smallest size at which all threads beat one by 10%, among the sizes the
  // kernel splits (a size that runs on one thread cannot show threads paying).
  pays_from = json::array();
  for (const std::string op : {"relu", "dot"}) {
    const auto used = [&](std::int64_t size) {
      return op == "relu" ? cpu::elementwise_threads(size, max_threads)
                          : cpu::reduction_threads(size, max_threads);
    };
    std::int64_t splits_from = 1 << 12;
    while (splits_from <= n && used(splits_from) < 2) splits_from *= 2;
    json found = nullptr;
    for (std::int64_t size = splits_from; size <= n && max_threads > 1; size *= quick ? 4 : 2) {
      const Tensor xs = Tensor::randn({size}, 5), ys = Tensor::randn({size}, 6);
      Tensor zs = Tensor::empty({size}, DType::f32);
      const auto run = [&](int t) {
        Options o;
        o.threads = t;
        return measure_us(
                   [&] {
                     if (op == "relu") {
                       relu(xs, zs, o);
                     } else {
                       (void)dot(xs, ys, o);
                     }
                   },
                   quick)
            .median;
      };
      const double one = run(1), all = run(max_threads);
      if (all < 0.9 * one && one / all <= kSuperLinear * used(size)) {
        found = size;
        break;
      }
    }
    pays_from.push_back({{"op", op},
                         {"elements", found},
                         {"splits_from", splits_from <= n ? json(splits_from) : json(nullptr)}});
  }
  return out;
}

// relu and dot far beyond the caches, on one thread and on all: inputs at least twice
// the size at which the sweep's reads reached memory speed, so that neither the inputs
// nor a streamed output stay in the last level (the points of the memory roof).
void out_of_cache_points(bool quick, const CpuCeilings& ceilings,
                         std::vector<RooflinePoint>& roofline) {
  const std::vector<MemoryLevel>& levels = ceilings.levels_at(1);
  const std::int64_t memory_from = !levels.empty() && levels.back().name == "memory"
                                       ? levels.back().from_bytes
                                       : 8 * ceilings.caches.sizes.l3_bytes;
  std::int64_t n = 1 << 20;
  while (4 * n < 2 * memory_from && n < (std::int64_t{1} << 26)) n *= 2;
  const Tensor x = Tensor::randn({n}, 1), y = Tensor::randn({n}, 2);
  Tensor z = Tensor::empty({n}, DType::f32);
  const std::string impl = "cpu." + std::string(cpu::isa_name(cpu::best_isa()));
  const auto dn = static_cast<double>(n);
  for (const int threads : ceiling_thread_counts()) {
    const Options o = forced(impl, threads);
    const Measurement r = measure_us([&] { relu(x, z, o); }, quick);
    const int relu_threads = cpu::elementwise_threads(n, threads);
    roofline.push_back({fmt::format("relu/{}/{}/t{}", impl, n, relu_threads), impl, relu_threads,
                        static_cast<std::int64_t>(8 * dn), 1.0 / 8.0, dn / r.median * 1e-3});
    const Measurement d = measure_us([&] { (void)dot(x, y, o); }, quick);
    const int dot_threads = cpu::reduction_threads(n, threads);
    roofline.push_back({fmt::format("dot/{}/{}/t{}", impl, n, dot_threads), impl, dot_threads,
                        static_cast<std::int64_t>(8 * dn), 2.0 / 8.0, 2 * dn / d.median * 1e-3});
  }
}

// What quantization costs and saves through the API as an inference engine uses it:
// bytes are those a call reads and writes with the tensors it takes and returns;
// stored_bytes is what is kept: W as stored for the matmul rows (f32, or prepared
// QuantizedWeights), the result for relu and quantize. The 8-bit matmul is a layer
// with prepared weights on an int8 x (quantized_linear, f32 out); relu at 8 and 16 bits
// runs on quantized data (quantized_relu of a QuantizedTensor, int8/int16 in and out).
// The layer rows also say which implementation their weights were packed for (the
// integer GEMM's unit: cpu.amx, cpu.avx2_vnni, ...) and its GOP/s.
json quantization(bool quick) {
  json out = json::array();
  const auto row = [&](const char* op, int bits, const std::string& shape, const Measurement& t,
                       const ErrorStats& e, std::int64_t bytes, std::int64_t stored) -> json& {
    out.push_back({{"op", op},
                   {"device", "cpu"},
                   {"bits", bits},
                   {"shape", shape},
                   {"time_us", to_json(t)},
                   {"mse", e.mse},
                   {"max_rel_error", e.max_rel},
                   {"bytes", bytes},
                   {"stored_bytes", stored}});
    return out.back();
  };
  const std::int64_t n = quick ? 128 : 256;
  const Tensor a = Tensor::randn({n, n}, 1), b = Tensor::randn({n, n}, 2);
  std::vector<float> exact(static_cast<std::size_t>(n * n));
  cpu::reference::matmul(a.data<float>(), b.data<float>(), exact.data(), n, n, n);
  // The quantized rows: W prepared once (per output channel), x quantized beforehand,
  // the layer's integer GEMM (16 bits: int64 sums, exact for any K).
  {
    Tensor c = Tensor::empty({n, n}, DType::f32);
    const Measurement t = measure_us([&] { matmul(a, b, c); }, quick);
    row("matmul", 32, fmt::format("{}x{}x{}", n, n, n), t, error_stats(c.to_vector<float>(), exact),
        3 * n * n * 4, n * n * 4);
    for (const int bits : {16, 8}) {
      const QuantizedWeights w = QuantizedWeights::prepare(b, bits);
      const QuantizedTensor x = quantize(a, bits);
      const auto stored = static_cast<std::int64_t>(w.stored_bytes());
      const std::int64_t x_bytes = n * n * bits / 8;
      const Measurement tq = measure_us([&] { c = quantized_linear(x, w); }, quick);
      json& r = row("matmul", bits, fmt::format("{}x{}x{}", n, n, n), tq,
                    error_stats(c.to_vector<float>(), exact), x_bytes + stored + n * n * 4, stored);
      r["implementation"] = w.implementation();
      r["gops"] = 2.0 * static_cast<double>(n * n * n) / tq.median * 1e-3;
    }
  }
  const std::int64_t v = 1 << 20;
  const Tensor x = Tensor::randn({v}, 3);
  const std::vector<float> xv = x.to_vector<float>();
  std::vector<float> exact_relu(static_cast<std::size_t>(v));
  cpu::reference::relu(x.data<float>(), exact_relu.data(), v);
  {
    Tensor y = Tensor::empty({v}, DType::f32);
    const Measurement t = measure_us([&] { relu(x, y); }, quick);
    row("relu", 32, std::to_string(v), t, error_stats(y.to_vector<float>(), exact_relu), 8 * v,
        4 * v);
  }
  for (const int bits : {16, 8}) {
    const QuantizedTensor q = quantize(x, bits);
    QuantizedTensor y;
    const Measurement t = measure_us([&] { y = quantized_relu(q); }, quick);
    row("relu", bits, std::to_string(v), t,
        error_stats(dequantize(y).to_vector<float>(), exact_relu), 2 * v * bits / 8, v * bits / 8);
  }
  // Storing a tensor quantized is where this API saves memory: a QuantizedTensor.
  for (const int bits : {16, 8}) {
    QuantizedTensor q;
    const Measurement t = measure_us([&] { q = quantize(x, bits); }, quick);
    row("quantize", bits, std::to_string(v), t, error_stats(dequantize(q).to_vector<float>(), xv),
        4 * v + v * bits / 8, v * bits / 8);
  }
  return out;
}

json place_on_roofline(const std::vector<RooflinePoint>& points, const CpuCeilings& ceilings) {
  json out = json::array();
  for (const RooflinePoint& p : points) {
    std::string peak_of;
    const Measurement& compute = ceilings.compute(p.implementation, p.threads, &peak_of);
    const MemoryLevel* level =
        level_for(ceilings.levels_at(p.threads), p.working_set_bytes / p.threads);
    const double memory_roof = level != nullptr ? p.intensity * level->roof_gbps() : compute.median;
    const double memory_max = level != nullptr ? p.intensity * level->max_gbps : compute.max;
    out.push_back({{"kernel", p.kernel},
                   {"implementation", p.implementation},
                   {"threads", p.threads},
                   {"working_set_bytes", p.working_set_bytes},
                   {"level", level != nullptr ? json(level->name) : json(nullptr)},
                   {"intensity", p.intensity},
                   {"gflops", p.gflops},
                   {"compute_roof_gflops", compute.median},
                   {"compute_roof_of", peak_of},
                   {"memory_roof_gflops", memory_roof},
                   {"ceiling_gflops", std::min(compute.median, memory_roof)},
                   {"bound", memory_roof < compute.median ? "memory" : "compute"},
                   {"roof_max_gflops", std::min(compute.max, memory_max)}});
  }
  return out;
}

}  // namespace

json measure_cpu_target(bool quick, const Progress& progress) {
  json target = {{"device", "cpu"}, {"name", cpu::cpu_info().model}};
  progress("cpu: FMA peak per path, read-bandwidth sweep and its levels");
  CpuCeilings ceilings = measure_fma_and_bandwidth(quick);

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
  progress("cpu: relu and dot beyond the caches (the memory roof)");
  out_of_cache_points(quick, ceilings, roofline);
  progress("cpu: quantization trade-offs");
  target["quantization"] = quantization(quick);

  // The FMA peak once more: on a shared VM one measurement can catch the two vCPUs on
  // one physical core. Each row keeps its faster run; percentages use the final peaks.
  progress("cpu: FMA peak again (the faster of two runs is the ceiling)");
  remeasure_fma(ceilings, quick);
  for (json& m : target["matmul_scaling"]) {
    std::string peak_of;
    const double peak =
        ceilings.compute(m["implementation"].get<std::string>(), m["threads"].get<int>(), &peak_of)
            .median;
    m["percent_of_peak"] = 100.0 * m["gflops"].get<double>() / peak;
    m["peak_of"] = peak_of;
  }
  target["ceilings"] = ceilings.to_json();
  target["roofline"] = place_on_roofline(roofline, ceilings);
  return target;
}

}  // namespace tandem::analyzer
