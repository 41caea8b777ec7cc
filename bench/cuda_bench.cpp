// The GPU benchmarks, registered only where there is a GPU: matmul (the SGEMM
// implementations cuda.tiled_basic, cuda.tiled, cuda.cublas, and cuBLAS in its default
// math mode as a second anchor; the int8 GEMMs cuda.dp4a and the cuda.cublas anchor, its
// layout chosen and B transposed outside the timing; the int8 layer's kernel,
// linear/s8s8/cuda), the fused layer (linear: bias and relu in the
// SGEMM's store; cuBLAS with its separate pass), relu beside its anchors (a float4 device-to-device
// copy of the same bytes, the same kernel without the max, and the copy engine's cudaMemcpyAsync),
// and host<->device transfers (staged pageable vs pinned). Each kernel run is one time_kernel_gpu
// session (CUDA events, warm-up, then repetitions until a count and a time are reached) whose
// median is reported as the benchmark's manual time; counters GFLOP/s or GOP/s (2 m n k per call)
// or GB/s.
#include <array>
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
constexpr std::int64_t kElementwiseSize = std::int64_t{256} << 20;  // 256M floats, 1 GiB
constexpr std::int64_t kTransferBytes = std::int64_t{256} << 20;
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

// The SGEMM, or with fused = true the layer relu(A B + bias) (the bias and the relu in
// the store; cuBLAS: its SGEMM and one more pass).
void run_sgemm(benchmark::State& state, cuda::SgemmImpl impl, std::int64_t s, bool fused) {
  const cuda::Stream stream(kDevice);
  const cuda::DeviceBuffer a = to_device(normal(s * s, 1));
  const cuda::DeviceBuffer b = to_device(normal(s * s, 2));
  const cuda::DeviceBuffer bias = to_device(normal(s, 3));
  const cuda::DeviceBuffer c(kDevice, static_cast<std::size_t>(s * s) * sizeof(float));
  const Epilogue epilogue = fused ? Epilogue{bias.as<float>(), Activation::relu} : Epilogue{};
  measure_gpu(state, "GFLOP/s", ops(s), stream, [&](const cuda::Stream& st) {
    cuda::sgemm(impl, Transpose::no, Transpose::no, s, s, s, 1.0f, a.as<float>(), s, b.as<float>(),
                s, 0.0f, c.as<float>(), s, st, epilogue);
  });
}

std::vector<std::int8_t> random_int8(std::int64_t n, std::uint64_t seed) {
  std::vector<float> f(static_cast<std::size_t>(n));
  cpu::fill_uniform_int(f.data(), n, seed, -128, 127);
  return std::vector<std::int8_t>(f.begin(), f.end());
}

// cuBLAS's SGEMM in its default math mode (cuda.cublas pins pedantic FP32): the other
// anchor, in case pedantic mode keeps cuBLAS from its fastest FP32 kernels.
void run_sgemm_default_math(benchmark::State& state, std::int64_t s) {
  const cuda::Stream stream(kDevice);
  const cuda::DeviceBuffer a = to_device(normal(s * s, 1));
  const cuda::DeviceBuffer b = to_device(normal(s * s, 2));
  const cuda::DeviceBuffer c(kDevice, static_cast<std::size_t>(s * s) * sizeof(float));
  measure_gpu(state, "GFLOP/s", ops(s), stream, [&](const cuda::Stream& st) {
    cuda::sgemm_cublas_default_math(s, s, s, a.as<float>(), b.as<float>(), c.as<float>(), st);
  });
}

