// The dispatch benchmarks: every public op through the public API, per device and
// element type, and the dispatcher's own overhead.
//   <op>/<dtype>/dispatch.<how>/<shape>, how being
//     auto    - the dispatcher chooses (the "auto within 10% of the fastest" check);
//     cpu     - Options::on(cpu);
//     cuda    - Options::on(cuda:0) on host data: offloaded, transfers included;
//     cuda.resident - the data already on cuda:0 (registered only with a GPU).
//   relu/f32/cpu.direct/16 beside relu/f32/dispatch/16: a 16-element relu through the
//   kernel entry point and through tandem::relu(x, out) (checks, choice, call), both
//   into a preallocated output: the difference is the dispatch overhead (target:
//   <= 150 ns). relu/f32/dispatch.alloc/16 is tandem::relu(x), which also allocates
//   its output tensor. With a GPU, relu/f32/cuda.direct/16 beside
//   relu/f32/dispatch.cuda/16: the kernel launched on a stream and waited for, and
//   tandem::relu(x, out) on tensors resident on cuda:0 (synchronous, as every call is).
// Times are wall clock (the CPU kernels may run OpenMP teams).
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <tandem/cpu/kernels.h>
#include <tandem/cuda/kernels.h>
#include <tandem/cuda/runtime.h>
#include <tandem/ops.h>

#include "bench_util.h"

