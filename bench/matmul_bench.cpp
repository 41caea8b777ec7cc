// matmul f32: Tandem's kernels beside the OpenBLAS anchor (cblas_sgemm, 2 threads).
#include <cblas.h>

#include <tandem/cpu/reference.h>

#include "bench_util.h"

namespace tandem::bench {
namespace {

struct MatmulShape {
  std::int64_t m, n, k;
};

// Kept small: the reference kernel is a plain triple loop.
constexpr MatmulShape kShapes[] = {{64, 64, 64}, {128, 128, 128}, {256, 256, 256}};
constexpr int kOpenBlasThreads = 2;

double flops(MatmulShape s) { return 2.0 * static_cast<double>(s.m * s.n * s.k); }

void run_reference(benchmark::State& state, MatmulShape s) {
  const auto a = normal(s.m * s.k, 1), b = normal(s.k * s.n, 2);
  std::vector<float> c(static_cast<std::size_t>(s.m * s.n));
  measure_flops(state, flops(s),
                [&] { cpu::reference::matmul(a.data(), b.data(), c.data(), s.m, s.n, s.k); });
}

void run_openblas(benchmark::State& state, MatmulShape s) {
  openblas_set_num_threads(kOpenBlasThreads);
  const auto a = normal(s.m * s.k, 1), b = normal(s.k * s.n, 2);
  std::vector<float> c(static_cast<std::size_t>(s.m * s.n));
  const auto m = static_cast<blasint>(s.m), n = static_cast<blasint>(s.n),
             k = static_cast<blasint>(s.k);
  measure_flops(state, flops(s), [&] {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a.data(), k, b.data(), n,
                0.0f, c.data(), n);
  });
}

const bool registered = [] {
  for (const MatmulShape s : kShapes) {
    const std::string shape = mnk(s.m, s.n, s.k);
    benchmark::RegisterBenchmark(name("matmul", "f32", "reference", shape).c_str(), run_reference,
                                 s)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(name("matmul", "f32", "openblas", shape).c_str(), run_openblas, s)
        ->Unit(benchmark::kMillisecond);
  }
  return true;
}();

}  // namespace
}  // namespace tandem::bench
