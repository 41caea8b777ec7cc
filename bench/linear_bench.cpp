// The fused layer y = relu(x @ W + bias), f32, on 1 and 2 threads:
//   linear/f32/cpu.<path>/...           Tandem's SGEMM with bias and relu in its store
//   linear/f32/unfused.cpu.<path>/...   Tandem's SGEMM, then the relu op over y (no bias:
//                                       the unfused form is given the lighter job)
//   linear/f32/onednn/...               oneDNN matmul with a bias and an eltwise_relu post-op
// and the int8 layer with weights quantized per channel and packed once, bias and relu:
//   linear/s8s8/cpu.<path>/...       x already int8, f32 out (as oneDNN's is given u8 x)
//   linear/s8s8.qx/cpu.<path>/...    x f32, quantized in the call
//   linear/s8s8s8/cpu.<path>/...     x int8, requantized int8 out (a chain of layers)
//   linear/u8s8/cpu.<path>/...       x asymmetric uint8 with a zero point, f32 out
//   linear/q8/cpu.<path>/...         quantized_matmul: both operands quantized per call
//   linear/s16s16/cpu.<path>/...     x int16, weights 16-bit: exact at any K (int64 sums)
//   linear/u8s8/onednn/...           oneDNN u8 x s8 -> f32, per-channel output scales,
//                                    bias, relu, weights reordered once
// Counters: GFLOP/s or GOP/s (2 m n k per call) and W's bytes as stored.
#include <tandem/cpu/kernels.h>
#include <tandem/quantized_layer.h>

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

// ---- int8 -------------------------------------------------------------------------------

constexpr LayerShape kIntShapes[] = {{128, 784, 256}, {2048, 2048, 2048}};

template <typename T>
std::vector<T> ints_of(std::int64_t n, std::uint64_t seed, int lo, int hi) {
  std::vector<float> f(static_cast<std::size_t>(n));
  cpu::fill_uniform_int(f.data(), n, seed, lo, hi);
  return std::vector<T>(f.begin(), f.end());
}

enum class IntForm { int8_x, f32_x, int8_out, quantized_matmul, int16_x, uint8_x };

void run_int8(benchmark::State& state, LayerShape s, IntegerUnit unit, int threads, IntForm form) {
  Layer l(s);
  const Options o = Options::using_implementation(unit.name);
  Options run = o;
  run.threads = threads;
  const Tensor w = Tensor::from(l.w, {s.k, s.n}), bias = Tensor::from(l.bias, {s.n});
  const Tensor x = Tensor::from(l.x, {s.m, s.k});
  const int bits = form == IntForm::int16_x ? 16 : 8;
  const QuantizedWeights q = QuantizedWeights::prepare(w, bits, ScaleGranularity::per_channel, o);
  const QuantizedTensor xq = quantize(x, bits);
  const QuantizedTensor xu = quantize_asymmetric(x);
  state.counters["W_bytes"] = form == IntForm::quantized_matmul
                                  ? static_cast<double>(s.k * s.n) * sizeof(float)
                                  : static_cast<double>(q.stored_bytes());
  std::vector<float> c(static_cast<std::size_t>(s.m * s.n));
  measure(state, "GOP/s", flops(s), [&] {
    switch (form) {
      case IntForm::int8_x:
      case IntForm::int16_x:
        benchmark::DoNotOptimize(quantized_linear(xq, q, bias, Activation::relu, run));
        break;
      case IntForm::f32_x:
        benchmark::DoNotOptimize(quantized_linear(x, q, bias, Activation::relu, run));
        break;
      case IntForm::uint8_x:
        benchmark::DoNotOptimize(quantized_linear(xu, q, bias, Activation::relu, run));
        break;
      case IntForm::int8_out:
        benchmark::DoNotOptimize(quantized_linear(xq, q, bias, Activation::relu, 0.05f, run));
        break;
      case IntForm::quantized_matmul:
        cpu::quantized_matmul(l.x.data(), l.w.data(), c.data(), s.m, s.n, s.k, 8,
                              unit.run(threads));
        break;
    }
  });
}

void run_onednn_int8(benchmark::State& state, LayerShape s, int threads) {
  const OnednnThreads scope(threads);
  Layer l(s);
  const auto x = ints_of<std::uint8_t>(s.m * s.k, 1, 0, 255);
  const auto w = ints_of<std::int8_t>(s.k * s.n, 2, -127, 127);
  using DataType = OnednnMatmul::DataType;
  OnednnLayer layer;
  layer.bias = true;
  layer.relu = true;
  layer.weights_reordered_once = true;
  layer.output_scales.assign(static_cast<std::size_t>(s.n), 1e-4f);
  OnednnMatmul matmul(s.m, s.n, s.k, DataType::u8, DataType::s8, DataType::f32, layer);
  matmul.prepare_weights(w.data());
  state.SetLabel(matmul.implementation());
  state.counters["W_bytes"] = static_cast<double>(matmul.weights_bytes());
  measure(state, "GOP/s", flops(s),
          [&] { matmul.run(x.data(), nullptr, l.y.data(), l.bias.data()); });
}

// K = 4096: the 16-bit layer (beyond int32's reach) beside the 8-bit one and f32.
constexpr LayerShape kWideShape{256, 4096, 1024};

const bool registered_int8 = [] {
  for (const int threads : {1, 2}) {
    const std::string shape =
        mkn(kWideShape.m, kWideShape.k, kWideShape.n) + "/t" + std::to_string(threads);
    for (const IntegerUnit& u : kIntegerUnits) {
      if (!u.available()) continue;
      benchmark::RegisterBenchmark(name("linear", "s8s8", u.name, shape).c_str(), run_int8,
                                   kWideShape, u, threads, IntForm::int8_x)
          ->Unit(benchmark::kMillisecond);
      if (u.unit == cpu::IgemmUnit::amx) continue;  // int16 has no AMX form
      benchmark::RegisterBenchmark(name("linear", "s16s16", u.name, shape).c_str(), run_int8,
                                   kWideShape, u, threads, IntForm::int16_x)
          ->Unit(benchmark::kMillisecond);
      if (u.unit != cpu::IgemmUnit::vectors) continue;  // f32 is the path's own
      benchmark::RegisterBenchmark(name("linear", "f32", u.name, shape).c_str(), run_fused,
                                   kWideShape, u.isa, threads)
          ->Unit(benchmark::kMillisecond);
    }
  }
  for (const LayerShape s : kIntShapes) {
    for (const int threads : {1, 2}) {
      const std::string shape = mkn(s.m, s.k, s.n) + "/t" + std::to_string(threads);
      benchmark::RegisterBenchmark(name("linear", "u8s8", "onednn", shape).c_str(), run_onednn_int8,
                                   s, threads)
          ->Unit(benchmark::kMillisecond);
      for (const IntegerUnit& u : kIntegerUnits) {
        if (!u.available()) continue;
        const std::pair<const char*, IntForm> forms[] = {{"s8s8", IntForm::int8_x},
                                                         {"s8s8.qx", IntForm::f32_x},
                                                         {"s8s8s8", IntForm::int8_out},
                                                         {"u8s8", IntForm::uint8_x},
                                                         {"q8", IntForm::quantized_matmul}};
        for (const auto& [dtype, form] : forms) {
          benchmark::RegisterBenchmark(name("linear", dtype, u.name, shape).c_str(), run_int8, s, u,
                                       threads, form)
              ->Unit(benchmark::kMillisecond);
        }
      }
    }
  }
  return true;
}();

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