namespace tandem::bench {
namespace {

// ---- Overhead ----------------------------------------------------------------------
constexpr std::int64_t kTiny = 16;

void relu_direct(benchmark::State& state) {
  const std::vector<float> x = normal(kTiny, 1);
  std::vector<float> y(kTiny);
  for (auto _ : state) {
    cpu::relu(x.data(), y.data(), kTiny);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
}

void relu_dispatched(benchmark::State& state) {
  const Tensor x = Tensor::from(normal(kTiny, 1));
  Tensor y = Tensor::empty(x.shape(), DType::f32);
  for (auto _ : state) {
    relu(x, y);
    benchmark::DoNotOptimize(y.raw_data());
    benchmark::ClobberMemory();
  }
}

void relu_dispatched_alloc(benchmark::State& state) {
  const Tensor x = Tensor::from(normal(kTiny, 1));
  for (auto _ : state) {
    Tensor y = relu(x);
    benchmark::DoNotOptimize(y.raw_data());
  }
}

// The GPU pair: the same 16-element relu launched directly (and waited for: a
// dispatched call is synchronous) and through the dispatcher, on resident data.
void relu_cuda_direct(benchmark::State& state) {
  const Tensor x = Tensor::from(normal(kTiny, 1)).to(Device::cuda(0));
  Tensor y = Tensor::empty(x.shape(), DType::f32, Device::cuda(0));
  const cuda::Stream stream(0);
  for (auto _ : state) {
    cuda::relu(static_cast<const float*>(x.raw_data()), static_cast<float*>(y.raw_data()), kTiny,
               stream);
    stream.synchronize();
  }
}

void relu_cuda_dispatched(benchmark::State& state) {
  const Tensor x = Tensor::from(normal(kTiny, 1)).to(Device::cuda(0));
  Tensor y = Tensor::empty(x.shape(), DType::f32, Device::cuda(0));
  for (auto _ : state) relu(x, y);
}

// ---- Every op -------------------------------------------------------------------------
// Host inputs of one benchmark: vectors of n, or matrices s x s.
struct Inputs {
  Tensor x, y;  // [n] or [s, s]
};

using Body = std::function<void(const Inputs&, const Options&)>;

struct OpCase {
  std::string op;
  std::string dtype;
  bool square;  // matrices s x s rather than vectors
  Body body;
};

std::vector<OpCase> op_cases() {
  const auto keep = [](const Tensor& t) { benchmark::DoNotOptimize(t.raw_data()); };
  return {
      {"matmul", "f32", true,
       [=](const Inputs& in, const Options& o) { keep(matmul(in.x, in.y, o)); }},
      {"relu", "f32", false, [=](const Inputs& in, const Options& o) { keep(relu(in.x, o)); }},
      {"add", "f32", false, [=](const Inputs& in, const Options& o) { keep(add(in.x, in.y, o)); }},
      {"multiply", "f32", false,
       [=](const Inputs& in, const Options& o) { keep(multiply(in.x, in.y, o)); }},
      {"squared_difference", "f32", false,
       [=](const Inputs& in, const Options& o) { keep(squared_difference(in.x, in.y, o)); }},
      {"dot", "f32", false,
       [](const Inputs& in, const Options& o) { benchmark::DoNotOptimize(dot(in.x, in.y, o)); }},
      {"euclidean_distance", "f32", false,
       [](const Inputs& in, const Options& o) {
         benchmark::DoNotOptimize(euclidean_distance(in.x, in.y, o));
       }},
      {"cosine_similarity", "f32", false,
       [](const Inputs& in, const Options& o) {
         benchmark::DoNotOptimize(cosine_similarity(in.x, in.y, o));
       }},
      {"quantize", "i8", false,
       [=](const Inputs& in, const Options& o) { keep(quantize(in.x, 8, o).values); }},
      {"quantize", "i16", false,
       [=](const Inputs& in, const Options& o) { keep(quantize(in.x, 16, o).values); }},
      {"dequantize", "i8", false,
       [=](const Inputs& in, const Options& o) {
         keep(dequantize(
             QuantizedTensor{Tensor::zeros(in.x.shape(), DType::i8, in.x.device()), 0.5f}, o));
       }},
      {"quantized_matmul", "i8", true,
       [=](const Inputs& in, const Options& o) { keep(quantized_matmul(in.x, in.y, 8, o)); }},
      {"quantized_matmul", "i16", true,
       [=](const Inputs& in, const Options& o) { keep(quantized_matmul(in.x, in.y, 16, o)); }},
      {"quantized_relu", "i8", false,
       [=](const Inputs& in, const Options& o) { keep(quantized_relu(in.x, 8, o)); }},
  };
}

constexpr std::int64_t kVectorSizes[] = {std::int64_t{1} << 12, std::int64_t{1} << 20};
constexpr std::int64_t kMatrixSizes[] = {64, 512};

void run_case(benchmark::State& state, const OpCase& c, std::int64_t size, Options options,
              bool resident) {
  const Shape shape = c.square ? Shape{size, size} : Shape{size};
  Inputs in{Tensor::randn(shape, 1), Tensor::randn(shape, 2)};
  if (resident) in = {in.x.to(Device::cuda(0)), in.y.to(Device::cuda(0))};
  // Calls per second, wall clock (the counter the "auto within 10%" check compares).
  measure(state, "Mcalls/s", 1e3, [&] { c.body(in, options); });
}

const bool registered = [] {
  benchmark::RegisterBenchmark("relu/f32/cpu.direct/16", relu_direct);
  benchmark::RegisterBenchmark("relu/f32/dispatch/16", relu_dispatched);
  benchmark::RegisterBenchmark("relu/f32/dispatch.alloc/16", relu_dispatched_alloc);
  const bool gpu = cuda::device_count() > 0;
  if (gpu) {
    benchmark::RegisterBenchmark("relu/f32/cuda.direct/16", relu_cuda_direct);
    benchmark::RegisterBenchmark("relu/f32/dispatch.cuda/16", relu_cuda_dispatched);
  }
  struct How {
    const char* name;
    std::optional<Device> device;
    bool resident;
  };
  std::vector<How> hows = {{"dispatch.auto", std::nullopt, false},
                           {"dispatch.cpu", Device::cpu(), false}};
  if (gpu) {
    hows.push_back({"dispatch.cuda", Device::cuda(0), false});
    hows.push_back({"dispatch.cuda.resident", std::nullopt, true});
  }
  for (const OpCase& c : op_cases()) {
    for (const How& how : hows) {
      for (const std::int64_t size :
           c.square ? std::vector<std::int64_t>(std::begin(kMatrixSizes), std::end(kMatrixSizes))
                    : std::vector<std::int64_t>(std::begin(kVectorSizes), std::end(kVectorSizes))) {
        const std::string shape = c.square ? mkn(size, size, size) : std::to_string(size);
        Options o;
        o.device = how.device;
        benchmark::RegisterBenchmark(name(c.op, c.dtype, how.name, shape).c_str(), run_case, c,
                                     size, o, how.resident)
            ->Unit(benchmark::kMicrosecond);
      }
    }
  }
  return true;
}();

}  // namespace
}  // namespace tandem::bench
