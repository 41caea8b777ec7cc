// The dispatcher: the registry, its choices (auto, forced implementations, devices,
// calibration profiles), the verbose log, and every public op through every CPU
// implementation against the reference. Which implementation ran is read from the
// verbose log (and cpu::last_isa()), not assumed.
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <tandem/cost_model.h>
#include <tandem/cpu/isa.h>
#include <tandem/cpu/random.h>
#include <tandem/cpu/reference.h>
#include <tandem/error.h>
#include <tandem/kernels.h>
#include <tandem/ops.h>
#include <tandem/quantized_layer.h>

#include "dispatch_log_capture.h"
#include "gpu_test.h"

namespace ref = tandem::cpu::reference;
using tandem::Device;
using tandem::DeviceKind;
using tandem::Op;
using tandem::Options;
using tandem::Shape;
using tandem::Tensor;
using tandem::Transpose;
using namespace tandem::testing;

namespace {

// Integer-valued inputs in [lo, hi]: sums and products stay exact in float.
Tensor ints(const Shape& shape, std::uint64_t seed, int lo = -8, int hi = 8) {
  std::vector<float> v(static_cast<std::size_t>(shape.numel()));
  tandem::cpu::fill_uniform_int(v.data(), shape.numel(), seed, lo, hi);
  return Tensor::from(v, shape);
}

std::string best_cpu_path() {
  return "cpu." + std::string(tandem::cpu::isa_name(tandem::cpu::best_isa()));
}

// The CPU implementations of op that can run here, in registry order.
std::vector<std::string> runnable_cpu_implementations(Op op) {
  std::vector<std::string> names;
  for (const auto& k : tandem::registered_kernels()) {
    if (k.op == tandem::op_name(op) && k.device == DeviceKind::cpu && k.available) {
      names.push_back(k.implementation);
    }
  }
  return names;
}

// Restores the built-in cost model when a test that replaced it ends.
struct CostModelReset {
  ~CostModelReset() { tandem::set_cost_model(tandem::CostModel()); }
};

// A profile measuring `op` on the given implementations at a constant time each.
std::string flat_profile(Op op, const std::vector<std::pair<std::string, double>>& times) {
  std::string kernels;
  for (const auto& [impl, us] : times) {
    if (!kernels.empty()) kernels += ", ";
    kernels += R"({"op": ")" + std::string(tandem::op_name(op)) + R"(", "implementation": ")" +
               impl + R"(", "points": [[1, )" + std::to_string(us) + "], [1e12, " +
               std::to_string(us) + "]]}";
  }
  return R"({"schema": "tandem-profile", "version": 1,
             "transfer": {"h2d_gb_per_s": 10, "d2h_gb_per_s": 10, "latency_us": 5},
             "kernels": [)" +
         kernels + "]}";
}

}  // namespace

// ---- The registry ----------------------------------------------------------------------

TEST(DispatchRegistry, EveryOpHasTheCpuPathsBestFirstThenTheReference) {
  const auto kernels = tandem::registered_kernels();
  for (const Op op : tandem::all_ops()) {
    std::vector<std::string> cpu;
    for (const auto& k : kernels) {
      if (k.op == tandem::op_name(op) && k.device == DeviceKind::cpu)
        cpu.push_back(k.implementation);
    }
    // The integer GEMM's ops also have its units, each before its path's vectors.
    const bool int8 = op == Op::quantized_matmul || op == Op::quantized_linear;
    const std::vector<std::string> expected =
        op == Op::batch_apply ? std::vector<std::string>{"cpu.openmp", "reference"}
        : int8 ? std::vector<std::string>{"cpu.amx",  "cpu.avx512",   "cpu.avx2_vnni",
                                          "cpu.avx2", "cpu.baseline", "reference"}
               : std::vector<std::string>{"cpu.avx512", "cpu.avx2", "cpu.baseline", "reference"};
    EXPECT_EQ(cpu, expected) << tandem::op_name(op);
  }
}

TEST(DispatchRegistry, AvailabilityFollowsTheCpuAndTheGpuWithAReason) {
  for (const auto& k : tandem::registered_kernels()) {
    SCOPED_TRACE(k.op + " " + k.implementation);
    EXPECT_EQ(k.available, k.unavailable_reason.empty());
    if (k.device == DeviceKind::cuda) {
      EXPECT_EQ(k.available, tandem::cuda::device_count() > 0);
    } else if (k.implementation == "cpu.amx") {
      EXPECT_EQ(k.available,
                tandem::cpu::best_isa() == tandem::cpu::Isa::avx512 && tandem::cpu::has_amx_int8());
    } else if (k.implementation == "cpu.avx2_vnni") {  // the cap names paths, not units
      EXPECT_EQ(k.available,
                tandem::cpu::best_isa() >= tandem::cpu::Isa::avx2 && tandem::cpu::has_avx_vnni());
    } else if (k.implementation.starts_with("cpu.") && k.implementation != "cpu.openmp") {
      const auto isa = tandem::cpu::parse_isa(k.implementation.substr(4));
      ASSERT_TRUE(isa.has_value());
      const bool int8 = k.op == "quantized_matmul" || k.op == "quantized_linear";
      const bool vnni_needed = int8 && *isa == tandem::cpu::Isa::avx512;
      EXPECT_EQ(k.available, tandem::cpu::isa_supported(*isa) && *isa <= tandem::cpu::best_isa() &&
                                 (!vnni_needed || tandem::cpu::has_avx512_vnni()));
    } else {
      EXPECT_TRUE(k.available);
    }
  }
}

