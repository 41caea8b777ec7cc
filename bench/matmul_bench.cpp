// matmul f32: Tandem's SGEMM per CPU path beside the anchors (OpenBLAS cblas_sgemm,
// oneDNN matmul, BLIS bli_sgemm), on 1 and 2 threads, and the reference on small sizes.
#include <cblas.h>

#include <tandem/cpu/kernels.h>
#include <tandem/cpu/reference.h>

#include "bench_util.h"
#include "blis_anchor.h"
#include "onednn_anchor.h"

namespace tandem::bench {
namespace {

struct MatmulShape {
  std::int64_t m, k, n;  // A is m x k, B is k x n
};

// The reference is a plain triple loop: small sizes only.
constexpr MatmulShape kReferenceShapes[] = {{64, 64, 64}, {128, 128, 128}, {256, 256, 256}};
// The targets: square sizes, an MLP layer (batch 128, 784 -> 256), a short-K product
// with a large output (4096 x 64 times 64 x 4096), small squares, and the skinny
// extremes: a row vector times a matrix (m = 1) and a matrix times a column (n = 1).
constexpr MatmulShape kShapes[] = {{256, 256, 256}, {1024, 1024, 1024}, {2048, 2048, 2048},
                                   {128, 784, 256}, {4096, 64, 4096},   {32, 32, 32},
                                   {64, 64, 64},    {1, 4096, 4096},    {4096, 4096, 1}};

double flops(MatmulShape s) { return 2.0 * static_cast<double>(s.m * s.n * s.k); }

struct Operands {
  std::vector<float> a, b, c;
  explicit Operands(MatmulShape s)
      : a(normal(s.m * s.k, 1)), b(normal(s.k * s.n, 2)), c(static_cast<std::size_t>(s.m * s.n)) {}
};

void run_reference(benchmark::State& state, MatmulShape s) {
  Operands o(s);
  measure_flops(state, flops(s),
                [&] { cpu::reference::matmul(o.a.data(), o.b.data(), o.c.data(), s.m, s.n, s.k); });
}

void run_openblas(benchmark::State& state, MatmulShape s, int threads) {
  openblas_set_num_threads(threads);
  Operands o(s);
  const auto m = static_cast<blasint>(s.m), n = static_cast<blasint>(s.n),
             k = static_cast<blasint>(s.k);
  measure_flops(state, flops(s), [&] {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, o.a.data(), k, o.b.data(),
                n, 0.0f, o.c.data(), n);
  });
}

void run_blis(benchmark::State& state, MatmulShape s, int threads) {
  blis_set_threads(threads);
  Operands o(s);
  measure_flops(state, flops(s),
                [&] { blis_sgemm(s.m, s.n, s.k, o.a.data(), o.b.data(), o.c.data()); });
}

void run_onednn(benchmark::State& state, MatmulShape s, int threads) {
  const OnednnThreads scope(threads);
  Operands o(s);
  using DataType = OnednnMatmul::DataType;
  OnednnMatmul matmul(s.m, s.n, s.k, DataType::f32, DataType::f32, DataType::f32);
  state.SetLabel(matmul.implementation());
  measure_flops(state, flops(s), [&] { matmul.run(o.a.data(), o.b.data(), o.c.data()); });
}

void run_tandem(benchmark::State& state, MatmulShape s, cpu::Isa isa, int threads) {
  Operands o(s);
  measure_flops(state, flops(s), [&] {
    cpu::sgemm(Transpose::no, Transpose::no, s.m, s.n, s.k, 1.0f, o.a.data(), s.k, o.b.data(), s.n,
               0.0f, o.c.data(), s.n, {isa, threads});
  });
}

const bool registered = [] {
  for (const MatmulShape s : kReferenceShapes) {
    benchmark::RegisterBenchmark(name("matmul", "f32", "reference", mkn(s.m, s.k, s.n)).c_str(),
                                 run_reference, s)
        ->Unit(benchmark::kMillisecond);
    // The foundation's side-by-side anchor: OpenBLAS on 2 threads, no thread suffix.
    benchmark::RegisterBenchmark(name("matmul", "f32", "openblas", mkn(s.m, s.k, s.n)).c_str(),
                                 run_openblas, s, 2)
        ->Unit(benchmark::kMillisecond);
  }
  for (const MatmulShape s : kShapes) {
    for (const int threads : {1, 2}) {
      const std::string shape = mkn(s.m, s.k, s.n) + "/t" + std::to_string(threads);
      benchmark::RegisterBenchmark(name("matmul", "f32", "openblas", shape).c_str(), run_openblas,
                                   s, threads)
          ->Unit(benchmark::kMillisecond);
      benchmark::RegisterBenchmark(name("matmul", "f32", "onednn", shape).c_str(), run_onednn, s,
                                   threads)
          ->Unit(benchmark::kMillisecond);
      benchmark::RegisterBenchmark(name("matmul", "f32", "blis", shape).c_str(), run_blis, s,
                                   threads)
          ->Unit(benchmark::kMillisecond);
      for (const cpu::Isa isa : cpu::all_isas()) {
        if (!cpu::isa_supported(isa)) continue;
        const std::string impl = "cpu." + std::string(cpu::isa_name(isa));
        benchmark::RegisterBenchmark(name("matmul", "f32", impl, shape).c_str(), run_tandem, s, isa,
                                     threads)
            ->Unit(benchmark::kMillisecond);
      }
    }
  }
  return true;
}();

}  // namespace
}  // namespace tandem::bench
