// calibrate(): every implementation of every op that can run here, timed through the
// public API (forced implementation, data on the device it runs on) at a few sizes;
// the medians become the profile's curves, in the cost model's units of work.
#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <tandem/analyzer/analysis.h>
#include <tandem/cost_model.h>
#include <tandem/cuda/memory.h>
#include <tandem/cuda/runtime.h>
#include <tandem/kernels.h>
#include <tandem/ops.h>
#include <tandem/version.h>

#include "cpu_ceilings.h"
#include "gpu_target.h"
#include "measure.h"

namespace tandem::analyzer {
namespace {

using nlohmann::json;

// One call of op on operands of `size` (matrices size x size, or vectors of size).
void call_op(Op op, const Tensor& x, const Tensor& y, const Tensor& bias, Tensor& out,
             const QuantizedTensor& q, const Options& o) {
  switch (op) {
    case Op::matmul:
      matmul(x, y, out, o);
      return;
    case Op::gemm:
      gemm(Transpose::no, Transpose::no, 1.0f, x, y, 0.0f, out, o);
      return;
    case Op::linear:
      linear(x, y, bias, Activation::relu, out, o);
      return;
    case Op::relu:
      relu(x, out, o);
      return;
    case Op::add:
      add(x, y, out, o);
      return;
    case Op::multiply:
      multiply(x, y, out, o);
      return;
    case Op::squared_difference:
      squared_difference(x, y, out, o);
      return;
    case Op::dot:
      (void)dot(x, y, o);
      return;
    case Op::euclidean_distance:
      (void)euclidean_distance(x, y, o);
      return;
    case Op::cosine_similarity:
      (void)cosine_similarity(x, y, o);
      return;
    case Op::quantize:
      (void)quantize(x, 8, o);
      return;
    case Op::dequantize:
      (void)dequantize(q, o);
      return;
    case Op::quantized_matmul:
      (void)quantized_matmul(x, y, 8, o);
      return;
    case Op::quantized_relu:
      (void)quantized_relu(x, 8, o);
      return;
    case Op::quantized_linear:  // runs the implementation its weights were packed for
    case Op::batch_apply:
      return;
  }
}

}  // namespace

json calibrate(const AnalyzeOptions& options) {
  require_device(options.device, "calibrate");
  json kernels = json::array();
  const std::vector<std::int64_t> matrix_sizes =
      options.quick ? std::vector<std::int64_t>{32, 128}
                    : std::vector<std::int64_t>{32, 64, 128, 256, 512};
  const std::vector<std::int64_t> vector_sizes =
      options.quick ? std::vector<std::int64_t>{1 << 10, 1 << 16}
                    : std::vector<std::int64_t>{1 << 8, 1 << 12, 1 << 16, 1 << 20, 1 << 22};
  const std::vector<KernelInfo> registry = registered_kernels();
  for (const Op op : all_ops()) {
    if (op == Op::batch_apply || op == Op::quantized_linear) continue;
    options.progress(fmt::format("calibrate: {}", op_name(op)));
    for (const KernelInfo& k : registry) {
      if (k.op != op_name(op) || !k.available) continue;
      const Device device = k.device == DeviceKind::cpu ? Device::cpu() : Device::cuda(0);
      if (options.device && options.device->kind != k.device) continue;
      json points = json::array();
      for (const std::int64_t s : counts_flops(op) ? matrix_sizes : vector_sizes) {
        if (k.implementation == "reference" && counts_flops(op) && s > 256) break;
        const Shape shape = counts_flops(op) ? Shape{s, s} : Shape{s};
        const Tensor x = Tensor::randn(shape, 1, device), y = Tensor::randn(shape, 2, device);
        const Tensor bias = Tensor::randn({s}, 3, device);
        Tensor out = Tensor::empty(shape, DType::f32, device);
        const QuantizedTensor q{Tensor::zeros(shape, DType::i8, device), 0.5f};
        const Options o = Options::using_implementation(k.implementation);
        const Measurement t =
            measure_us([&] { call_op(op, x, y, bias, out, q, o); }, options.quick);
        const double work = counts_flops(op) ? 2.0 * std::pow(static_cast<double>(s), 3)
                                             : static_cast<double>(shape.numel());
        points.push_back({work, t.median});
      }
      kernels.push_back(
          {{"op", op_name(op)}, {"implementation", k.implementation}, {"points", points}});
    }
  }
  json profile = {{"schema", "tandem-profile"},
                  {"version", 1},
                  {"tandem_version", TANDEM_VERSION_STRING},
                  {"kernels", kernels}};
  if (!options.device || options.device->is_cpu()) {
    // The caches as measured, which the kernels size themselves from once the profile
    // is loaded (cpuinfo reports a VM's host caches).
    options.progress("calibrate: read-bandwidth sweep (the cache sizes)");
    const MeasuredCaches caches = measured_caches(
        find_levels(sweep_points(bandwidth_sweep(1, options.quick)), 1, cpuinfo_caches()));
    profile["caches"] = {{"l1d_bytes", caches.sizes.l1d_bytes},
                         {"l2_bytes", caches.sizes.l2_bytes},
                         {"l3_bytes", caches.sizes.l3_bytes},
                         {"notes", caches.notes}};
  }
  if (cuda::device_count() > 0 && (!options.device || options.device->is_cuda())) {
    options.progress("calibrate: host<->device transfers");
    const std::size_t bytes = std::size_t{64} << 20;
    std::vector<char> host(bytes, 1);  // pageable, as Tensors are
    const cuda::DeviceBuffer dev(0, bytes);
    const Measurement h2d = measure_us(
        [&] { cuda::copy_host_to_device(0, dev.get(), host.data(), bytes); }, options.quick);
    const Measurement d2h = measure_us(
        [&] { cuda::copy_device_to_host(0, host.data(), dev.get(), bytes); }, options.quick);
    const Measurement tiny =
        measure_us([&] { cuda::copy_host_to_device(0, dev.get(), host.data(), 4); }, options.quick);
    profile["transfer"] = {{"h2d_gb_per_s", static_cast<double>(bytes) / h2d.median * 1e-3},
                           {"d2h_gb_per_s", static_cast<double>(bytes) / d2h.median * 1e-3},
                           {"latency_us", tiny.median}};
  }
  // The profile must be one the dispatcher accepts.
  (void)CostModel::parse(profile.dump(), "calibration");
  return profile;
}

}  // namespace tandem::analyzer