TEST(DispatchRegistry, TheGpuKernelsAreListedWhenBuiltWithCuda) {
  if (!tandem::cuda::built_with_cuda()) GTEST_SKIP() << "built without CUDA";
  std::vector<std::string> matmul_gpu;
  for (const auto& k : tandem::registered_kernels()) {
    if (k.op == "matmul" && k.device == DeviceKind::cuda) matmul_gpu.push_back(k.implementation);
  }
  EXPECT_EQ(matmul_gpu,
            (std::vector<std::string>{"cuda.cublas", "cuda.tiled", "cuda.tiled_basic"}));
}

// ---- Choices ------------------------------------------------------------------------------

TEST(Dispatch, AutoRunsHostDataOnTheBestCpuPath) {
  DispatchLogCapture log;
  const Tensor x = ints({1000}, 1);
  const Tensor y = tandem::relu(x);
  const auto row = log.last();
  ASSERT_EQ(row.size(), static_cast<std::size_t>(kColumns));
  EXPECT_EQ(row[kOp], "relu");
  EXPECT_EQ(row[kDevice], "cpu");
  EXPECT_EQ(row[kImplementation], best_cpu_path());
  EXPECT_EQ(tandem::cpu::last_isa(), tandem::cpu::best_isa());
  EXPECT_NE(row[kReason].find("auto: host data"), std::string::npos) << row[kReason];
  if (tandem::cuda::device_count() == 0) {
    EXPECT_NE(row[kReason].find("no GPU"), std::string::npos) << row[kReason];
  }
  for (const auto isa : tandem::cpu::all_isas()) {
    if (isa > tandem::cpu::best_isa()) {
      EXPECT_NE(row[kReason].find("passed over cpu." + std::string(tandem::cpu::isa_name(isa))),
                std::string::npos)
          << row[kReason];
    }
  }
}

