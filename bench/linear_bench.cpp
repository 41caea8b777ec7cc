// The fused layer y = relu(x @ W + bias), f32, on 1 and 2 threads:
//   linear/f32/cpu.<path>/...           Tandem's SGEMM with bias and relu in its store
//   linear/f32/unfused.cpu.<path>/...   Tandem's SGEMM, then the relu op over y (no bias:
//                                       the unfused form is given the lighter job)
//   linear/f32/onednn/...               oneDNN matmul with a bias and an eltwise_relu post-op
// Counters: GFLOP/s (2 m n k per call) and W's bytes as stored.
#include <tandem/cpu/kernels.h>

#include "bench_util.h"
#include "onednn_anchor.h"

namespace tandem::bench {
namespace {

struct LayerShape {
  std::int64_t m, k, n;  // x is m x k, W is k x n
};

// The seed's MLP layer (batch 128, 784 -> 256) and a large square one.
constexpr LayerShape kShapes[] = {{128, 784, 256}, {1024, 1024, 1024}};

double flops(LayerShape s) { return 2.0 * static_cast<double>(s.m * s.n * s.k); }

struct Layer {
  std::vector<float> x, w, bias, y;
  explicit Layer(LayerShape s)
      : x(normal(s.m * s.k, 1)),
        w(normal(s.k * s.n, 2)),
        bias(normal(s.n, 3)),
        y(static_cast<std::size_t>(s.m * s.n)) {}
};

void count_weights(benchmark::State& state, LayerShape s, double bytes_per_weight) {
  state.counters["W_bytes"] = static_cast<double>(s.k * s.n) * bytes_per_weight;
}

void run_fused(benchmark::State& state, LayerShape s, cpu::Isa isa, int threads) {
  Layer l(s);
  count_weights(state, s, sizeof(float));
  measure_flops(state, flops(s), [&] {
    cpu::sgemm(Transpose::no, Transpose::no, s.m, s.n, s.k, 1.0f, l.x.data(), s.k, l.w.data(), s.n,
               0.0f, l.y.data(), s.n, {isa, threads}, {}, {l.bias.data(), Activation::relu});
  });
}

void run_unfused(benchmark::State& state, LayerShape s, cpu::Isa isa, int threads) {
  Layer l(s);
  count_weights(state, s, sizeof(float));
  measure_flops(state, flops(s), [&] {
    cpu::sgemm(Transpose::no, Transpose::no, s.m, s.n, s.k, 1.0f, l.x.data(), s.k, l.w.data(), s.n,
               0.0f, l.y.data(), s.n, {isa, threads});
    cpu::relu(l.y.data(), l.y.data(), s.m * s.n, {isa, threads});
  });
}

void run_onednn(benchmark::State& state, LayerShape s, int threads) {
  const OnednnThreads scope(threads);
  Layer l(s);
  count_weights(state, s, sizeof(float));
  using DataType = OnednnMatmul::DataType;
  OnednnLayer layer;
  layer.bias = true;
  layer.relu = true;
  OnednnMatmul matmul(s.m, s.n, s.k, DataType::f32, DataType::f32, DataType::f32, layer);
  state.SetLabel(matmul.implementation());
  measure_flops(state, flops(s),
                [&] { matmul.run(l.x.data(), l.w.data(), l.y.data(), l.bias.data()); });
}

const bool registered = [] {
  for (const LayerShape s : kShapes) {
    for (const int threads : {1, 2}) {
      const std::string shape = mkn(s.m, s.k, s.n) + "/t" + std::to_string(threads);
      benchmark::RegisterBenchmark(name("linear", "f32", "onednn", shape).c_str(), run_onednn, s,
                                   threads)
          ->Unit(benchmark::kMillisecond);
      for (const cpu::Isa isa : cpu::all_isas()) {
        if (!cpu::isa_supported(isa) || isa == cpu::Isa::baseline) continue;
        const std::string impl = "cpu." + std::string(cpu::isa_name(isa));
        benchmark::RegisterBenchmark(name("linear", "f32", impl, shape).c_str(), run_fused, s, isa,
                                     threads)
            ->Unit(benchmark::kMillisecond);
        benchmark::RegisterBenchmark(name("linear", "f32", "unfused." + impl, shape).c_str(),
                                     run_unfused, s, isa, threads)
            ->Unit(benchmark::kMillisecond);
      }
    }
  }
  return true;
}();

}  // namespace
}  // namespace tandem::bench
