// The operations: check the inputs, describe the call (call.h), hand it to the
// dispatcher. Nothing here knows which kernels exist.
#include <string>

#include <tandem/checked.h>
#include <tandem/cpu/reference.h>
#include <tandem/cuda/runtime.h>
#include <tandem/error.h>
#include <tandem/ops.h>
#include <tandem/quantization_rules.h>

#include "call.h"
#include "checks.h"
#include "dispatcher.h"

namespace tandem {
using detail::Call;
using detail::require_f32_input;
using detail::require_f32_pair;

namespace {

// Rows and columns of op(X) for a rank-2 X.
std::int64_t rows_of(const Tensor& x, Transpose t) { return x.dim(t == Transpose::yes ? 1 : 0); }
std::int64_t cols_of(const Tensor& x, Transpose t) { return x.dim(t == Transpose::yes ? 0 : 1); }

void require_matmul_operands(const char* op, const Tensor& a, const Tensor& b) {
  require_f32_input(op, a);
  require_f32_input(op, b);
  detail::require_same_device(op, a, b);
  detail::require_rank(op, a, 2);
  detail::require_rank(op, b, 2);
}

void require_inner_match(const char* op, const Tensor& a, const Tensor& b, Transpose ta,
                         Transpose tb) {
  if (cols_of(a, ta) != rows_of(b, tb)) {
    throw ShapeError(std::string(op) + ": inner dimensions differ: " + a.shape().str() +
                     (ta == Transpose::yes ? "^T" : "") + " x " + b.shape().str() +
                     (tb == Transpose::yes ? "^T" : ""));
  }
}

// "[2, 3] x [3, 4]"
std::string x_shapes(const Tensor& a, const Tensor& b) {
  return a.shape().str() + " x " + b.shape().str();
}

void require_bits(const char* op, const std::string& shapes, int bits) {
  if (bits != 8 && bits != 16) {
    throw ArgumentError(std::string(op) + ": unsupported bit width " + std::to_string(bits) +
                        " for " + shapes + " (8 or 16)");
  }
}

bool overlap(const void* x, std::size_t x_bytes, const void* y, std::size_t y_bytes) {
  if (x == nullptr || y == nullptr || x_bytes == 0 || y_bytes == 0) return false;
  const auto* p = static_cast<const char*>(x);
  const auto* q = static_cast<const char*>(y);
  return p < q + y_bytes && q < p + x_bytes;
}

// A call on x (and y) with out, element-wise over count elements.
Call elementwise_call(Op op, const Tensor& x, const Tensor* y, Tensor* out) {
  Call c;
  c.op = op;
  c.in[0] = x.raw_data();
  c.in_bytes[0] = x.nbytes();
  c.shape_a = &x.shape();
  if (y != nullptr) {
    c.in[1] = y->raw_data();
    c.in_bytes[1] = y->nbytes();
    c.shape_b = &y->shape();
  }
  if (out != nullptr) {
    c.out = out->raw_data();
    c.out_bytes = out->nbytes();
  }
  c.count = x.numel();
  return c;
}

// out: f32, x's shape and device; x itself or apart from it (and from y).
void require_elementwise_out(const char* op, const Tensor& x, const Tensor* y, const Tensor& out) {
  require_f32_input(op, out);
  detail::require_same_device(op, x, out);
  if (!(out.shape() == x.shape())) {
    throw ShapeError(std::string(op) + ": out is " + out.shape().str() + " but the input is " +
                     x.shape().str());
  }
  for (const Tensor* in : {&x, y}) {
    if (in == nullptr || in->raw_data() == out.raw_data()) continue;
    if (overlap(in->raw_data(), in->nbytes(), out.raw_data(), out.nbytes())) {
      throw ArgumentError(std::string(op) + ": out partly overlaps an input of " + x.shape().str() +
                          " (in place needs the same storage)");
    }
  }
}

void binary_into(Op op, const Tensor& x, const Tensor& y, Tensor& out, const Options& options) {
  const char* name = op_name(op).data();
  require_f32_pair(name, x, y);
  require_elementwise_out(name, x, &y, out);
  Call c = elementwise_call(op, x, &y, &out);
  detail::dispatch(c, x.device(), options);
}

Tensor binary(Op op, const Tensor& x, const Tensor& y, const Options& options) {
  const char* name = op_name(op).data();
  require_f32_pair(name, x, y);
  Tensor out = Tensor::empty(x.shape(), DType::f32, x.device());
  Call c = elementwise_call(op, x, &y, &out);
  detail::dispatch(c, x.device(), options);
  return out;
}

double reduction(Op op, const Tensor& x, const Tensor& y, const Options& options) {
  require_f32_pair(op_name(op).data(), x, y);
  Call c = elementwise_call(op, x, &y, nullptr);
  detail::dispatch(c, x.device(), options);
  return c.result;
}

// Bytes a transfer of a rows x cols matrix with leading dimension ld must move;
// refused where that overflows (only a raw gemm's sizes can).
std::size_t span_bytes(const char* op, const char* name, std::int64_t rows, std::int64_t cols,
                       std::int64_t ld) {
  if (rows <= 0 || cols <= 0) return 0;
  const auto last_row = checked_mul(rows - 1, ld);
  const auto elements = last_row ? checked_add(*last_row, cols) : std::nullopt;
  const auto bytes = elements ? buffer_bytes(*elements, sizeof(float)) : std::nullopt;
  if (!bytes) {
    throw ShapeError(std::string(op) + ": " + name + " (" + std::to_string(rows) + " x " +
                     std::to_string(cols) + ", leading dimension " + std::to_string(ld) +
                     ") spans more than " + std::to_string(kMaxBufferBytes) + " bytes");
  }
  return static_cast<std::size_t>(*bytes);
}

// A row-major matrix as stored: rows x cols floats, rows ld floats apart (ld >= cols).
struct Stored {
  const void* data;
  std::int64_t rows, cols, ld;
};

// Whether two stored matrices share a byte. Exact, not their address spans: C and A
// may be disjoint columns of one workspace, as BLAS allows. Row by row over the one
// with fewer rows, each row an interval tested against the other's rows in O(1).
bool share_elements(const Stored& x, const Stored& y) {
  if (x.rows <= 0 || x.cols <= 0 || y.rows <= 0 || y.cols <= 0) return false;
  const Stored& few = x.rows <= y.rows ? x : y;
  const Stored& many = x.rows <= y.rows ? y : x;
  constexpr auto kFloat = static_cast<std::int64_t>(sizeof(float));
  // Byte offsets relative to many's first element.
  const auto origin = reinterpret_cast<std::uintptr_t>(many.data);
  const auto delta = static_cast<std::int64_t>(reinterpret_cast<std::uintptr_t>(few.data) - origin);
  const std::int64_t row_bytes = many.ld * kFloat, many_cols = many.cols * kFloat;
  for (std::int64_t r = 0; r < few.rows; ++r) {
    const std::int64_t begin = delta + r * few.ld * kFloat;
    const std::int64_t end = begin + few.cols * kFloat;  // [begin, end)
    if (end <= 0) continue;
    // The last row of `many` starting before `end`: the only one that can reach past
    // `begin`, since rows are ordered and apart.
    const std::int64_t last = std::min((end - 1) / row_bytes, many.rows - 1);
    if (last * row_bytes + many_cols > begin) return true;
  }
  return false;
}

Stored stored_a(const Call& c) {
  return c.trans_a == Transpose::yes ? Stored{c.in[0], c.k, c.m, c.lda}
                                     : Stored{c.in[0], c.m, c.k, c.lda};
}
Stored stored_b(const Call& c) {
  return c.trans_b == Transpose::yes ? Stored{c.in[1], c.n, c.k, c.ldb}
                                     : Stored{c.in[1], c.k, c.n, c.ldb};
}

Call gemm_call(Op op, Transpose ta, Transpose tb, std::int64_t m, std::int64_t n, std::int64_t k,
               float alpha, const float* a, std::int64_t lda, const float* b, std::int64_t ldb,
               float beta, float* c, std::int64_t ldc) {
  Call call;
  call.op = op;
  call.trans_a = ta;
  call.trans_b = tb;
  call.m = m;
  call.n = n;
  call.k = k;
  call.alpha = alpha;
  call.beta = beta;
  call.in[0] = a;
  call.lda = lda;
  const char* name = op_name(op).data();
  call.in_bytes[0] =
      ta == Transpose::yes ? span_bytes(name, "A", k, m, lda) : span_bytes(name, "A", m, k, lda);
  call.in[1] = b;
  call.ldb = ldb;
  call.in_bytes[1] =
      tb == Transpose::yes ? span_bytes(name, "B", n, k, ldb) : span_bytes(name, "B", k, n, ldb);
  call.out = c;
  call.ldc = ldc;
  call.out_bytes = span_bytes(name, "C", m, n, ldc);
  call.out_read = beta != 0.0f;
  return call;
}

void require_c_apart(const Call& call) {
  const Stored c{call.out, call.m, call.n, call.ldc};
  for (int i = 0; i < 2; ++i) {
    if (overlap(call.out, call.out_bytes, call.in[i], call.in_bytes[i]) &&
        share_elements(c, i == 0 ? stored_a(call) : stored_b(call))) {
      throw ArgumentError(std::string(op_name(call.op)) + ": C overlaps " +
                          std::string(i == 0 ? "A" : "B") + " in " + call.shapes() +
                          " (C is written while they are read)");
    }
  }
}

// The call of c = a * b on checked contiguous operands (matmul, linear).
Call product_call(Op op, const Tensor& a, const Tensor& b, Tensor& c) {
  const std::int64_t m = a.dim(0), n = b.dim(1), k = a.dim(1);
  Call call = gemm_call(
      op, Transpose::no, Transpose::no, m, n, k, 1.0f, static_cast<const float*>(a.raw_data()), k,
      static_cast<const float*>(b.raw_data()), n, 0.0f, static_cast<float*>(c.raw_data()), n);
  call.shape_a = &a.shape();
  call.shape_b = &b.shape();
  return call;
}

// An existing output of a * b (matmul, linear): f32 [m, n] on a's device.
void require_product_out(const char* op, const Tensor& a, const Tensor& b, const Tensor& out) {
  require_f32_input(op, out);
  detail::require_same_device(op, a, out);
  if (out.rank() != 2 || out.dim(0) != a.dim(0) || out.dim(1) != b.dim(1)) {
    throw ShapeError(std::string(op) + ": out is " + out.shape().str() + " but " + x_shapes(a, b) +
                     " is " + shape_string({a.dim(0), b.dim(1)}));
  }
}

// matmul on checked operands.
void matmul_into(const Tensor& a, const Tensor& b, Tensor& c, const Options& options) {
  Call call = product_call(Op::matmul, a, b, c);
  require_c_apart(call);
  detail::dispatch(call, a.device(), options);
}

// linear's checks (after which linear_into may run): x and w as matmul's operands, a
// bias of n floats on their device or none, a known activation.
void require_linear_operands(const Tensor& x, const Tensor& w, const Tensor& bias,
                             Activation activation) {
  require_matmul_operands("linear", x, w);
  require_inner_match("linear", x, w, Transpose::no, Transpose::no);
  if (bias.defined()) {
    if (bias.dtype() != DType::f32) {
      throw DTypeError("linear: the bias must be f32, got " + detail::describe(bias) + " for " +
                       x_shapes(x, w));
    }
    detail::require_same_device("linear", x, bias);
    if (bias.rank() != 1 || bias.dim(0) != w.dim(1)) {
      throw ShapeError("linear: bias is " + bias.shape().str() + " but " + x_shapes(x, w) +
                       " has " + std::to_string(w.dim(1)) + " output columns (bias [" +
                       std::to_string(w.dim(1)) + "])");
    }
  }
  if (activation_name(activation) == "?") {
    throw ArgumentError("linear: unknown activation " +
                        std::to_string(static_cast<int>(activation)) + " for " + x_shapes(x, w));
  }
}

void linear_into(const Tensor& x, const Tensor& w, const Tensor& bias, Activation activation,
                 Tensor& y, const Options& options) {
  Call call = product_call(Op::linear, x, w, y);
  call.activation = activation;
  if (bias.defined()) {
    call.in[2] = bias.raw_data();
    call.in_bytes[2] = bias.nbytes();
    if (overlap(call.out, call.out_bytes, call.in[2], call.in_bytes[2])) {
      throw ArgumentError("linear: out overlaps the bias in " + call.shapes());
    }
  }
  require_c_apart(call);
  detail::dispatch(call, x.device(), options);
}

}  // namespace

Tensor linear(const Tensor& x, const Tensor& w, const Tensor& bias, Activation activation,
              const Options& options) {
  require_linear_operands(x, w, bias, activation);
  Tensor y = Tensor::empty({x.dim(0), w.dim(1)}, DType::f32, x.device());
  linear_into(x, w, bias, activation, y, options);
  return y;
}

void linear(const Tensor& x, const Tensor& w, const Tensor& bias, Activation activation,
            Tensor& out, const Options& options) {
  require_linear_operands(x, w, bias, activation);
  require_product_out("linear", x, w, out);
  linear_into(x, w, bias, activation, out, options);
}

Tensor matmul(const Tensor& a, const Tensor& b, const Options& options) {
  require_matmul_operands("matmul", a, b);
  require_inner_match("matmul", a, b, Transpose::no, Transpose::no);
  Tensor c = Tensor::empty({a.dim(0), b.dim(1)}, DType::f32, a.device());
  matmul_into(a, b, c, options);
  return c;
}

void matmul(const Tensor& a, const Tensor& b, Tensor& out, const Options& options) {
  require_matmul_operands("matmul", a, b);
  require_inner_match("matmul", a, b, Transpose::no, Transpose::no);
  require_product_out("matmul", a, b, out);
  matmul_into(a, b, out, options);
}

void gemm(Transpose trans_a, Transpose trans_b, float alpha, const Tensor& a, const Tensor& b,
          float beta, Tensor& c, const Options& options) {
  require_matmul_operands("gemm", a, b);
  require_f32_input("gemm", c);
  detail::require_same_device("gemm", a, c);
  detail::require_rank("gemm", c, 2);
  require_inner_match("gemm", a, b, trans_a, trans_b);
  const std::int64_t m = rows_of(a, trans_a);
  const std::int64_t n = cols_of(b, trans_b);
  if (c.dim(0) != m || c.dim(1) != n) {
    throw ShapeError("gemm: C is " + c.shape().str() + " but op(A) x op(B) is " +
                     shape_string({m, n}) + " for " + x_shapes(a, b));
  }
  Call call = gemm_call(Op::gemm, trans_a, trans_b, m, n, cols_of(a, trans_a), alpha,
                        static_cast<const float*>(a.raw_data()), a.dim(1),
                        static_cast<const float*>(b.raw_data()), b.dim(1), beta,
                        static_cast<float*>(c.raw_data()), n);
  call.shape_a = &a.shape();
  call.shape_b = &b.shape();
  require_c_apart(call);
  detail::dispatch(call, a.device(), options);
}

void gemm(Transpose trans_a, Transpose trans_b, std::int64_t m, std::int64_t n, std::int64_t k,
          float alpha, const float* a, std::int64_t lda, const float* b, std::int64_t ldb,
          float beta, float* c, std::int64_t ldc, const Options& options) {
  const std::string dims =
      "m = " + std::to_string(m) + ", n = " + std::to_string(n) + ", k = " + std::to_string(k);
  if (m < 0 || n < 0 || k < 0) throw ShapeError("gemm: negative dimension in " + dims);
  const auto require_ld = [&](const char* name, const char* matrix, std::int64_t ld,
                              std::int64_t cols) {
    if (ld >= std::max<std::int64_t>(cols, 1)) return;
    throw ArgumentError("gemm: " + std::string(name) + " = " + std::to_string(ld) +
                        (cols > 0 ? " is less than the " + std::to_string(cols) + " stored columns"
                                  : " must be at least 1 (BLAS asks for max(1, columns); " +
                                        std::string(matrix) + " stores none)") +
                        " in " + dims);
  };
  require_ld("lda", "A", lda, trans_a == Transpose::yes ? m : k);
  require_ld("ldb", "B", ldb, trans_b == Transpose::yes ? k : n);
  require_ld("ldc", "C", ldc, n);
  Call call = gemm_call(Op::gemm, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  const auto require_pointer = [&](const char* name, const void* p, std::size_t bytes) {
    if (p == nullptr && bytes > 0) {
      throw ArgumentError("gemm: " + std::string(name) + " is null in " + call.shapes());
    }
  };
  require_pointer("A", a, call.in_bytes[0]);
  require_pointer("B", b, call.in_bytes[1]);
  require_pointer("C", c, call.out_bytes);
  require_c_apart(call);
  // Where the storage is: host (-1) or a GPU; one place for all three.
  const int where = cuda::pointer_device(c);
  for (const void* p : {static_cast<const void*>(a), static_cast<const void*>(b)}) {
    if (p != nullptr && cuda::pointer_device(p) != where) {
      throw DeviceError("gemm: A, B and C are not all on one device in " + call.shapes());
    }
  }
  detail::dispatch(call, where < 0 ? Device::cpu() : Device::cuda(where), options);
}

Tensor relu(const Tensor& x, const Options& options) {
  require_f32_input("relu", x);
  Tensor y = Tensor::empty(x.shape(), DType::f32, x.device());
  Call c = elementwise_call(Op::relu, x, nullptr, &y);
  detail::dispatch(c, x.device(), options);
  return y;
}

void relu(const Tensor& x, Tensor& out, const Options& options) {
  require_f32_input("relu", x);
  require_elementwise_out("relu", x, nullptr, out);
  Call c = elementwise_call(Op::relu, x, nullptr, &out);
  detail::dispatch(c, x.device(), options);
}

void add(const Tensor& x, const Tensor& y, Tensor& out, const Options& options) {
  binary_into(Op::add, x, y, out, options);
}
void multiply(const Tensor& x, const Tensor& y, Tensor& out, const Options& options) {
  binary_into(Op::multiply, x, y, out, options);
}
void squared_difference(const Tensor& x, const Tensor& y, Tensor& out, const Options& options) {
  binary_into(Op::squared_difference, x, y, out, options);
}

Tensor add(const Tensor& x, const Tensor& y, const Options& options) {
  return binary(Op::add, x, y, options);
}
Tensor multiply(const Tensor& x, const Tensor& y, const Options& options) {
  return binary(Op::multiply, x, y, options);
}
Tensor squared_difference(const Tensor& x, const Tensor& y, const Options& options) {
  return binary(Op::squared_difference, x, y, options);
}

double dot(const Tensor& x, const Tensor& y, const Options& options) {
  return reduction(Op::dot, x, y, options);
}
double euclidean_distance(const Tensor& x, const Tensor& y, const Options& options) {
  return reduction(Op::euclidean_distance, x, y, options);
}
double cosine_similarity(const Tensor& x, const Tensor& y, const Options& options) {
  return reduction(Op::cosine_similarity, x, y, options);
}

QuantizedTensor quantize(const Tensor& x, int bits, const Options& options) {
  require_f32_input("quantize", x);
  require_bits("quantize", x.shape().str(), bits);
  QuantizedTensor q{Tensor::empty(x.shape(), bits == 8 ? DType::i8 : DType::i16, x.device()), 1.0f};
  Call c = elementwise_call(Op::quantize, x, nullptr, &q.values);
  c.bits = bits;
  c.dtypes = bits == 8 ? "f32 -> i8" : "f32 -> i16";
  detail::dispatch(c, x.device(), options);
  q.scale = c.scale;
  return q;
}

// The uint8 form of quantize: its own entry point, the same op in the registry.
QuantizedTensor quantize_asymmetric(const Tensor& x, const Options& options) {
  const char* op = "quantize_asymmetric";
  require_f32_input(op, x);
  detail::require_host(op, x);
  QuantizedTensor q{Tensor::empty(x.shape(), DType::u8, x.device())};
  Call c = elementwise_call(Op::quantize, x, nullptr, &q.values);
  c.out_u8 = true;
  c.dtypes = "f32 -> u8";
  detail::dispatch(c, x.device(), options);
  q.scale = c.scale;
  q.zero_point = c.zero_point;
  return q;
}

Tensor dequantize(const QuantizedTensor& q, const Options& options) {
  detail::require_quantized("dequantize", q);
  const bool u8 = q.values.dtype() == DType::u8;
  if (u8) detail::require_host("dequantize", q.values);
  Tensor out = Tensor::empty(q.values.shape(), DType::f32, q.values.device());
  Call c = elementwise_call(Op::dequantize, q.values, nullptr, &out);
  c.bits = q.bits();
  c.scale = q.scale;
  c.in_u8 = u8;
  c.zero_point = q.zero_point;
  c.dtypes = u8 ? "u8 -> f32" : c.bits == 8 ? "i8 -> f32" : "i16 -> f32";
  detail::dispatch(c, q.values.device(), options);
  return out;
}

Tensor quantized_matmul(const Tensor& a, const Tensor& b, int bits, const Options& options) {
  require_matmul_operands("quantized_matmul", a, b);
  require_inner_match("quantized_matmul", a, b, Transpose::no, Transpose::no);
  require_bits("quantized_matmul", x_shapes(a, b), bits);
  const std::int64_t k_total = a.dim(1);
  if (k_total > quant::max_exact_layer_k(bits)) {
    throw ArgumentError("quantized_matmul: K = " + std::to_string(k_total) + " in " +
                        x_shapes(a, b) + " can overflow the " + (bits == 8 ? "int32" : "int64") +
                        " sums at " + std::to_string(bits) +
                        " bits (K <= " + std::to_string(quant::max_exact_layer_k(bits)) + ")");
  }
  // At 16 bits past K = 2 only the host's kernels are exact (int64 sums): the GPU's sum
  // in int32. Such a call runs on the CPU unless a GPU is asked for, which is refused.
  Options run_options = options;
  if (k_total > quant::max_exact_k(bits)) {
    const bool gpu_asked = a.device().is_cuda() || (options.device && options.device->is_cuda()) ||
                           options.implementation.starts_with("cuda");
    if (gpu_asked) {
      throw ArgumentError("quantized_matmul: K = " + std::to_string(k_total) + " in " +
                          x_shapes(a, b) + " at " + std::to_string(bits) +
                          " bits needs 64-bit sums, which only the CPU kernels have (on a GPU, "
                          "K <= " +
                          std::to_string(quant::max_exact_k(bits)) + ")");
    }
    run_options.device = Device::cpu();
  }
  Tensor c = Tensor::empty({a.dim(0), b.dim(1)}, DType::f32, a.device());
  const std::int64_t m = a.dim(0), n = b.dim(1), k = a.dim(1);
  Call call =
      gemm_call(Op::quantized_matmul, Transpose::no, Transpose::no, m, n, k, 1.0f,
                static_cast<const float*>(a.raw_data()), k, static_cast<const float*>(b.raw_data()),
                n, 0.0f, static_cast<float*>(c.raw_data()), n);
  call.bits = bits;
  call.dtypes = bits == 8 ? "f32 (i8 inside)" : "f32 (i16 inside)";
  call.shape_a = &a.shape();
  call.shape_b = &b.shape();
  detail::dispatch(call, a.device(), run_options);
  return c;
}

Tensor quantized_relu(const Tensor& x, int bits, const Options& options) {
  require_f32_input("quantized_relu", x);
  require_bits("quantized_relu", x.shape().str(), bits);
  Tensor y = Tensor::empty(x.shape(), DType::f32, x.device());
  Call c = elementwise_call(Op::quantized_relu, x, nullptr, &y);
  c.bits = bits;
  c.dtypes = bits == 8 ? "f32 (i8 inside)" : "f32 (i16 inside)";
  detail::dispatch(c, x.device(), options);
  return y;
}

QuantizedTensor quantized_relu(const QuantizedTensor& x, const Options& options) {
  detail::require_quantized("quantized_relu", x);
  if (!quant::usable_scale(x.scale)) {
    throw ArgumentError("quantized_relu: the scale must be a finite positive normal float, got " +
                        quant::format_float(x.scale) + " for " + detail::describe(x.values));
  }
  QuantizedTensor y{Tensor::empty(x.values.shape(), x.values.dtype(), x.values.device()), x.scale,
                    x.zero_point};
  const bool u8 = x.values.dtype() == DType::u8;
  if (u8) detail::require_host("quantized_relu", x.values);
  Call c = elementwise_call(Op::quantized_relu, x.values, nullptr, &y.values);
  c.bits = x.bits();
  c.scale = x.scale;
  c.quantized_in = true;
  c.in_u8 = u8;
  c.zero_point = x.zero_point;
  c.dtypes = u8 ? "u8 -> u8" : c.bits == 8 ? "i8 -> i8" : "i16 -> i16";
  detail::dispatch(c, x.values.device(), options);
  return y;
}

Tensor batch_apply(const Tensor& batch, const RowFunction& op, int workers,
                   const Options& options) {
  require_f32_input("batch_apply", batch);
  if (!batch.device().is_cpu()) {
    throw DeviceError("batch_apply: runs a host function on host data; " + detail::describe(batch) +
                      " (move it with to(Device::cpu()))");
  }
  if (batch.rank() < 1) {
    throw ShapeError("batch_apply: expected a batch of rank >= 1, got " + batch.shape().str());
  }
  if (!op) throw ArgumentError("batch_apply: empty function for " + batch.shape().str());
  if (workers < 1) {
    throw ArgumentError("batch_apply: workers must be at least 1, got " + std::to_string(workers) +
                        " for " + batch.shape().str());
  }
  Tensor out = Tensor::empty(batch.shape(), DType::f32, batch.device());
  Call c = elementwise_call(Op::batch_apply, batch, nullptr, &out);
  c.rows = batch.dim(0);
  c.cols = c.rows == 0 ? 0 : batch.numel() / c.rows;
  c.row_function = &op;
  c.workers = workers;
  detail::dispatch(c, batch.device(), options);
  return out;
}

}  // namespace tandem