// Every public op, forced onto every CPU implementation that can run here, gives the
// reference's result (bit for bit: integer-valued inputs), and the log names it.
TEST(Dispatch, EveryOpOnEveryCpuImplementationMatchesTheReference) {
  const Tensor a = ints({23, 17}, 1);
  const Tensor b = ints({17, 29}, 2);
  const Tensor x = ints({1001}, 3);
  const Tensor y = ints({1001}, 4);
  const std::int64_t n = x.numel();
  const Tensor bias = ints({29}, 5);
  std::vector<float> mm(23 * 29), lin(23 * 29), qmm(23 * 29), r(n), s(n), p(n), d(n), qr(n);
  ref::matmul(a.data<float>(), b.data<float>(), mm.data(), 23, 29, 17);
  ref::gemm(Transpose::no, Transpose::no, 23, 29, 17, 1.0f, a.data<float>(), 17, b.data<float>(),
            29, 0.0f, lin.data(), 29, {bias.data<float>(), tandem::Activation::relu});
  ref::quantized_matmul(a.data<float>(), b.data<float>(), qmm.data(), 23, 29, 17, 8);
  ref::relu(x.data<float>(), r.data(), n);
  ref::add(x.data<float>(), y.data<float>(), s.data(), n);
  ref::multiply(x.data<float>(), y.data<float>(), p.data(), n);
  ref::squared_difference(x.data<float>(), y.data<float>(), d.data(), n);
  ref::quantized_relu(x.data<float>(), qr.data(), n, 16);
  const float scale = ref::quantize_scale(x.data<float>(), n, 8);
  std::vector<std::int8_t> q(n);
  ref::quantize(x.data<float>(), n, scale, q.data());
  std::vector<float> dq(n);
  ref::dequantize(q.data(), n, scale, dq.data());
  const double dot = ref::dot(x.data<float>(), y.data<float>(), n);
  const double dist = ref::euclidean_distance(x.data<float>(), y.data<float>(), n);
  const double cos = ref::cosine_similarity(x.data<float>(), y.data<float>(), n);
  const tandem::RowFunction square = [](const float* in, float* out, std::int64_t len) {
    for (std::int64_t i = 0; i < len; ++i) out[i] = in[i] * in[i];
  };
  std::vector<float> squares(static_cast<std::size_t>(a.numel()));
  square(a.data<float>(), squares.data(), a.numel());

  const std::vector<float> qlin =
      tandem::quantized_linear(
          a,
          tandem::QuantizedWeights::prepare(b, 8, tandem::ScaleGranularity::per_channel,
                                            Options::using_implementation("reference")),
          bias, tandem::Activation::relu)
          .to_vector<float>();

  for (const Op op : tandem::all_ops()) {
    for (const std::string& impl : runnable_cpu_implementations(op)) {
      SCOPED_TRACE(std::string(tandem::op_name(op)) + " on " + impl);
      Options o = Options::using_implementation(impl);
      DispatchLogCapture log;
      switch (op) {
        case Op::matmul:
          EXPECT_EQ(tandem::matmul(a, b, o).to_vector<float>(), mm);
          break;
        case Op::gemm: {
          Tensor c = Tensor::zeros({23, 29}, tandem::DType::f32);
          tandem::gemm(Transpose::no, Transpose::no, 1.0f, a, b, 0.0f, c, o);
          EXPECT_EQ(c.to_vector<float>(), mm);
          break;
        }
        case Op::linear:
          EXPECT_EQ(tandem::linear(a, b, bias, tandem::Activation::relu, o).to_vector<float>(),
                    lin);
          break;
        case Op::relu:
          EXPECT_EQ(tandem::relu(x, o).to_vector<float>(), r);
          break;
        case Op::add:
          EXPECT_EQ(tandem::add(x, y, o).to_vector<float>(), s);
          break;
        case Op::multiply:
          EXPECT_EQ(tandem::multiply(x, y, o).to_vector<float>(), p);
          break;
        case Op::squared_difference:
          EXPECT_EQ(tandem::squared_difference(x, y, o).to_vector<float>(), d);
          break;
        case Op::dot:
          EXPECT_EQ(tandem::dot(x, y, o), dot);
          break;
        case Op::euclidean_distance:
          EXPECT_EQ(tandem::euclidean_distance(x, y, o), dist);
          break;
        case Op::cosine_similarity:
          EXPECT_NEAR(tandem::cosine_similarity(x, y, o), cos, 1e-12);
          break;
        case Op::quantize: {
          const tandem::QuantizedTensor qt = tandem::quantize(x, 8, o);
          EXPECT_EQ(qt.scale, scale);
          EXPECT_EQ(qt.values.to_vector<std::int8_t>(), q);
          break;
        }
        case Op::dequantize: {
          const tandem::QuantizedTensor qt{Tensor::from(q), scale};
          EXPECT_EQ(tandem::dequantize(qt, o).to_vector<float>(), dq);
          break;
        }
        case Op::quantized_matmul:
          EXPECT_EQ(tandem::quantized_matmul(a, b, 8, o).to_vector<float>(), qmm);
          break;
        case Op::quantized_relu:
          EXPECT_EQ(tandem::quantized_relu(x, 16, o).to_vector<float>(), qr);
          break;
        case Op::quantized_linear: {
          const auto w =
              tandem::QuantizedWeights::prepare(b, 8, tandem::ScaleGranularity::per_channel, o);
          EXPECT_EQ(w.implementation(), impl);
          EXPECT_EQ(
              tandem::quantized_linear(a, w, bias, tandem::Activation::relu, o).to_vector<float>(),
              qlin);
          break;
        }
        case Op::batch_apply:
          EXPECT_EQ(tandem::batch_apply(a, square, 3, o).to_vector<float>(), squares);
          break;
      }
      const auto row = log.last();
      ASSERT_EQ(row.size(), static_cast<std::size_t>(kColumns));
      EXPECT_EQ(row[kOp], tandem::op_name(op));
      EXPECT_EQ(row[kImplementation], impl);
      EXPECT_EQ(row[kReason], "forced by Options::implementation");
    }
  }
}

TEST(Dispatch, ThreadsAndBlockingOptionsReachTheCpuGemm) {
  const Tensor a = ints({64, 48}, 5);
  const Tensor b = ints({48, 40}, 6);
  std::vector<float> expected(64 * 40);
  ref::matmul(a.data<float>(), b.data<float>(), expected.data(), 64, 40, 48);
  Options o;
  o.threads = 1;
  o.blocking = {8, 16, 24};  // tiny blocks: many packing steps, same result
  EXPECT_EQ(tandem::matmul(a, b, o).to_vector<float>(), expected);
}

