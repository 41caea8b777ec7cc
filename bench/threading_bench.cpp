// Where a second thread starts to pay for the 1-D kernels: each op on one thread, and
// split in two halves over an OpenMP team of two (each half on one thread, exactly
// what the kernels' own threading does above their threshold), over a sweep of sizes.
// The thresholds in cpu/src/tuning.h come from this sweep:
//   tandem_bench --benchmark_filter='^threads/' --benchmark_repetitions=5
#include <omp.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <tandem/cpu/kernels.h>

#include "bench_util.h"

namespace tandem::bench {
namespace {

using Chunk = std::function<void(std::int64_t begin, std::int64_t end)>;

void run_split(benchmark::State& state, std::int64_t n, int threads, double bytes_per_element,
               const Chunk& chunk) {
  measure_bytes(state, bytes_per_element * static_cast<double>(n), [&] {
    if (threads == 1) {
      chunk(0, n);
      return;
    }
#pragma omp parallel num_threads(threads)
    {
      const std::int64_t t = omp_get_thread_num();
      chunk(n * t / threads, n * (t + 1) / threads);
    }
  });
}

struct Data {
  std::vector<float> x, y, out;
  std::vector<std::int8_t> q;
  explicit Data(std::int64_t n)
      : x(normal(n, 1)),
        y(normal(n, 2)),
        out(static_cast<std::size_t>(n)),
        q(static_cast<std::size_t>(n)) {}
};

const bool registered = [] {
  const cpu::RunOptions one{cpu::best_isa(), 1};
  for (std::int64_t n = std::int64_t{1} << 10; n <= std::int64_t{1} << 22; n *= 2) {
    auto data = std::make_shared<Data>(n);
    const std::pair<const char*, std::pair<double, Chunk>> ops[] = {
        {"relu",
         {8.0,
          [data, one](std::int64_t b, std::int64_t e) {
            cpu::relu(data->x.data() + b, data->out.data() + b, e - b, one);
          }}},
        {"add",
         {12.0,
          [data, one](std::int64_t b, std::int64_t e) {
            cpu::add(data->x.data() + b, data->y.data() + b, data->out.data() + b, e - b, one);
          }}},
        {"dot",
         {8.0,
          [data, one](std::int64_t b, std::int64_t e) {
            benchmark::DoNotOptimize(cpu::dot(data->x.data() + b, data->y.data() + b, e - b, one));
          }}},
        {"quantize",
         {5.0,
          [data, one](std::int64_t b, std::int64_t e) {
            cpu::quantize(data->x.data() + b, e - b, 0.05f, data->q.data() + b, one);
          }}},
    };
    for (const auto& [op, spec] : ops) {
      for (const int threads : {1, 2}) {
        const std::string shape = std::to_string(n) + "/t" + std::to_string(threads);
        benchmark::RegisterBenchmark(
            name("threads", op, "cpu." + std::string(cpu::isa_name(cpu::best_isa())), shape)
                .c_str(),
            run_split, n, threads, spec.first, spec.second);
      }
    }
  }
  // SGEMM, square n: halves of C's rows on the two threads (each packs all of B, as
  // the threaded SGEMM's row split does not, so the crossover this finds is an upper
  // bound). "Bytes" here are flops: the counter reads GFLOP/s.
  for (const std::int64_t n : {16, 24, 32, 48, 64, 96, 128, 192, 256}) {
    auto data = std::make_shared<Data>(n * n);
    const Chunk rows = [data, one, n](std::int64_t b, std::int64_t e) {
      const std::int64_t r0 = b / n, r1 = e / n;
      cpu::sgemm(Transpose::no, Transpose::no, r1 - r0, n, n, 1.0f, data->x.data() + r0 * n, n,
                 data->y.data(), n, 0.0f, data->out.data() + r0 * n, n, one);
    };
    for (const int threads : {1, 2}) {
      const std::string shape = mkn(n, n, n) + "/t" + std::to_string(threads);
      benchmark::RegisterBenchmark(
          name("threads", "sgemm", "cpu." + std::string(cpu::isa_name(cpu::best_isa())), shape)
              .c_str(),
          [rows, n, threads](benchmark::State& state) {
            run_split(state, n * n, threads, 2.0 * static_cast<double>(n), rows);
          });
    }
  }
  return true;
}();

}  // namespace
}  // namespace tandem::bench
