// The catalogue of bad inputs, for every public op: each case must throw its
// documented error type with a message that starts with the op's name and contains
// the given fragments (the shapes), write nothing to any output, and not crash. The
// count is what docs/hardening.md reports.
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <typeinfo>
#include <vector>

#include <gtest/gtest.h>

#include <tandem/cuda/runtime.h>
#include <tandem/error.h>
#include <tandem/ops.h>
#include <tandem/quantized_layer.h>

using tandem::Device;
using tandem::DType;
using tandem::Options;
using tandem::Shape;
using tandem::Tensor;
using tandem::Transpose;

namespace {

enum class Kind { shape, dtype, device, argument };

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::shape:
      return "ShapeError";
    case Kind::dtype:
      return "DTypeError";
    case Kind::device:
      return "DeviceError";
    case Kind::argument:
      return "ArgumentError";
  }
  return "?";
}

bool is_kind(const tandem::Error& e, Kind k) {
  switch (k) {
    case Kind::shape:
      return dynamic_cast<const tandem::ShapeError*>(&e) != nullptr;
    case Kind::dtype:
      return dynamic_cast<const tandem::DTypeError*>(&e) != nullptr;
    case Kind::device:
      return dynamic_cast<const tandem::DeviceError*>(&e) != nullptr;
    case Kind::argument:
      return dynamic_cast<const tandem::ArgumentError*>(&e) != nullptr;
  }
  return false;
}

struct Case {
  std::string name;
  Kind kind;
  std::vector<std::string> fragments;  // the first is the message's start
  std::function<void()> call;
};

Tensor f32(const Shape& s, float fill = 1.0f) {
  return Tensor::from(std::vector<float>(static_cast<std::size_t>(s.numel()), fill), s);
}

// Outputs the cases write into, filled with a sentinel and checked afterwards.
constexpr float kSentinel = -12345.0f;
Tensor out_m = f32({4, 4}, kSentinel);
Tensor out_v = f32({8}, kSentinel);
std::vector<float> raw_c(64, kSentinel);