TEST(Dispatch, AnUnknownImplementationListsTheValidNames) {
  try {
    tandem::relu(ints({4}, 1), Options::using_implementation("cpu.sse9"));
    FAIL() << "no exception";
  } catch (const tandem::ArgumentError& e) {
    EXPECT_STREQ(e.what(),
                 "relu: unknown implementation 'cpu.sse9' for [4] (relu has cpu.avx512, cpu.avx2, "
                 "cpu.baseline, reference, cuda)");
  }
}

TEST(Dispatch, AnUnsupportedCpuPathIsADeviceErrorSayingWhy) {
  std::string missing;
  for (const auto isa : tandem::cpu::all_isas()) {
    if (!tandem::cpu::isa_supported(isa)) missing = tandem::cpu::isa_name(isa);
  }
  if (missing.empty()) GTEST_SKIP() << "this CPU supports every path";
  EXPECT_THROW(
      {
        try {
          tandem::relu(ints({4}, 1), Options::using_implementation("cpu." + missing));
        } catch (const tandem::DeviceError& e) {
          EXPECT_EQ(
              std::string(e.what()),
              "relu: cpu." + missing + " cannot run here: this CPU does not support " + missing);
          throw;
        }
      },
      tandem::DeviceError);
}

TEST(Dispatch, AForcedImplementationContradictingTheDeviceIsAnArgumentError) {
  Options o = Options::on(Device::cpu());
  o.implementation = "cuda";
  EXPECT_THROW(tandem::relu(ints({4}, 1), o), tandem::ArgumentError);
  o = Options::on(Device::cuda(0));
  o.implementation = "reference";
  EXPECT_THROW(tandem::relu(ints({4}, 1), o), tandem::ArgumentError);
}

TEST(Dispatch, AnExplicitCpuRequestStaysOnTheCpu) {
  DispatchLogCapture log;
  tandem::add(ints({10}, 1), ints({10}, 2), Options::on(Device::cpu()));
  EXPECT_EQ(log.last()[kDevice], "cpu");
  EXPECT_EQ(log.last()[kImplementation], best_cpu_path());
  EXPECT_EQ(log.last()[kReason].rfind("cpu requested by Options::device", 0), 0u);
}

TEST(Dispatch, WithoutAGpuAnExplicitCudaRequestIsADeviceErrorNamingTheReason) {
  if (tandem::cuda::device_count() > 0) GTEST_SKIP() << "a GPU is present";
  const Tensor x = ints({4}, 1);
  try {
    tandem::relu(x, Options::on(Device::cuda(0)));
    FAIL() << "no exception";
  } catch (const tandem::DeviceError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.rfind("relu: cuda:0 requested by Options::device, but no GPU is usable: ", 0),
              0u)
        << what;
  }
  EXPECT_THROW(tandem::matmul(ints({2, 2}, 1), ints({2, 2}, 2),
                              Options::using_implementation("cuda.cublas")),
               tandem::DeviceError);
  EXPECT_THROW(tandem::batch_apply(
                   ints({2, 2}, 1), [](const float*, float*, std::int64_t) {}, 1,
                   Options::on(Device::cuda(0))),
               tandem::DeviceError);
}

// ---- The cost model and calibration profiles ---------------------------------------------

TEST(DispatchCostModel, DefaultsAreNamedAndKeepSmallHostWorkOnTheCpu) {
  const tandem::CostModel m;
  EXPECT_EQ(m.source(), "built-in defaults");
  EXPECT_FALSE(m.measured(Op::relu));
  // relu of 1M elements: the CPU's 0.5 us + 1e6 / 2e3 per us.
  EXPECT_DOUBLE_EQ(m.predict_us(Op::relu, "cpu.avx2", DeviceKind::cpu, 1e6), 500.5);
  // Element-wise work never pays for its transfers; a 4096^3 matmul does.
  const double relu_gpu =
      m.predict_us(Op::relu, "cuda", DeviceKind::cuda, 1e8) + m.transfer_us(4e8, 4e8);
  EXPECT_GT(relu_gpu, m.predict_us(Op::relu, "cpu.avx2", DeviceKind::cpu, 1e8));
  const double flops = 2.0 * 4096 * 4096 * 4096;
  const double bytes = 4.0 * 4096 * 4096;
  EXPECT_LT(m.predict_us(Op::matmul, "cuda.cublas", DeviceKind::cuda, flops) +
                m.transfer_us(2 * bytes, bytes),
            m.predict_us(Op::matmul, "cpu.avx2", DeviceKind::cpu, flops));
}

