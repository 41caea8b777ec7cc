// The operations: check the inputs, then run the reference kernels. (The kernel
// registry that picks faster CPU and CUDA kernels comes in with the dispatcher.)
#include <string>

#include <tandem/cpu/reference.h>
#include <tandem/error.h>
#include <tandem/ops.h>

#include "checks.h"

namespace tandem {
namespace ref = cpu::reference;
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

template <typename Kernel>
Tensor binary(const char* op, const Tensor& x, const Tensor& y, Kernel kernel) {
  require_f32_pair(op, x, y);
  Tensor out = Tensor::empty(x.shape(), DType::f32, x.device());
  kernel(x.data<float>(), y.data<float>(), out.data<float>(), x.numel());
  return out;
}

template <typename Kernel>
double reduction(const char* op, const Tensor& x, const Tensor& y, Kernel kernel) {
  require_f32_pair(op, x, y);
  return kernel(x.data<float>(), y.data<float>(), x.numel());
}

template <typename Q>
QuantizedTensor quantize_as(const Tensor& x, int bits) {
  const float scale = ref::quantize_scale(x.data<float>(), x.numel(), bits);
  QuantizedTensor q{Tensor::empty(x.shape(), dtype_of<Q>(), x.device()), scale};
  ref::quantize(x.data<float>(), x.numel(), scale, q.values.data<Q>());
  return q;
}

template <typename Q>
Tensor dequantize_as(const QuantizedTensor& q) {
  Tensor out = Tensor::empty(q.values.shape(), DType::f32, q.values.device());
  ref::dequantize(q.values.data<Q>(), q.values.numel(), q.scale, out.data<float>());
  return out;
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  require_matmul_operands("matmul", a, b);
  require_inner_match("matmul", a, b, Transpose::no, Transpose::no);
  Tensor c = Tensor::empty({a.dim(0), b.dim(1)}, DType::f32, a.device());
  ref::matmul(a.data<float>(), b.data<float>(), c.data<float>(), a.dim(0), b.dim(1), a.dim(1));
  return c;
}

void gemm(Transpose trans_a, Transpose trans_b, float alpha, const Tensor& a, const Tensor& b,
          float beta, Tensor& c) {
  require_matmul_operands("gemm", a, b);
  require_f32_input("gemm", c);
  detail::require_same_device("gemm", a, c);
  detail::require_rank("gemm", c, 2);
  require_inner_match("gemm", a, b, trans_a, trans_b);
  const std::int64_t m = rows_of(a, trans_a);
  const std::int64_t n = cols_of(b, trans_b);
  if (c.dim(0) != m || c.dim(1) != n) {
    throw ShapeError("gemm: C is " + c.shape().str() + " but op(A) x op(B) is " +
                     shape_string({m, n}));
  }
  ref::gemm(trans_a, trans_b, m, n, cols_of(a, trans_a), alpha, a.data<float>(), a.dim(1),
            b.data<float>(), b.dim(1), beta, c.data<float>(), n);
}

Tensor relu(const Tensor& x) {
  require_f32_input("relu", x);
  Tensor y = Tensor::empty(x.shape(), DType::f32, x.device());
  ref::relu(x.data<float>(), y.data<float>(), x.numel());
  return y;
}

Tensor add(const Tensor& x, const Tensor& y) { return binary("add", x, y, ref::add); }
Tensor multiply(const Tensor& x, const Tensor& y) {
  return binary("multiply", x, y, ref::multiply);
}
Tensor squared_difference(const Tensor& x, const Tensor& y) {
  return binary("squared_difference", x, y, ref::squared_difference);
}

double dot(const Tensor& x, const Tensor& y) { return reduction("dot", x, y, ref::dot); }
double euclidean_distance(const Tensor& x, const Tensor& y) {
  return reduction("euclidean_distance", x, y, ref::euclidean_distance);
}
double cosine_similarity(const Tensor& x, const Tensor& y) {
  return reduction("cosine_similarity", x, y, ref::cosine_similarity);
}

QuantizedTensor quantize(const Tensor& x, int bits) {
  require_f32_input("quantize", x);
  require_bits("quantize", x.shape().str(), bits);
  return bits == 8 ? quantize_as<std::int8_t>(x, bits) : quantize_as<std::int16_t>(x, bits);
}

Tensor dequantize(const QuantizedTensor& q) {
  detail::require_defined("dequantize", q.values);
  detail::require_cpu("dequantize", q.values);
  if (q.values.dtype() == DType::i8) return dequantize_as<std::int8_t>(q);
  if (q.values.dtype() == DType::i16) return dequantize_as<std::int16_t>(q);
  throw DTypeError("dequantize: expected i8 or i16, got " + detail::describe(q.values));
}

Tensor quantized_matmul(const Tensor& a, const Tensor& b, int bits) {
  require_matmul_operands("quantized_matmul", a, b);
  require_inner_match("quantized_matmul", a, b, Transpose::no, Transpose::no);
  require_bits("quantized_matmul", x_shapes(a, b), bits);
  if (a.dim(1) > ref::max_quantized_k(bits)) {
    throw ArgumentError("quantized_matmul: K = " + std::to_string(a.dim(1)) + " in " +
                        x_shapes(a, b) + " can overflow int32 accumulation at " +
                        std::to_string(bits) +
                        " bits (K <= " + std::to_string(ref::max_quantized_k(bits)) + ")");
  }
  Tensor c = Tensor::empty({a.dim(0), b.dim(1)}, DType::f32, a.device());
  ref::quantized_matmul(a.data<float>(), b.data<float>(), c.data<float>(), a.dim(0), b.dim(1),
                        a.dim(1), bits);
  return c;
}

Tensor quantized_relu(const Tensor& x, int bits) {
  require_f32_input("quantized_relu", x);
  require_bits("quantized_relu", x.shape().str(), bits);
  Tensor y = Tensor::empty(x.shape(), DType::f32, x.device());
  ref::quantized_relu(x.data<float>(), y.data<float>(), x.numel(), bits);
  return y;
}

Tensor batch_apply(const Tensor& batch, const RowFunction& op, int workers) {
  require_f32_input("batch_apply", batch);
  if (batch.rank() < 1) {
    throw ShapeError("batch_apply: expected a batch of rank >= 1, got " + batch.shape().str());
  }
  if (!op) throw ArgumentError("batch_apply: empty function for " + batch.shape().str());
  Tensor out = Tensor::empty(batch.shape(), DType::f32, batch.device());
  const std::int64_t rows = batch.dim(0);
  const std::int64_t cols = rows == 0 ? 0 : batch.numel() / rows;
  ref::batch_apply(op, batch.data<float>(), out.data<float>(), rows, cols, workers);
  return out;
}

}  // namespace tandem