std::vector<Case> catalogue() {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  const Tensor m44 = f32({4, 4}), m43 = f32({4, 3}), m34 = f32({3, 4}), v8 = f32({8});
  const Tensor v7 = f32({7}), i8v = Tensor::zeros({8}, DType::i8),
               i32v = Tensor::zeros({8}, DType::i32);
  const Tensor undefined;
  const Tensor with_nan = Tensor::from(std::vector<float>{1, nan, 3}, Shape{3});
  const Tensor with_inf = Tensor::from(std::vector<float>{1, 2, -inf}, Shape{3});
  const Options no_gpu = Options::on(Device::cuda(7));
  const Options bad_impl = Options::using_implementation("cpu.sse9");
  std::vector<Case> cases;
  const auto add = [&](std::string name, Kind kind, std::vector<std::string> fragments,
                       std::function<void()> call) {
    cases.push_back({std::move(name), kind, std::move(fragments), std::move(call)});
  };
  // matmul / gemm
  add("matmul inner mismatch", Kind::shape, {"matmul: inner dimensions differ: [4, 3] x [4, 4]"},
      [=] { tandem::matmul(m43, m44); });
  add("matmul rank 1", Kind::shape, {"matmul: expected rank 2", "[8]"},
      [=] { tandem::matmul(v8, m44); });
  add("matmul rank 3", Kind::shape, {"matmul: expected rank 2", "[2, 2, 2]"}, [=] {
    tandem::matmul(m44, f32({2, 2, 2}));
  });
  add("matmul i8", Kind::dtype, {"matmul: expected f32", "i8"}, [=] {
    tandem::matmul(Tensor::zeros({4, 4}, DType::i8), m44);
  });
  add("matmul undefined", Kind::argument, {"matmul: undefined tensor"},
      [=] { tandem::matmul(undefined, m44); });
  add("matmul out wrong shape", Kind::shape, {"matmul: out is [4, 4]", "[3, 4] x [4, 3]"},
      [=] { tandem::matmul(m34, m43, out_m); });
  add("matmul out aliases a", Kind::argument, {"matmul: C overlaps A"},
      [=] { tandem::matmul(out_m, m44, out_m); });
  add("matmul unknown implementation", Kind::argument,
      {"matmul: unknown implementation 'cpu.sse9'"}, [=] { tandem::matmul(m44, m44, bad_impl); });
  add("matmul no such GPU", Kind::device, {"matmul: cuda:7 requested by Options::device"},
      [=] { tandem::matmul(m44, m44, no_gpu); });
  add("gemm C shape", Kind::shape, {"gemm: C is [4, 4] but op(A) x op(B) is [4, 3]"}, [=] {
    Tensor c = out_m;
    tandem::gemm(Transpose::no, Transpose::no, 1.0f, m44, m43, 0.0f, c);
  });
  add("gemm transposed mismatch", Kind::shape, {"gemm: inner dimensions differ: [4, 4]^T x [3, 4]"},
      [=] {
        Tensor c = out_m;
        tandem::gemm(Transpose::yes, Transpose::no, 1.0f, m44, m34, 0.0f, c);
      });
  add("gemm C is A", Kind::argument, {"gemm: C overlaps A"}, [=] {
    Tensor c = out_m;
    tandem::gemm(Transpose::no, Transpose::no, 1.0f, c, m44, 0.0f, c);
  });
  add("gemm raw lda too small", Kind::argument, {"gemm: lda = 3 is less than the 4 stored columns"},
      [=] {
        tandem::gemm(Transpose::no, Transpose::no, 4, 4, 4, 1.0f, m44.data<float>(), 3,
                     m44.data<float>(), 4, 0.0f, raw_c.data(), 4);
      });
  add("gemm raw ldc too small", Kind::argument, {"gemm: ldc = 2 is less than the 4 stored columns"},
      [=] {
        tandem::gemm(Transpose::no, Transpose::no, 4, 4, 4, 1.0f, m44.data<float>(), 4,
                     m44.data<float>(), 4, 0.0f, raw_c.data(), 2);
      });
  add("gemm raw negative", Kind::shape, {"gemm: negative dimension in m = -1"}, [=] {
    tandem::gemm(Transpose::no, Transpose::no, -1, 4, 4, 1.0f, m44.data<float>(), 4,
                 m44.data<float>(), 4, 0.0f, raw_c.data(), 4);
  });
  add("gemm raw null B", Kind::argument, {"gemm: B is null"}, [=] {
    tandem::gemm(Transpose::no, Transpose::no, 4, 4, 4, 1.0f, m44.data<float>(), 4, nullptr, 4,
                 0.0f, raw_c.data(), 4);
  });
  add("gemm raw C inside B", Kind::argument, {"gemm: C overlaps B"}, [=] {
    static std::vector<float> b(64, 1.0f);
    tandem::gemm(Transpose::no, Transpose::no, 2, 2, 2, 1.0f, m44.data<float>(), 4, b.data(), 4,
                 0.0f, b.data() + 4, 4);  // B spans b[0, 6), C b[4, 10)
  });
  add("gemm raw lda 0 with k 0", Kind::argument,
      {"gemm: lda = 0 must be at least 1 (BLAS asks for max(1, columns); A stores none)",
       "m = 4, n = 4, k = 0"},
      [=] {
        tandem::gemm(Transpose::no, Transpose::no, 4, 4, 0, 1.0f, m44.data<float>(), 0,
                     m44.data<float>(), 4, 0.0f, raw_c.data(), 4);
      });
  add("gemm raw span overflows", Kind::shape, {"gemm: C (", "spans more than"}, [=] {
    tandem::gemm(Transpose::no, Transpose::no, std::int64_t{1} << 40, 4, 4, 1.0f, m44.data<float>(),
                 4, m44.data<float>(), 4, 0.0f, raw_c.data(), std::int64_t{1} << 40);
  });
  // Options
  for (const char* field : {"threads", "blocking.mc", "blocking.kc", "blocking.nc"}) {
    const std::string name = field;
    Options o;
    if (name == "threads") o.threads = -2;
    if (name == "blocking.mc") o.blocking.mc = -1;
    if (name == "blocking.kc") o.blocking.kc = -5;
    if (name == "blocking.nc") o.blocking.nc = std::numeric_limits<std::int64_t>::min();
    add("matmul negative " + name, Kind::argument,
        {"matmul: Options::" + name + " = -", "is negative"}, [=] { tandem::matmul(m44, m44, o); });
    add("relu negative " + name, Kind::argument, {"relu: Options::" + name}, [=] {
      Tensor out = out_v;
      tandem::relu(v8, out, o);
    });
  }
  // Element-wise
  for (const char* op : {"add", "multiply", "squared_difference"}) {
    const std::string name = op;
    const auto run = [name](const Tensor& x, const Tensor& y, const Options& o = {}) {
      if (name == "add") return tandem::add(x, y, o);
      if (name == "multiply") return tandem::multiply(x, y, o);
      return tandem::squared_difference(x, y, o);
    };
    const auto run_out = [name](const Tensor& x, const Tensor& y, Tensor& out) {
      if (name == "add") return tandem::add(x, y, out);
      if (name == "multiply") return tandem::multiply(x, y, out);
      return tandem::squared_difference(x, y, out);
    };
    add(name + " shapes", Kind::shape, {name + ": shapes differ: [8] vs [7]"},
        [=] { run(v8, v7); });
    add(name + " dtype", Kind::dtype, {name + ": expected f32", "i8"}, [=] { run(v8, i8v); });
    add(name + " undefined", Kind::argument, {name + ": undefined tensor"},
        [=] { run(undefined, v8); });
    add(name + " out shape", Kind::shape, {name + ": out is [4, 4] but the input is [8]"},
        [=] { run_out(v8, v8, out_m); });
    add(name + " out dtype", Kind::dtype, {name + ": expected f32", "i32"}, [=] {
      Tensor o = i32v;
      run_out(v8, v8, o);
    });
    add(name + " no such GPU", Kind::device, {name + ": cuda:7 requested"},
        [=] { (void)run(v8, v8, no_gpu).numel(); });
  }
  add("relu dtype", Kind::dtype, {"relu: expected f32", "i8"}, [=] { tandem::relu(i8v); });
  add("relu undefined", Kind::argument, {"relu: undefined tensor"},
      [=] { tandem::relu(undefined); });
  add("relu out shape", Kind::shape, {"relu: out is [4, 4] but the input is [8]"},
      [=] { tandem::relu(v8, out_m); });
  add("relu unknown implementation", Kind::argument, {"relu: unknown implementation"},
      [=] { tandem::relu(v8, bad_impl); });
  add("relu no such GPU", Kind::device, {"relu: cuda:7 requested"},
      [=] { tandem::relu(v8, no_gpu); });
  // Reductions
  for (const char* op : {"dot", "euclidean_distance", "cosine_similarity"}) {
    const std::string name = op;
    const auto run = [name](const Tensor& x, const Tensor& y) {
      if (name == "dot") return tandem::dot(x, y);
      if (name == "euclidean_distance") return tandem::euclidean_distance(x, y);
      return tandem::cosine_similarity(x, y);
    };
    add(name + " shapes", Kind::shape, {name + ": shapes differ: [8] vs [7]"},
        [=] { run(v8, v7); });
    add(name + " dtype", Kind::dtype, {name + ": expected f32"}, [=] { run(i8v, v8); });
    add(name + " undefined", Kind::argument, {name + ": undefined tensor"},
        [=] { run(v8, undefined); });
  }
  // Quantization
  add("quantize NaN", Kind::argument, {"quantize: input holds nan at element 1 of 3"},
      [=] { tandem::quantize(with_nan); });
  add("quantize Inf", Kind::argument, {"quantize: input holds -inf at element 2 of 3"},
      [=] { tandem::quantize(with_inf, 16); });
  add("quantize bits", Kind::argument, {"quantize: unsupported bit width 4 for [8]"},
      [=] { tandem::quantize(v8, 4); });
  add("quantize dtype", Kind::dtype, {"quantize: expected f32"}, [=] { tandem::quantize(i8v); });
  add("dequantize f32 values", Kind::dtype, {"dequantize: expected i8, i16 or u8 values"}, [=] {
    tandem::dequantize({v8, 1.0f});
  });
  add("dequantize undefined", Kind::argument, {"dequantize: undefined tensor"}, [=] {
    tandem::dequantize({undefined, 1.0f});
  });
  add("dequantize bad scale", Kind::argument, {"dequantize", "scale"}, [=] {
    tandem::dequantize({i8v, -1.0f});
  });
  add("dequantize subnormal scale", Kind::argument,
      {"dequantize: scale must be a finite positive normal float", "got 9.9999461e-41"}, [=] {
        tandem::dequantize({i8v, 1e-40f});
      });
  add("quantized_matmul scales overflow", Kind::argument,
      {"quantized_matmul: the scales of A (", "multiply past FLT_MAX"}, [=] {
        tandem::quantized_matmul(f32({2, 2}, 3e38f), f32({2, 2}, 3e38f));
      });
  add("quantized_matmul 16-bit K too large for the GPU", Kind::argument,
      {"quantized_matmul: K = 3 in [4, 3] x [3, 4] at 16 bits needs 64-bit sums", "K <= 2"},
      [=] { tandem::quantized_matmul(m43, m34, 16, Options::on(Device::cuda(0))); });
  add("quantized_matmul NaN", Kind::argument, {"quantized_matmul: A holds nan at element 1 of 2"},
      [=] {
        tandem::quantized_matmul(Tensor::from(std::vector<float>{1, nan}, Shape{1, 2}),
                                 f32({2, 1}));
      });
  add("quantized_matmul mismatch", Kind::shape, {"quantized_matmul: inner dimensions differ"},
      [=] { tandem::quantized_matmul(m44, m34); });
  add("quantized_matmul bits", Kind::argument, {"quantized_matmul: unsupported bit width 12"},
      [=] { tandem::quantized_matmul(m44, m44, 12); });
  add("quantized_relu NaN", Kind::argument, {"quantized_relu: input holds nan at element 1 of 3"},
      [=] { tandem::quantized_relu(with_nan); });
  add("quantized_relu bits", Kind::argument, {"quantized_relu: unsupported bit width 0"},
      [=] { tandem::quantized_relu(v8, 0); });
  // linear
  add("linear bias length", Kind::shape, {"linear: bias is [8]", "[4, 4] x [4, 4]"},
      [=] { tandem::linear(m44, m44, v8, tandem::Activation::relu); });
  add("linear bias i8", Kind::dtype, {"linear: the bias must be f32", "[4, 4] x [4, 4]"},
      [=] { tandem::linear(m44, m44, Tensor::zeros({4}, DType::i8), tandem::Activation::relu); });
  add("linear inner mismatch", Kind::shape, {"linear: inner dimensions differ: [4, 3] x [4, 4]"},
      [=] { tandem::linear(m43, m44); });
  add("linear out shape", Kind::shape, {"linear: out is [8]", "[4, 4] x [4, 4]"}, [=] {
    Tensor out = out_v;
    tandem::linear(m44, m44, {}, tandem::Activation::none, out);
  });
  // QuantizedWeights and quantized_linear
  using tandem::QuantizedWeights;
  add("QuantizedWeights bits", Kind::argument,
      {"QuantizedWeights::prepare: unsupported bit width 4 for W [4, 4]"},
      [=] { (void)QuantizedWeights::prepare(m44, 4); });
  add("QuantizedWeights NaN", Kind::argument,
      {"QuantizedWeights::prepare: W [1, 3]", "nan at element 1"}, [=] {
        (void)QuantizedWeights::prepare(with_nan.reshape({1, 3}), 8);
      });
  add("QuantizedWeights rank", Kind::shape, {"QuantizedWeights::prepare", "[8]"},
      [=] { (void)QuantizedWeights::prepare(v8, 8); });
  add("quantized_linear K", Kind::shape, {"quantized_linear: x must be [m, 4]", "[4, 3]"},
      [=] { (void)tandem::quantized_linear(m43, QuantizedWeights::prepare(m44, 8)); });
  add("quantized_linear NaN x", Kind::argument, {"quantized_linear: x [1, 3]", "nan at element 1"},
      [=] {
        (void)tandem::quantized_linear(with_nan.reshape({1, 3}), QuantizedWeights::prepare(m34, 8));
      });
  add("quantized_linear output scale", Kind::argument,
      {"quantized_linear: output_scale must be", "[4, 4]"}, [=] {
        (void)tandem::quantized_linear(m44, QuantizedWeights::prepare(m44, 8), {},
                                       tandem::Activation::none, 0.0f);
      });
  add("quantized_linear undefined weights", Kind::argument,
      {"quantized_linear: undefined QuantizedWeights", "[4, 4]"},
      [=] { (void)tandem::quantized_linear(m44, QuantizedWeights{}); });
  add("quantized_relu int8 scale", Kind::argument, {"quantized_relu: the scale must be", "[8] i8"},
      [=] {
        (void)tandem::quantized_relu(tandem::QuantizedTensor{i8v, 0.0f});
      });
  add("quantized_relu int8 dtype", Kind::dtype,
      {"quantized_relu: expected i8, i16 or u8 values", "[8] f32"}, [=] {
        (void)tandem::quantized_relu(tandem::QuantizedTensor{v8, 0.5f});
      });
  // batch_apply
  const tandem::RowFunction id = [](const float* x, float* y, std::int64_t n) {
    for (std::int64_t i = 0; i < n; ++i) y[i] = x[i];
  };
  add("batch_apply workers", Kind::argument, {"batch_apply: workers must be at least 1"},
      [=] { tandem::batch_apply(m44, id, 0); });
  add("batch_apply empty function", Kind::argument, {"batch_apply: empty function"},
      [=] { tandem::batch_apply(m44, tandem::RowFunction(), 2); });
  add("batch_apply dtype", Kind::dtype, {"batch_apply: expected f32"},
      [=] { tandem::batch_apply(i8v, id, 2); });
  add("batch_apply on a GPU", Kind::device, {"batch_apply: cuda:7 requested"},
      [=] { tandem::batch_apply(m44, id, 2, no_gpu); });
  // Tensors and sizes
  add("shape overflow", Kind::shape, {"overflow"}, [] {
    (void)Tensor::empty({std::int64_t{1} << 40, std::int64_t{1} << 40}, DType::f32);
  });
  add("tensor bytes overflow", Kind::shape, {"tensor: [4611686018427387903] f32", "bytes"},
      [] { (void)Tensor::empty({(std::int64_t{1} << 62) - 1}, DType::f32); });
  add("tensor bytes overflow i16", Kind::shape, {"tensor: [9223372036854775807] i16"},
      [] { (void)Tensor::zeros({std::numeric_limits<std::int64_t>::max()}, DType::i16); });
  add("negative dimension", Kind::shape, {"negative"},
      [] { (void)Tensor::empty({-3}, DType::f32); });
  add("tensor on a GPU that does not exist", Kind::device, {"cuda:7"},
      [] { (void)Tensor::zeros({4}, DType::f32, Device::cuda(7)); });
  add("device string", Kind::argument, {"tpu"}, [] { (void)Device::parse("tpu:0"); });
  return cases;
}

}  // namespace