TEST(DispatchCostModel, AProfileIsInterpolatedOnLogLogAxes) {
  const auto m = tandem::CostModel::parse(R"({"schema": "tandem-profile", "version": 1,
      "transfer": {"h2d_gb_per_s": 10, "d2h_gb_per_s": 20, "latency_us": 5},
      "kernels": [{"op": "relu", "implementation": "cpu.avx2",
                   "points": [[100000, 100], [1000, 10]]}],
      "machine": "ignored"})",
                                          "test profile");
  EXPECT_EQ(m.source(), "test profile");
  EXPECT_TRUE(m.measured(Op::relu));
  EXPECT_TRUE(m.measured(Op::relu, "cpu.avx2"));
  EXPECT_FALSE(m.measured(Op::relu, "reference"));
  EXPECT_DOUBLE_EQ(m.predict_us(Op::relu, "cpu.avx2", DeviceKind::cpu, 1000), 10.0);
  EXPECT_NEAR(m.predict_us(Op::relu, "cpu.avx2", DeviceKind::cpu, 10000), 10.0 * std::sqrt(10.0),
              1e-9);
  EXPECT_DOUBLE_EQ(m.predict_us(Op::relu, "cpu.avx2", DeviceKind::cpu, 10), 10.0);
  EXPECT_DOUBLE_EQ(m.predict_us(Op::relu, "cpu.avx2", DeviceKind::cpu, 1e6), 1000.0);
  // Unmeasured: the defaults.
  EXPECT_DOUBLE_EQ(m.predict_us(Op::relu, "reference", DeviceKind::cpu, 1e6), 500.5);
  // 10 GB/s = 1e4 bytes per us; 20 GB/s back.
  EXPECT_DOUBLE_EQ(m.transfer_us(1e6, 2e6), 5 + 100 + 5 + 100);
  EXPECT_DOUBLE_EQ(m.transfer_us(0, 0), 0.0);
}

TEST(DispatchCostModel, MalformedProfilesAreArgumentErrorsNamingTheProblem) {
  const std::string head = R"({"schema": "tandem-profile", "version": 1, )";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{not json", "not JSON"},
      {"[1, 2]", "not a JSON object"},
      {R"({"schema": "other", "version": 1})", "\"schema\" is not \"tandem-profile\""},
      {R"({"schema": "tandem-profile", "version": 2})", "\"version\" is not 1"},
      {head + R"("kernels": 3})", "\"kernels\" is not an array"},
      {head + R"("kernels": [{"op": "conv", "implementation": "x", "points": [[1, 1]]}]})",
       "unknown op 'conv'"},
      {head + R"("kernels": [{"op": "relu", "implementation": "x", "points": []}]})",
       "non-empty \"points\""},
      {head + R"("kernels": [{"op": "relu", "implementation": "x", "points": [[1, -1]]}]})",
       "relu/x us must be positive and finite"},
      {head + R"("kernels": [{"op": "relu", "implementation": "x", "points": [[1, 2, 3]]}]})",
       "a point is not [work, us]"},
      {head + R"("kernels": [{"op": "relu", "implementation": "x", "points": [[1, 2], [1, 3]]}]})",
       "two points for one work"},
      {head + R"("transfer": {"h2d_gb_per_s": 0, "d2h_gb_per_s": 1}})",
       "transfer.h2d_gb_per_s must be positive"},
      {head + R"("transfer": {"h2d_gb_per_s": 1, "d2h_gb_per_s": "fast"}})",
       "transfer.d2h_gb_per_s is not a number"},
  };
  for (const auto& [json, message] : cases) {
    SCOPED_TRACE(json);
    try {
      tandem::CostModel::parse(json, "p.json");
      ADD_FAILURE() << "accepted";
    } catch (const tandem::ArgumentError& e) {
      const std::string what = e.what();
      EXPECT_EQ(what.rfind("cost profile p.json: ", 0), 0u) << what;
      EXPECT_NE(what.find(message), std::string::npos) << what;
    }
  }
  EXPECT_THROW(tandem::CostModel::load("/nonexistent/tandem/profile.json"), tandem::ArgumentError);
}

// A profile that measured the reference relu as the fastest CPU implementation makes
// auto run it; the built-in model puts it back.
TEST(DispatchCostModel, AProfileReordersTheCandidatesOfADevice) {
  const CostModelReset reset;
  tandem::set_cost_model(tandem::CostModel::parse(
      flat_profile(Op::relu, {{"reference", 1.0}, {best_cpu_path(), 1000.0}}), "crafted"));
  DispatchLogCapture log;
  const Tensor x = ints({64}, 1);
  tandem::relu(x);
  EXPECT_EQ(log.last()[kImplementation], "reference");
  EXPECT_NE(log.last()[kReason].find("(crafted)"), std::string::npos) << log.last()[kReason];
  tandem::set_cost_model(tandem::CostModel());
  tandem::relu(x);
  EXPECT_EQ(log.last()[kImplementation], best_cpu_path());
}

