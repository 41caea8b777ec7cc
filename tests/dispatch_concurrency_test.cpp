// Many threads calling the public API at once: 8 threads x 1000 mixed calls (auto,
// forced implementations, explicit devices when there is a GPU), with the verbose
// log on, every result checked against the reference computed up front. Also run
// under ThreadSanitizer (the "tsan" preset).
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <tandem/cpu/random.h>
#include <tandem/cpu/reference.h>
#include <tandem/cuda/runtime.h>
#include <tandem/ops.h>

#include "dispatch_log_capture.h"

namespace ref = tandem::cpu::reference;
using tandem::Device;
using tandem::Options;
using tandem::Tensor;

namespace {

Tensor ints(const tandem::Shape& shape, std::uint64_t seed) {
  std::vector<float> v(static_cast<std::size_t>(shape.numel()));
  tandem::cpu::fill_uniform_int(v.data(), shape.numel(), seed, -8, 8);
  return Tensor::from(v, shape);
}

}  // namespace

TEST(DispatchConcurrency, EightThreadsThousandMixedCallsEach) {
  constexpr int kThreads = 8;
  constexpr int kCallsPerThread = 1000;
  const Tensor a = ints({12, 20}, 1);
  const Tensor b = ints({20, 9}, 2);
  const Tensor x = ints({777}, 3);
  const Tensor y = ints({777}, 4);
  std::vector<float> mm(12 * 9), qmm(12 * 9), r(777), s(777);
  ref::matmul(a.data<float>(), b.data<float>(), mm.data(), 12, 9, 20);
  ref::quantized_matmul(a.data<float>(), b.data<float>(), qmm.data(), 12, 9, 20, 8);
  ref::relu(x.data<float>(), r.data(), 777);
  ref::add(x.data<float>(), y.data<float>(), s.data(), 777);
  const double dot = ref::dot(x.data<float>(), y.data<float>(), 777);
  std::vector<std::int8_t> q(777);
  const float scale = ref::quantize_scale(x.data<float>(), 777, 8);
  ref::quantize(x.data<float>(), 777, scale, q.data());
  const bool gpu = tandem::cuda::device_count() > 0;

  tandem::testing::DispatchLogCapture log;
  std::atomic<int> wrong{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCallsPerThread; ++i) {
        // Every few calls forced onto the reference, or (with a GPU) onto cuda:0.
        Options o;
        if (i % 5 == 1) o = Options::using_implementation("reference");
        if (gpu && i % 5 == 2) o = Options::on(Device::cuda(0));
        try {
          bool ok = true;
          switch ((i + t) % 6) {
            case 0:
              ok = tandem::matmul(a, b, o).to_vector<float>() == mm;
              break;
            case 1:
              ok = tandem::relu(x, o).to_vector<float>() == r;
              break;
            case 2:
              ok = tandem::add(x, y, o).to_vector<float>() == s;
              break;
            case 3:
              ok = tandem::dot(x, y, o) == dot;
              break;
            case 4: {
              const auto qt = tandem::quantize(x, 8, o);
              ok = qt.scale == scale && qt.values.to_vector<std::int8_t>() == q;
              break;
            }
            case 5:
              ok = tandem::quantized_matmul(a, b, 8, o).to_vector<float>() == qmm;
              break;
          }
          if (!ok) ++wrong;
        } catch (...) {
          ++failed;
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(failed.load(), 0);
  const auto rows = log.rows();
  EXPECT_EQ(rows.size(), static_cast<std::size_t>(kThreads * kCallsPerThread));
  for (const auto& row : rows) {
    ASSERT_EQ(row.size(), static_cast<std::size_t>(tandem::testing::kColumns));
  }
}
