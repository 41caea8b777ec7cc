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

nlohmann::json measure_gpu_target(int device, bool quick, const Progress& progress) {
  using nlohmann::json;
  const cuda::GpuProperties p = cuda::device_properties(device);
  json target = {{"device", Device::cuda(device).str()}, {"name", p.name}};
  progress(fmt::format("cuda:{}: bandwidth (device copy, host<->device)", device));
  const std::int64_t n = quick ? (std::int64_t{1} << 24) : (std::int64_t{1} << 26);
  const auto bytes = static_cast<std::size_t>(n) * sizeof(float);
  const cuda::DeviceBuffer x(device, bytes), y(device, bytes);
  const cuda::Stream stream(device);
  const Measurement copy = measure_us(
      [&] {
        cuda::copy(x.as<float>(), y.as<float>(), n, stream);
        stream.synchronize();
      },
      quick);
  const Measurement copy_gbps = copy.rate(2.0 * static_cast<double>(bytes) * 1e-3);
  cuda::PinnedBuffer host(bytes);
  const Measurement h2d =
      measure_us([&] { cuda::copy_host_to_device(device, x.get(), host.get(), bytes); }, quick);
  const Measurement d2h =
      measure_us([&] { cuda::copy_device_to_host(device, host.get(), x.get(), bytes); }, quick);
  // One level, device memory, measured by a copy (its read rate is the copy's too).
  const auto working_set = 2 * static_cast<std::int64_t>(bytes);
  json sweep = json::array();
  sweep.push_back({{"working_set_bytes", working_set},
                   {"threads", 1},
                   {"gbps", to_json(copy_gbps)},
                   {"copy_gbps", to_json(copy_gbps)}});
  target["ceilings"] = {{"fma_peak", json::array()},
                        {"bandwidth_sweep", sweep},
                        {"bandwidth_levels", json::array({{{"level", "memory"},
                                                           {"threads", 1},
                                                           {"gbps", copy_gbps.median},
                                                           {"copy_gbps", copy_gbps.median},
                                                           {"roof_gbps", copy_gbps.median},
                                                           {"max_gbps", copy_gbps.max},
                                                           {"from_bytes", working_set},
                                                           {"to_bytes", working_set}}})},
                        {"compute_gflops", 0.0},
                        {"memory_gbps", copy_gbps.median},
                        {"top_bandwidth_gbps", copy_gbps.max},
                        {"h2d_gbps", to_json(h2d.rate(static_cast<double>(bytes) * 1e-3))},
                        {"d2h_gbps", to_json(d2h.rate(static_cast<double>(bytes) * 1e-3))}};

  progress(fmt::format("cuda:{}: matmul scaling per implementation", device));
  json scaling = json::array();
  const int gpu_threads = p.sm_count * p.max_threads_per_sm;
  const std::vector<std::int64_t> sizes =
      quick ? std::vector<std::int64_t>{256, 1024} : std::vector<std::int64_t>{256, 1024, 4096};
  for (const char* impl : {"cuda.cublas", "cuda.tiled", "cuda.tiled_basic"}) {
    for (const std::int64_t s : sizes) {
      const Tensor a = Tensor::randn({s, s}, 1, Device::cuda(device));
      const Tensor b = Tensor::randn({s, s}, 2, Device::cuda(device));
      Tensor c = Tensor::empty({s, s}, DType::f32, Device::cuda(device));
      const Options o = Options::using_implementation(impl);
      const Measurement t = measure_us([&] { matmul(a, b, c, o); }, quick);
      const double gflops = t.rate(2.0 * std::pow(static_cast<double>(s), 3) * 1e-3).median;
      scaling.push_back({{"implementation", impl},
                         {"n", s},
                         {"threads", gpu_threads},
                         {"time_us", to_json(t)},
                         {"gflops", gflops},
                         {"percent_of_peak", 0.0},
                         {"peak_of", "cuda"}});
    }
  }
  target["matmul_scaling"] = scaling;

  // The FMA ceiling, the launch-shape sweep, quantization, and the roofline.
  progress(fmt::format("cuda:{}: FMA peak", device));
  const std::int64_t fma_iterations = quick ? 4096 : 16384;
  double flops = 0.0;
  const Measurement fma = measure_us(
      [&] {
        flops = cuda::fma_peak(fma_iterations, stream);
        stream.synchronize();
      },
      quick);
  const Measurement fma_gflops = fma.rate(flops * 1e-3);
  target["ceilings"]["fma_peak"] = json::array(
      {{{"implementation", "cuda"}, {"threads", gpu_threads}, {"gflops", to_json(fma_gflops)}}});
  target["ceilings"]["compute_gflops"] = fma_gflops.median;
  for (json& m : target["matmul_scaling"]) {
    m["percent_of_peak"] = 100.0 * m["gflops"].get<double>() / fma_gflops.median;
  }

  progress(fmt::format("cuda:{}: relu launch shapes (threads per block x blocks)", device));
  json sweep_rows = json::array();
  double best_relu_gbps = 0.0, best_relu_max = 0.0;
  for (const int threads : {64, 128, 256, 512, 1024}) {
    const int resident = p.sm_count * std::max(p.max_threads_per_sm / threads, 1);
    for (const int blocks : {p.sm_count, 4 * p.sm_count, resident}) {
      const cuda::LaunchConfig config{threads, blocks};
      const Measurement t = measure_us(
          [&] {
            cuda::relu(x.as<float>(), y.as<float>(), n, stream, config);
            stream.synchronize();
          },
          quick);
      const double gbps = t.rate(2.0 * static_cast<double>(bytes) * 1e-3).median;
      best_relu_gbps = std::max(best_relu_gbps, gbps);
      best_relu_max = std::max(best_relu_max, t.rate(2.0 * static_cast<double>(bytes) * 1e-3).max);
      sweep_rows.push_back({{"op", "relu"},
                            {"elements", n},
                            {"threads_per_block", threads},
                            {"blocks", blocks},
                            {"time_us", to_json(t)},
                            {"gbps", gbps}});
    }
  }
  target["launch_sweep"] = sweep_rows;

  progress(fmt::format("cuda:{}: quantization trade-offs", device));
  json quant = json::array();
  const std::int64_t qn = quick ? 256 : 1024;
  const Tensor ha = Tensor::randn({qn, qn}, 1), hb = Tensor::randn({qn, qn}, 2);
  const Tensor exact = matmul(
      ha, hb, Options::using_implementation("cpu." + std::string(cpu::isa_name(cpu::best_isa()))));
  const std::vector<float> want = exact.to_vector<float>();
  const Tensor da = ha.to(Device::cuda(device)), db = hb.to(Device::cuda(device));
  for (const int bits : {32, 8}) {
    Tensor c = Tensor::empty({qn, qn}, DType::f32, Device::cuda(device));
    const Measurement t = measure_us(
        [&] { bits == 32 ? matmul(da, db, c) : (void)(c = quantized_matmul(da, db, bits)); },
        quick);
    const ErrorStats e = error_stats(c.to_vector<float>(), want);
    quant.push_back({{"op", "matmul"},
                     {"device", Device::cuda(device).str()},
                     {"bits", bits},
                     {"shape", fmt::format("{}x{}x{}", qn, qn, qn)},
                     {"time_us", to_json(t)},
                     {"mse", e.mse},
                     {"max_rel_error", e.max_rel},
                     {"bytes", 3 * qn * qn * 4},  // f32 in and out, whatever the bits
                     {"stored_bytes", qn * qn * 4}});
  }
  target["quantization"] = quant;

  // Roofs from the medians, as the points; roof_max from the best samples bounds them.
  json roofline = json::array();
  const double copy_roof = copy_gbps.median;
  const auto point = [&](const std::string& kernel, const std::string& impl, std::int64_t footprint,
                         double intensity, double gflops) {
    const double memory_roof = intensity * copy_roof;
    roofline.push_back(
        {{"kernel", kernel},
         {"implementation", impl},
         {"threads", gpu_threads},
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
          std::min(fma_gflops.max, intensity * std::max(copy_gbps.max, best_relu_max))}});
  };
  const auto big = static_cast<double>(sizes.back());
  for (const json& m : scaling) {
    if (m["n"].get<std::int64_t>() != sizes.back()) continue;
    point(fmt::format("matmul/{}/{}", m["implementation"].get<std::string>(), sizes.back()),
          m["implementation"].get<std::string>(), static_cast<std::int64_t>(12.0 * big * big),
          2.0 * big * big * big / (12.0 * big * big), m["gflops"].get<double>());
  }
  // relu: one op per 8 bytes moved, at its best launch shape.
  point(fmt::format("relu/cuda/{}", n), "cuda", working_set, 1.0 / 8.0, best_relu_gbps / 8.0);
  target["ceilings"]["top_bandwidth_gbps"] = copy_roof;
  target["roofline"] = roofline;
  return target;
}

}  // namespace tandem::analyzer