// A profile in which the GPU wins (or loses) by far: with a GPU the call goes there
// (or stays); without one auto stays on the CPU without complaint.
TEST(DispatchCostModel, AProfileDecidesWhetherHostDataIsOffloaded) {
  const CostModelReset reset;
  const Tensor x = ints({4096}, 1);
  for (const bool gpu_wins : {true, false}) {
    SCOPED_TRACE(gpu_wins ? "GPU fast" : "GPU slow");
    tandem::set_cost_model(tandem::CostModel::parse(
        flat_profile(Op::relu, {{"cuda", gpu_wins ? 0.001 : 1e6}, {best_cpu_path(), 1e5}}),
        "crafted"));
    DispatchLogCapture log;
    std::vector<float> expected(4096);
    ref::relu(x.data<float>(), expected.data(), 4096);
    const Tensor y = tandem::relu(x);
    EXPECT_TRUE(y.device().is_cpu());  // outputs live where the inputs live
    EXPECT_EQ(y.to_vector<float>(), expected);
    const bool offloaded = gpu_wins && tandem::cuda::device_count() > 0;
    EXPECT_EQ(log.last()[kDevice], offloaded ? "cuda:0" : "cpu");
    EXPECT_EQ(log.last()[kImplementation], offloaded ? "cuda" : best_cpu_path());
  }
}

// ---- The verbose log -------------------------------------------------------------------------

TEST(DispatchLog, OneCsvLinePerCallWithTheHeaderColumns) {
  EXPECT_STREQ(tandem::kDispatchLogHeader, "op,device,implementation,dtype,shapes,reason,time_us");
  DispatchLogCapture log;
  tandem::matmul(ints({2, 3}, 1), ints({3, 4}, 2));
  tandem::quantize(ints({5}, 3), 16);
  tandem::dot(ints({5}, 3), ints({5}, 4));
  const auto rows = log.rows();
  ASSERT_EQ(rows.size(), 3u);
  for (const auto& row : rows) {
    ASSERT_EQ(row.size(), static_cast<std::size_t>(kColumns));
    EXPECT_GE(std::stod(row[kTimeUs]), 0.0);
  }
  EXPECT_EQ(rows[0][kOp], "matmul");
  EXPECT_EQ(rows[0][kShapes], "[2, 3] x [3, 4]");
  EXPECT_EQ(rows[1][kDtype], "f32 -> i16");
  EXPECT_EQ(rows[2][kShapes], "[5], [5]");
}

TEST(DispatchLog, QuietWhenNotVerbose) {
  DispatchLogCapture log;
  tandem::set_verbose(false);
  tandem::relu(ints({4}, 1));
  EXPECT_TRUE(log.rows().empty());
}

// ---- gemm on raw pointers, aliasing -----------------------------------------------------------

TEST(DispatchGemm, RawHostPointersWithLeadingDimensionsAndTransposes) {
  const std::int64_t m = 7, n = 5, k = 6, lda = 9, ldb = 8, ldc = 11;
  const Tensor at = ints({k, lda}, 1);  // A^T stored k x lda
  const Tensor b = ints({k, ldb}, 2);
  std::vector<float> c(m * ldc, 3.0f), expected = c;
  ref::gemm(Transpose::yes, Transpose::no, m, n, k, 2.0f, at.data<float>(), lda, b.data<float>(),
            ldb, -1.0f, expected.data(), ldc);
  tandem::gemm(Transpose::yes, Transpose::no, m, n, k, 2.0f, at.data<float>(), lda, b.data<float>(),
               ldb, -1.0f, c.data(), ldc);
  EXPECT_EQ(c, expected);
}

TEST(DispatchGemm, BadRawArgumentsAreRefusedAndNothingIsWritten) {
  std::vector<float> a(64, 1.0f), b(64, 1.0f), c(64, 7.0f);
  const auto call = [&](std::int64_t m, std::int64_t n, std::int64_t k, const float* pa,
                        std::int64_t lda, float* pc, std::int64_t ldc) {
    tandem::gemm(Transpose::no, Transpose::no, m, n, k, 1.0f, pa, lda, b.data(), 4, 0.0f, pc, ldc);
  };
  EXPECT_THROW(call(-1, 4, 4, a.data(), 4, c.data(), 4), tandem::ShapeError);
  EXPECT_THROW(call(4, 4, 4, a.data(), 3, c.data(), 4), tandem::ArgumentError);
  EXPECT_THROW(call(4, 4, 4, nullptr, 4, c.data(), 4), tandem::ArgumentError);
  EXPECT_THROW(call(4, 4, 4, a.data(), 4, a.data() + 8, 4), tandem::ArgumentError);  // C in A
  EXPECT_EQ(c, std::vector<float>(64, 7.0f));
  try {
    call(4, 4, 4, a.data(), 2, c.data(), 4);
  } catch (const tandem::ArgumentError& e) {
    EXPECT_STREQ(e.what(),
                 "gemm: lda = 2 is less than the 4 stored columns in m = 4, n = 4, k = 4");
  }
}

