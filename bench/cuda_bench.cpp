// matmul on the GPU: the SGEMM implementations (cuda.tiled_basic, cuda.tiled,
// cuda.cublas) and the int8 GEMMs (cuda.dp4a, the cuda.cublas anchor), registered
// only where there is a GPU. Each run is one time_kernel_gpu session (CUDA events,
// warm-up, then repetitions until a count and a time are reached) whose median is
// reported as the benchmark's manual time; counters GFLOP/s or GOP/s, 2 m n k per call
// over that median.
#include <cstdint>
#include <string>
#include <vector>

#include <tandem/cuda/kernels.h>
#include <tandem/cuda/memory.h>
#include <tandem/cuda/runtime.h>
#include <tandem/timing.h>

#include "bench_util.h"

namespace tandem::bench {
namespace {

constexpr std::int64_t kSizes[] = {1024, 2048, 4096, 8192};  // square: m = k = n
constexpr std::int64_t kBasicMaxSize = 4096;                 // tiled_basic is too slow beyond
constexpr std::int64_t kInt8Sizes[] = {4096};
constexpr int kDevice = 0;

double ops(std::int64_t s) { return 2.0 * static_cast<double>(s) * static_cast<double>(s * s); }

template <typename T>
cuda::DeviceBuffer to_device(const std::vector<T>& host) {
  cuda::DeviceBuffer buffer(kDevice, host.size() * sizeof(T));
  cuda::copy_host_to_device(kDevice, buffer.get(), host.data(), host.size() * sizeof(T));
  return buffer;
}

// Runs one timed session per benchmark iteration (the benchmarks ask for one) and
// reports its median.
template <typename Enqueue>
void measure_gpu(benchmark::State& state, const char* counter, double amount,
                 const cuda::Stream& stream, Enqueue&& enqueue) {
  double median_s = 0.0;
  for (auto _ : state) {
    const TimingStats stats = time_kernel_gpu(enqueue, stream);
    median_s = stats.median_us * 1e-6;
    state.SetIterationTime(median_s);
  }
  if (median_s > 0.0) state.counters[counter] = amount / median_s * 1e-9;
}

void run_sgemm(benchmark::State& state, cuda::SgemmImpl impl, std::int64_t s) {
  const cuda::Stream stream(kDevice);
  const cuda::DeviceBuffer a = to_device(normal(s * s, 1));
  const cuda::DeviceBuffer b = to_device(normal(s * s, 2));
  const cuda::DeviceBuffer c(kDevice, static_cast<std::size_t>(s * s) * sizeof(float));
  measure_gpu(state, "GFLOP/s", ops(s), stream, [&](const cuda::Stream& st) {
    cuda::sgemm(impl, Transpose::no, Transpose::no, s, s, s, 1.0f, a.as<float>(), s, b.as<float>(),
                s, 0.0f, c.as<float>(), s, st);
  });
}

std::vector<std::int8_t> random_int8(std::int64_t n, std::uint64_t seed) {
  std::vector<float> f(static_cast<std::size_t>(n));
  cpu::fill_uniform_int(f.data(), n, seed, -128, 127);
  return std::vector<std::int8_t>(f.begin(), f.end());
}

void run_int8(benchmark::State& state, bool cublas, std::int64_t s) {
  const cuda::Stream stream(kDevice);
  const cuda::DeviceBuffer a = to_device(random_int8(s * s, 1));
  const cuda::DeviceBuffer b = to_device(random_int8(s * s, 2));
  const cuda::DeviceBuffer c(kDevice, static_cast<std::size_t>(s * s) * sizeof(std::int32_t));
  measure_gpu(state, "GOP/s", ops(s), stream, [&](const cuda::Stream& st) {
    if (cublas) {
      cuda::gemm_s8s8s32_cublas(s, s, s, a.as<std::int8_t>(), s, b.as<std::int8_t>(), s,
                                c.as<std::int32_t>(), s, st);
    } else {
      cuda::gemm_s8s8s32(s, s, s, a.as<std::int8_t>(), s, b.as<std::int8_t>(), s,
                         c.as<std::int32_t>(), s, st);
    }
  });
}

const bool registered = [] {
  if (cuda::device_count() == 0) return false;
  for (const std::int64_t s : kSizes) {
    for (const cuda::SgemmImpl impl :
         {cuda::SgemmImpl::tiled_basic, cuda::SgemmImpl::tiled, cuda::SgemmImpl::cublas}) {
      if (impl == cuda::SgemmImpl::tiled_basic && s > kBasicMaxSize) continue;
      benchmark::RegisterBenchmark(
          name("matmul", "f32", cuda::sgemm_impl_name(impl), mkn(s, s, s)).c_str(), run_sgemm, impl,
          s)
          ->UseManualTime()
          ->Iterations(1)
          ->Unit(benchmark::kMillisecond);
    }
  }
  for (const std::int64_t s : kInt8Sizes) {
    for (const bool cublas : {false, true}) {
      benchmark::RegisterBenchmark(
          name("matmul", "i8", cublas ? "cuda.cublas" : "cuda.dp4a", mkn(s, s, s)).c_str(),
          run_int8, cublas, s)
          ->UseManualTime()
          ->Iterations(1)
          ->Unit(benchmark::kMillisecond);
    }
  }
  return true;
}();

}  // namespace
}  // namespace tandem::bench
