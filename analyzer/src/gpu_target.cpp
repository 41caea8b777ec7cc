// Timed with the host clock around synchronous calls (the public API waits for the
// GPU), so launch and synchronization are included, as a caller sees them.
#include "gpu_target.h"

#include <fmt/format.h>

#include <tandem/cuda/kernels.h>
#include <tandem/cuda/memory.h>
#include <tandem/cuda/runtime.h>
#include <tandem/ops.h>

#include "measure.h"

namespace tandem::analyzer {

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
  json sweep = json::array();
  sweep.push_back({{"working_set_bytes", 2 * static_cast<std::int64_t>(bytes)},
                   {"threads", 1},
                   {"gbps", to_json(copy_gbps)}});
  target["ceilings"] = {
      {"fma_peak", json::array()},
      {"bandwidth_sweep", sweep},
      {"bandwidth_levels",
       json::array({{{"level", "memory"},
                     {"threads", 1},
                     {"gbps", copy_gbps.median},
                     {"working_set_bytes", 2 * static_cast<std::int64_t>(bytes)}}})},
      {"compute_gflops", 0.0},
      {"memory_gbps", copy_gbps.median},
      {"top_bandwidth_gbps", copy_gbps.max},
      {"h2d_gbps", to_json(h2d.rate(static_cast<double>(bytes) * 1e-3))},
      {"d2h_gbps", to_json(d2h.rate(static_cast<double>(bytes) * 1e-3))}};

  progress(fmt::format("cuda:{}: matmul scaling per implementation", device));
  json scaling = json::array();
  const std::vector<std::int64_t> sizes =
      quick ? std::vector<std::int64_t>{256, 1024} : std::vector<std::int64_t>{256, 1024, 4096};
  for (const char* impl : {"cuda.cublas", "cuda.tiled", "cuda.tiled_basic"}) {
    double first = 0.0;
    for (const std::int64_t s : sizes) {
      const Tensor a = Tensor::randn({s, s}, 1, Device::cuda(device));
      const Tensor b = Tensor::randn({s, s}, 2, Device::cuda(device));
      Tensor c = Tensor::empty({s, s}, DType::f32, Device::cuda(device));
      const Options o = Options::using_implementation(impl);
      const Measurement t = measure_us([&] { matmul(a, b, c, o); }, quick);
      const double gflops = t.rate(2.0 * std::pow(static_cast<double>(s), 3) * 1e-3).median;
      if (first == 0.0) first = gflops;
      scaling.push_back({{"implementation", impl},
                         {"n", s},
                         {"time_us", to_json(t)},
                         {"gflops", gflops},
                         {"scaling_efficiency", gflops / first}});
    }
  }
  target["matmul_scaling"] = scaling;
  return target;
}

}  // namespace tandem::analyzer