TEST(DispatchGemm, TensorCSharingStorageWithAIsRefused) {
  Tensor a = ints({4, 4}, 1);
  const Tensor before = a.clone();
  EXPECT_THROW(tandem::gemm(Transpose::no, Transpose::no, 1.0f, a, ints({4, 4}, 2), 0.0f, a),
               tandem::ArgumentError);
  EXPECT_EQ(a.to_vector<float>(), before.to_vector<float>());
}

// ---- With a GPU --------------------------------------------------------------------------------

TEST(DispatchGpu, GpuTensorsRunOnTheirGpuAndHostDataOnRequest) {
  TANDEM_REQUIRE_GPU();
  const Tensor x = ints({1000}, 1);
  std::vector<float> expected(1000);
  ref::relu(x.data<float>(), expected.data(), 1000);
  DispatchLogCapture log;
  const Tensor on_gpu = tandem::relu(x.to(Device::cuda(0)));
  EXPECT_EQ(on_gpu.device(), Device::cuda(0));
  EXPECT_EQ(on_gpu.to_vector<float>(), expected);
  EXPECT_EQ(log.last()[kDevice], "cuda:0");
  EXPECT_EQ(log.last()[kReason], "data on cuda:0");
  const Tensor offloaded = tandem::relu(x, Options::on(Device::cuda(0)));
  EXPECT_TRUE(offloaded.device().is_cpu());
  EXPECT_EQ(offloaded.to_vector<float>(), expected);
  EXPECT_EQ(log.last()[kDevice], "cuda:0");
  EXPECT_THROW(tandem::relu(x.to(Device::cuda(0)), Options::on(Device::cpu())),
               tandem::DeviceError);
  EXPECT_THROW(tandem::relu(x, Options::on(Device::cuda(tandem::cuda::device_count()))),
               tandem::DeviceError);
}

TEST(DispatchGpu, EveryGpuSgemmAgreesThroughTheApi) {
  TANDEM_REQUIRE_GPU();
  const Tensor a = ints({33, 17}, 1);
  const Tensor b = ints({17, 65}, 2);
  std::vector<float> expected(33 * 65);
  ref::matmul(a.data<float>(), b.data<float>(), expected.data(), 33, 65, 17);
  for (const char* impl : {"cuda.cublas", "cuda.tiled", "cuda.tiled_basic"}) {
    SCOPED_TRACE(impl);
    DispatchLogCapture log;
    EXPECT_EQ(tandem::matmul(a, b, Options::using_implementation(impl)).to_vector<float>(),
              expected);
    EXPECT_EQ(log.last()[kImplementation], impl);
  }
}

// ---- Environment (run by CTest with the variable set; skipped otherwise) ---------------------

TEST(DispatchEnv, TheIsaCapChoosesThePath) {
  const char* cap = std::getenv("TANDEM_MAX_CPU_ISA");
  if (cap == nullptr) GTEST_SKIP() << "run by CTest with TANDEM_MAX_CPU_ISA set";
  std::string path(cap);  // the cap is read in any case
  for (char& ch : path) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  const tandem::cpu::Isa capped = *tandem::cpu::parse_isa(path);
  if (!tandem::cpu::isa_supported(capped)) GTEST_SKIP() << "this CPU lacks cpu." << path;
  DispatchLogCapture log;
  tandem::relu(ints({100}, 1));
  EXPECT_EQ(log.last()[kImplementation], "cpu." + path);
  // Every path above the cap is refused, as on a CPU without it.
  for (const tandem::cpu::Isa isa : tandem::cpu::all_isas()) {
    if (isa <= capped) continue;
    const std::string above = "cpu." + std::string(tandem::cpu::isa_name(isa));
    EXPECT_THROW(tandem::relu(ints({4}, 1), Options::using_implementation(above)),
                 tandem::DeviceError)
        << above;
  }
}

// A TANDEM_MAX_CPU_ISA that names no ISA is the calling op's ArgumentError.
TEST(DispatchEnv, ABadIsaCapIsTheOpsError) {
  const char* cap = std::getenv("TANDEM_MAX_CPU_ISA");
  if (cap == nullptr || tandem::cpu::parse_isa(cap)) {
    GTEST_SKIP() << "run by CTest with an invalid TANDEM_MAX_CPU_ISA";
  }
  for (int attempt = 0; attempt < 2; ++attempt) {  // every call, not just the first
    try {
      tandem::relu(ints({4}, 1));
      FAIL() << "no exception";
    } catch (const tandem::ArgumentError& e) {
      EXPECT_EQ(std::string(e.what()).rfind("relu: TANDEM_MAX_CPU_ISA = '" + std::string(cap) +
                                                "' is not an ISA (avx512, avx2 or baseline",
                                            0),
                0u)
          << e.what();
    }
  }
}

