// Timed with the host clock around synchronous calls (the public API waits for the
// GPU), so launch and synchronization are included, as a caller sees them.
#include "gpu_target.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <tandem/cpu/isa.h>
#include <tandem/cuda/kernels.h>
#include <tandem/cuda/memory.h>
#include <tandem/cuda/runtime.h>
#include <tandem/error.h>
#include <tandem/ops.h>

#include "error_stats.h"
#include "measure.h"

namespace tandem::analyzer {

void require_device(const std::optional<Device>& device, const char* command) {
  const int gpus = cuda::device_count();
  if (device && device->is_cuda() && device->index >= gpus) {
    throw DeviceError(fmt::format("{}: {} requested, but {}", command, device->str(),
                                  gpus == 0 ? "there is no GPU: " + cuda::unavailable_reason()
                                            : fmt::format("there are {} GPUs", gpus)));
  }
}

namespace {

using nlohmann::json;

// What every section measures on: the device, its buffers of n floats, a stream.
struct GpuBench {
  int device;
  bool quick;
  cuda::GpuProperties props;
  int threads;  // resident threads: SMs x threads per SM
  std::int64_t n;
  std::size_t bytes;
  cuda::DeviceBuffer x, y;
  cuda::Stream stream;

  GpuBench(int d, bool q)
      : device(d),
        quick(q),
        props(cuda::device_properties(d)),
        threads(props.sm_count * props.max_threads_per_sm),
        n(q ? (std::int64_t{1} << 24) : (std::int64_t{1} << 26)),
        bytes(static_cast<std::size_t>(n) * sizeof(float)),
        x(d, bytes),
        y(d, bytes),
        stream(d) {}
  // Bytes a copy or relu of x into y moves: read and write.
  double moved_kb() const { return 2.0 * static_cast<double>(bytes) * 1e-3; }
  std::int64_t working_set() const { return 2 * static_cast<std::int64_t>(bytes); }
};

// Device memory: one level, measured by a copy (its read rate is the copy's too);
// and the host<->device transfers.
json bandwidth_ceilings(const GpuBench& g, Measurement& copy_gbps) {
  const Measurement copy = measure_us(
      [&] {
        cuda::copy(g.x.as<float>(), g.y.as<float>(), g.n, g.stream);
        g.stream.synchronize();
      },
      g.quick);
  copy_gbps = copy.rate(g.moved_kb());
  cuda::PinnedBuffer host(g.bytes);
  const Measurement h2d = measure_us(
      [&] { cuda::copy_host_to_device(g.device, g.x.get(), host.get(), g.bytes); }, g.quick);
  const Measurement d2h = measure_us(
      [&] { cuda::copy_device_to_host(g.device, host.get(), g.x.get(), g.bytes); }, g.quick);
  json sweep = json::array();
  sweep.push_back({{"working_set_bytes", g.working_set()},
                   {"threads", 1},
                   {"gbps", to_json(copy_gbps)},
                   {"copy_gbps", to_json(copy_gbps)}});
  return {{"fma_peak", json::array()},
          {"bandwidth_sweep", sweep},
          {"bandwidth_levels", json::array({{{"level", "memory"},
                                             {"threads", 1},
                                             {"gbps", copy_gbps.median},
                                             {"copy_gbps", copy_gbps.median},
                                             {"roof_gbps", copy_gbps.median},
                                             {"max_gbps", copy_gbps.max},
                                             {"from_bytes", g.working_set()},
                                             {"to_bytes", g.working_set()}}})},
          {"compute_gflops", 0.0},
          {"memory_gbps", copy_gbps.median},
          {"top_bandwidth_gbps", copy_gbps.max},
          {"h2d_gbps", to_json(h2d.rate(static_cast<double>(g.bytes) * 1e-3))},
          {"d2h_gbps", to_json(d2h.rate(static_cast<double>(g.bytes) * 1e-3))}};
}

// Square matmuls per GPU implementation; percent_of_peak is filled in once the FMA
// peak is known.
json matmul_scaling(const GpuBench& g, const std::vector<std::int64_t>& sizes) {
  json scaling = json::array();
  for (const char* impl : {"cuda.cublas", "cuda.tiled", "cuda.tiled_basic"}) {
    for (const std::int64_t s : sizes) {
      const Tensor a = Tensor::randn({s, s}, 1, Device::cuda(g.device));
      const Tensor b = Tensor::randn({s, s}, 2, Device::cuda(g.device));
      Tensor c = Tensor::empty({s, s}, DType::f32, Device::cuda(g.device));
      const Options o = Options::using_implementation(impl);
      const Measurement t = measure_us([&] { matmul(a, b, c, o); }, g.quick);
      const double gflops = t.rate(2.0 * std::pow(static_cast<double>(s), 3) * 1e-3).median;
      scaling.push_back({{"implementation", impl},
                         {"n", s},
                         {"threads", g.threads},
                         {"time_us", to_json(t)},
                         {"gflops", gflops},
                         {"percent_of_peak", 0.0},
                         {"peak_of", "cuda"}});
    }
  }
  return scaling;
}

// The FMA ceiling: a register-only kernel on every resident thread.
Measurement fma_peak(const GpuBench& g) {
  const std::int64_t iterations = g.quick ? 4096 : 16384;
  double flops = 0.0;
  const Measurement t = measure_us(
      [&] {
        flops = cuda::fma_peak(iterations, g.stream);
        g.stream.synchronize();
      },
      g.quick);
  return t.rate(flops * 1e-3);
}

// relu over threads per block x blocks; the best median and best sample rates.
struct LaunchSweep {
  json rows = json::array();
  double best_gbps = 0.0, best_max_gbps = 0.0;
};
LaunchSweep relu_launch_sweep(const GpuBench& g) {
  LaunchSweep out;
  for (const int threads : {64, 128, 256, 512, 1024}) {
    const int resident = g.props.sm_count * std::max(g.props.max_threads_per_sm / threads, 1);
    for (const int blocks : {g.props.sm_count, 4 * g.props.sm_count, resident}) {
      const cuda::LaunchConfig config{threads, blocks};
      const Measurement t = measure_us(
          [&] {
            cuda::relu(g.x.as<float>(), g.y.as<float>(), g.n, g.stream, config);
            g.stream.synchronize();
          },
          g.quick);
      const Measurement rate = t.rate(g.moved_kb());
      out.best_gbps = std::max(out.best_gbps, rate.median);
      out.best_max_gbps = std::max(out.best_max_gbps, rate.max);
      out.rows.push_back({{"op", "relu"},
                          {"elements", g.n},
                          {"threads_per_block", threads},
                          {"blocks", blocks},
                          {"time_us", to_json(t)},
                          {"gbps", rate.median}});
    }
  }
  return out;
}

// f32 against 8-bit matmul on the GPU: time and error against the CPU's f32 result.
json quantization(const GpuBench& g) {
  json quant = json::array();
  const std::int64_t qn = g.quick ? 256 : 1024;
  const Tensor ha = Tensor::randn({qn, qn}, 1), hb = Tensor::randn({qn, qn}, 2);
  const Tensor exact = matmul(
      ha, hb, Options::using_implementation("cpu." + std::string(cpu::isa_name(cpu::best_isa()))));
  const std::vector<float> want = exact.to_vector<float>();
  const Tensor da = ha.to(Device::cuda(g.device)), db = hb.to(Device::cuda(g.device));
  for (const int bits : {32, 8}) {
    Tensor c = Tensor::empty({qn, qn}, DType::f32, Device::cuda(g.device));
    const Measurement t = measure_us(
        [&] { bits == 32 ? matmul(da, db, c) : (void)(c = quantized_matmul(da, db, bits)); },
        g.quick);
    const ErrorStats e = error_stats(c.to_vector<float>(), want);
    quant.push_back({{"op", "matmul"},
                     {"device", Device::cuda(g.device).str()},
                     {"bits", bits},
                     {"shape", fmt::format("{}x{}x{}", qn, qn, qn)},
                     {"time_us", to_json(t)},
                     {"mse", e.mse},
                     {"max_rel_error", e.max_rel},
                     {"bytes", 3 * qn * qn * 4},  // f32 in and out, whatever the bits
                     {"stored_bytes", qn * qn * 4}});
  }
  return quant;
}

// Roofs from the medians, as the points; roof_max from the best samples bounds them.
json roofline(const GpuBench& g, const json& scaling, std::int64_t largest,
              const Measurement& copy_gbps, const Measurement& fma_gflops,
              const LaunchSweep& relu) {
  json points = json::array();
  const double copy_roof = copy_gbps.median;
  const auto point = [&](const std::string& kernel, const std::string& impl, std::int64_t footprint,
                         double intensity, double gflops) {
    const double memory_roof = intensity * copy_roof;
    points.push_back(
        {{"kernel", kernel},
         {"implementation", impl},
         {"threads", g.threads},
         {"working_set_bytes", footprint},
         {"level", "memory"},
         {"intensity", intensity},
         {"gflops", gflops},
         {"compute_roof_gflops", fma_gflops.median},
         {"compute_roof_of", "cuda"},
         {"memory_roof_gflops", memory_roof},
         {"ceiling_gflops", std::min(fma_gflops.median, memory_roof)},
         {"bound", memory_roof < fma_gflops.median ? "memory" : "compute"},
         {"roof_max_gflops",
          std::min(fma_gflops.max, intensity * std::max(copy_gbps.max, relu.best_max_gbps))}});
  };
  const auto big = static_cast<double>(largest);
  for (const json& m : scaling) {
    if (m["n"].get<std::int64_t>() != largest) continue;
    point(fmt::format("matmul/{}/{}", m["implementation"].get<std::string>(), largest),
          m["implementation"].get<std::string>(), static_cast<std::int64_t>(12.0 * big * big),
          2.0 * big * big * big / (12.0 * big * big), m["gflops"].get<double>());
  }
  // relu: one op per 8 bytes moved, at its best launch shape.
  point(fmt::format("relu/cuda/{}", g.n), "cuda", g.working_set(), 1.0 / 8.0, relu.best_gbps / 8.0);
  return points;
}

}  // namespace

nlohmann::json measure_gpu_target(int device, bool quick, const Progress& progress) {
  const GpuBench g(device, quick);
  json target = {{"device", Device::cuda(device).str()}, {"name", g.props.name}};

  progress(fmt::format("cuda:{}: bandwidth (device copy, host<->device)", device));
  Measurement copy_gbps;
  target["ceilings"] = bandwidth_ceilings(g, copy_gbps);

  progress(fmt::format("cuda:{}: matmul scaling per implementation", device));
  const std::vector<std::int64_t> sizes =
      quick ? std::vector<std::int64_t>{256, 1024} : std::vector<std::int64_t>{256, 1024, 4096};
  target["matmul_scaling"] = matmul_scaling(g, sizes);

  progress(fmt::format("cuda:{}: FMA peak", device));
  const Measurement fma_gflops = fma_peak(g);
  target["ceilings"]["fma_peak"] = json::array(
      {{{"implementation", "cuda"}, {"threads", g.threads}, {"gflops", to_json(fma_gflops)}}});
  target["ceilings"]["compute_gflops"] = fma_gflops.median;
  for (json& m : target["matmul_scaling"]) {
    m["percent_of_peak"] = 100.0 * m["gflops"].get<double>() / fma_gflops.median;
  }

  progress(fmt::format("cuda:{}: relu launch shapes (threads per block x blocks)", device));
  const LaunchSweep relu = relu_launch_sweep(g);
  target["launch_sweep"] = relu.rows;

  progress(fmt::format("cuda:{}: quantization trade-offs", device));
  target["quantization"] = quantization(g);

  target["ceilings"]["top_bandwidth_gbps"] = copy_gbps.median;
  target["roofline"] =
      roofline(g, target["matmul_scaling"], sizes.back(), copy_gbps, fma_gflops, relu);
  return target;
}

}  // namespace tandem::analyzer