void run_int8(benchmark::State& state, bool cublas, std::int64_t s) {
  const cuda::Stream stream(kDevice);
  const cuda::DeviceBuffer a = to_device(random_int8(s * s, 1));
  const cuda::DeviceBuffer b = to_device(random_int8(s * s, 2));
  const cuda::DeviceBuffer c(kDevice, static_cast<std::size_t>(s * s) * sizeof(std::int32_t));
  if (!cublas) {
    measure_gpu(state, "GOP/s", ops(s), stream, [&](const cuda::Stream& st) {
      cuda::gemm_s8s8s32(s, s, s, a.as<std::int8_t>(), s, b.as<std::int8_t>(), s,
                         c.as<std::int32_t>(), s, st);
    });
    return;
  }
  // The anchor's layout is found, and B transposed for "TN", before the timing: only
  // the one cublasGemmEx that does the work is timed. The label says which layout ran.
  auto layout = cuda::CublasInt8Layout::nn;
  const cuda::DeviceBuffer bt(kDevice, static_cast<std::size_t>(s * s));
  const std::int8_t* b_used = b.as<std::int8_t>();
  if (!cuda::gemm_s8s8s32_cublas_in(layout, s, s, s, a.as<std::int8_t>(), s, b_used, s,
                                    c.as<std::int32_t>(), s, stream)) {
    layout = cuda::CublasInt8Layout::tn;
    cuda::transpose_s8(b.as<std::int8_t>(), s, s, s, bt.as<std::int8_t>(), s, stream);
    b_used = bt.as<std::int8_t>();
  }
  state.SetLabel(std::string("cublasGemmEx ") + cuda::cublas_int8_layout_name(layout));
  measure_gpu(state, "GOP/s", ops(s), stream, [&](const cuda::Stream& st) {
    if (!cuda::gemm_s8s8s32_cublas_in(layout, s, s, s, a.as<std::int8_t>(), s, b_used, s,
                                      c.as<std::int32_t>(), s, st)) {
      state.SkipWithError("cublasGemmEx refused the layout it took before");
    }
  });
}

// The int8 layer's kernel (quantized_linear_s8): x and W int8, per-channel scales, bias
// and relu in the dp4a GEMM's store, f32 y, all on the GPU: linear/s8s8/cuda/...
void run_int8_layer(benchmark::State& state, std::int64_t m, std::int64_t k, std::int64_t n) {
  const cuda::Stream stream(kDevice);
  const cuda::DeviceBuffer x = to_device(random_int8(m * k, 1));
  const cuda::DeviceBuffer w = to_device(random_int8(k * n, 2));
  const cuda::DeviceBuffer scales =
      to_device(std::vector<float>(static_cast<std::size_t>(n), 1e-4f));
  const cuda::DeviceBuffer bias = to_device(normal(n, 3));
  const cuda::DeviceBuffer y(kDevice, static_cast<std::size_t>(m * n) * sizeof(float));
  cuda::QuantizedLayerStore store;
  store.scales = scales.as<float>();
  store.per_column = true;
  store.bias = bias.as<float>();
  store.activation = Activation::relu;
  state.counters["W_bytes"] = static_cast<double>(k * n);
  measure_gpu(state, "GOP/s", 2.0 * static_cast<double>(m * n) * static_cast<double>(k), stream,
              [&](const cuda::Stream& st) {
                cuda::quantized_linear_s8(m, n, k, x.as<std::int8_t>(), k, w.as<std::int8_t>(), n,
                                          store, y.get(), n, st);
              });
}

enum class Streaming { relu, copy_kernel, copy_engine };

// relu and its anchors: GB/s counts the bytes read and written.
void run_streaming(benchmark::State& state, Streaming what) {
  const std::int64_t n = kElementwiseSize;
  const cuda::Stream stream(kDevice);
  const cuda::DeviceBuffer x = to_device(normal(n, 1));
  const cuda::DeviceBuffer y(kDevice, static_cast<std::size_t>(n) * sizeof(float));
  measure_gpu(state, "GB/s", 2.0 * static_cast<double>(n) * sizeof(float), stream,
              [&](const cuda::Stream& st) {
                switch (what) {
                  case Streaming::relu:
                    cuda::relu(x.as<float>(), y.as<float>(), n, st);
                    break;
                  case Streaming::copy_kernel:
                    cuda::copy(x.as<float>(), y.as<float>(), n, st);
                    break;
                  case Streaming::copy_engine:
                    cuda::copy_engine(x.as<float>(), y.as<float>(), n, st);
                    break;
                }
              });
}