TEST(DispatchEnv, TandemDeviceIsTheDefaultRequest) {
  const char* device = std::getenv("TANDEM_DEVICE");
  if (device == nullptr) GTEST_SKIP() << "run by CTest with TANDEM_DEVICE set";
  const Tensor x = ints({4}, 1);
  if (std::string(device) == "cuda" && tandem::cuda::device_count() == 0) {
    try {
      tandem::relu(x);
      FAIL() << "no exception";
    } catch (const tandem::DeviceError& e) {
      EXPECT_NE(std::string(e.what()).find("cuda:0 requested by TANDEM_DEVICE"), std::string::npos)
          << e.what();
    }
    // An explicit option still wins.
    EXPECT_NO_THROW(tandem::relu(x, Options::on(Device::cpu())));
  } else if (std::string(device) == "tpu") {
    try {
      tandem::relu(x);
      FAIL() << "no exception";
    } catch (const tandem::ArgumentError& e) {
      EXPECT_EQ(std::string(e.what()).rfind("relu: TANDEM_DEVICE: ", 0), 0u) << e.what();
    }
  } else {
    GTEST_SKIP() << "no expectation for TANDEM_DEVICE=" << device;
  }
}

TEST(DispatchEnv, TandemProfileIsLoadedOrWarnedAbout) {
  const char* path = std::getenv("TANDEM_PROFILE");
  if (path == nullptr) GTEST_SKIP() << "run by CTest with TANDEM_PROFILE set";
  const std::string p = path;
  if (p.ends_with("reference_relu_profile.json")) {
    EXPECT_EQ(tandem::cost_model().source(), p);
    DispatchLogCapture log;
    tandem::relu(ints({64}, 1));
    EXPECT_EQ(log.last()[kImplementation], "reference");
  } else {
    // Missing or malformed: the defaults, and the call runs.
    EXPECT_EQ(tandem::cost_model().source(), "built-in defaults");
    EXPECT_NO_THROW(tandem::relu(ints({64}, 1)));
  }
}

// After `tandem calibrate` (CTest runs it first and sets TANDEM_PROFILE to its output):
// the dispatcher loads the profile, and at every calibrated size auto runs the CPU
// implementation the profile measured fastest; with the reference made 1000x faster
// in a copy of the profile, auto moves to the reference.
TEST(DispatchEnv, ACalibratedProfileDecides) {
  const char* path = std::getenv("TANDEM_PROFILE");
  if (path == nullptr || !std::string(path).ends_with("calibrated.json")) {
    GTEST_SKIP() << "run by CTest after tandem calibrate";
  }
  ASSERT_EQ(tandem::cost_model().source(), path);
  const tandem::CostModel& model = tandem::cost_model();
  for (const Op op : {Op::relu, Op::add, Op::dot, Op::matmul}) {
    std::vector<double> works;
    for (const auto& [key, curve] : model.curves()) {
      if (key.first != op) continue;
      for (const auto& point : curve) works.push_back(point.first);
    }
    ASSERT_FALSE(works.empty()) << tandem::op_name(op);
    for (const double work : works) {
      std::string fastest;
      double best = 0.0;
      for (const std::string& impl : runnable_cpu_implementations(op)) {
        if (!model.measured(op, impl)) continue;
        const double us = model.predict_us(op, impl, DeviceKind::cpu, work);
        if (fastest.empty() || us < best) {
          fastest = impl;
          best = us;
        }
      }
      const auto n = static_cast<std::int64_t>(
          op == Op::matmul ? std::llround(std::cbrt(work / 2.0)) : std::llround(work));
      SCOPED_TRACE(std::string(tandem::op_name(op)) + " n = " + std::to_string(n));
      DispatchLogCapture log;
      if (op == Op::matmul) {
        tandem::matmul(ints({n, n}, 1), ints({n, n}, 2));
      } else if (op == Op::relu) {
        tandem::relu(ints({n}, 1));
      } else if (op == Op::add) {
        tandem::add(ints({n}, 1), ints({n}, 2));
      } else {
        tandem::dot(ints({n}, 1), ints({n}, 2));
      }
      EXPECT_EQ(log.last()[kImplementation], fastest);
    }
  }
  // The direction: a much faster reference wins.
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json profile = nlohmann::json::parse(text.str());
  for (auto& k : profile["kernels"]) {
    if (k["implementation"] == "reference") {
      for (auto& p : k["points"]) p[1] = p[1].get<double>() / 1000.0;
    }
  }
  const CostModelReset reset;
  tandem::set_cost_model(tandem::CostModel::parse(profile.dump(), "calibrated, reference x1000"));
  DispatchLogCapture log;
  tandem::relu(ints({1024}, 1));
  EXPECT_EQ(log.last()[kImplementation], "reference");
}