TEST(BadInputs, EveryCaseIsItsDocumentedErrorAndWritesNothing) {
  const std::vector<Case> cases = catalogue();
  int passed = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    try {
      c.call();
      ADD_FAILURE() << "no exception; expected " << kind_name(c.kind);
      continue;
    } catch (const tandem::Error& e) {
      const std::string what = e.what();
      EXPECT_TRUE(is_kind(e, c.kind))
          << "expected " << kind_name(c.kind) << ", got " << typeid(e).name() << ": " << what;
      for (const std::string& f : c.fragments) {
        EXPECT_NE(what.find(f), std::string::npos) << "message: " << what << "\nmissing: " << f;
      }
      if (is_kind(e, c.kind)) ++passed;
    } catch (const std::exception& e) {
      ADD_FAILURE() << "not a tandem::Error: " << e.what();
    }
  }
  EXPECT_EQ(out_m.to_vector<float>(), std::vector<float>(16, kSentinel));
  EXPECT_EQ(out_v.to_vector<float>(), std::vector<float>(8, kSentinel));
  EXPECT_EQ(raw_c, std::vector<float>(64, kSentinel));
  std::printf("bad inputs: %d of %zu cases refused as documented\n", passed, cases.size());
  EXPECT_GE(cases.size(), 60u);
}