// Blocking host<->device copies of kTransferBytes, from pageable memory (staged
// through pinned chunks) or from a pinned buffer (straight to the copy engine).
void run_transfer(benchmark::State& state, bool to_device_side, bool pinned) {
  const auto bytes = static_cast<std::size_t>(kTransferBytes);
  std::vector<char> pageable(bytes, 1);
  cuda::PinnedBuffer page_locked(pinned ? bytes : 0);
  void* host = pinned ? page_locked.get() : static_cast<void*>(pageable.data());
  const cuda::DeviceBuffer device(kDevice, bytes);
  measure_bytes(state, static_cast<double>(bytes), [&] {
    if (to_device_side) {
      cuda::copy_host_to_device(kDevice, device.get(), host, bytes);
    } else {
      cuda::copy_device_to_host(kDevice, host, device.get(), bytes);
    }
  });
}

const bool registered = [] {
  if (cuda::device_count() == 0) return false;
  for (const std::int64_t s : kSizes) {
    for (const cuda::SgemmImpl impl :
         {cuda::SgemmImpl::tiled_basic, cuda::SgemmImpl::tiled, cuda::SgemmImpl::cublas}) {
      if (impl == cuda::SgemmImpl::tiled_basic && s > kBasicMaxSize) continue;
      for (const bool fused : {false, true}) {
        if (fused && s != 4096) continue;  // the layer at one size, beside the SGEMM
        benchmark::RegisterBenchmark(
            name(fused ? "linear" : "matmul", "f32", cuda::sgemm_impl_name(impl), mkn(s, s, s))
                .c_str(),
            run_sgemm, impl, s, fused)
            ->UseManualTime()
            ->Iterations(1)
            ->Unit(benchmark::kMillisecond);
      }
    }
  }
  for (const std::int64_t s : kSizes) {
    if (s < 4096) continue;  // the anchor's other mode where the targets are
    benchmark::RegisterBenchmark(
        name("matmul", "f32", "cuda.cublas.default_math", mkn(s, s, s)).c_str(),
        run_sgemm_default_math, s)
        ->UseManualTime()
        ->Iterations(1)
        ->Unit(benchmark::kMillisecond);
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
  for (const auto& [m, k, n] : {std::array<std::int64_t, 3>{128, 784, 256},
                                std::array<std::int64_t, 3>{4096, 4096, 4096}}) {
    benchmark::RegisterBenchmark(name("linear", "s8s8", "cuda", mkn(m, k, n)).c_str(),
                                 run_int8_layer, m, k, n)
        ->UseManualTime()
        ->Iterations(1)
        ->Unit(benchmark::kMillisecond);
  }
  const std::pair<const char*, Streaming> streaming[] = {
      {"relu/f32/cuda", Streaming::relu},
      {"copy/f32/cuda.float4", Streaming::copy_kernel},
      {"copy/f32/cuda.memcpy", Streaming::copy_engine}};
  for (const auto& [prefix, what] : streaming) {
    benchmark::RegisterBenchmark((std::string(prefix) + "/256M").c_str(), run_streaming, what)
        ->UseManualTime()
        ->Iterations(1)
        ->Unit(benchmark::kMillisecond);
  }
  for (const bool to_device_side : {true, false}) {
    for (const bool pinned : {false, true}) {
      benchmark::RegisterBenchmark(
          name("transfer", to_device_side ? "h2d" : "d2h", pinned ? "pinned" : "staged", "256MiB")
              .c_str(),
          run_transfer, to_device_side, pinned)
          ->Unit(benchmark::kMillisecond);
    }
  }
  return true;
}();

}  // namespace
}  // namespace tandem::bench
