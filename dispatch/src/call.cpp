#include "call.h"

namespace tandem::detail {
namespace {

bool is_gemm(Op op) { return op == Op::matmul || op == Op::gemm || op == Op::quantized_matmul; }

}  // namespace

double Call::work() const {
  if (is_gemm(op))
    return 2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
  if (op == Op::batch_apply) return static_cast<double>(rows) * static_cast<double>(cols);
  return static_cast<double>(count);
}

std::string Call::shapes() const {
  if (shape_a == nullptr) {
    return "m = " + std::to_string(m) + ", n = " + std::to_string(n) + ", k = " + std::to_string(k);
  }
  std::string text = shape_a->str();
  if (is_gemm(op) && trans_a == Transpose::yes) text += "^T";
  if (shape_b != nullptr) {
    text += is_gemm(op) ? " x " : ", ";
    text += shape_b->str();
    if (is_gemm(op) && trans_b == Transpose::yes) text += "^T";
  }
  return text;
}

}  // namespace tandem::detail
