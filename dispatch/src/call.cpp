#include "call.h"

namespace tandem::detail {

double Call::work() const {
  if (counts_flops(op)) {
    return 2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
  }
  return static_cast<double>(count);  // batch_apply's too: rows x cols
}

std::string Call::shapes() const {
  if (shape_a == nullptr) {
    return "m = " + std::to_string(m) + ", n = " + std::to_string(n) + ", k = " + std::to_string(k);
  }
  std::string text = shape_a->str();
  if (counts_flops(op) && trans_a == Transpose::yes) text += "^T";
  if (shape_b != nullptr) {
    text += counts_flops(op) ? " x " : ", ";
    text += shape_b->str();
    if (counts_flops(op) && trans_b == Transpose::yes) text += "^T";
  }
  if (op == Op::linear) {
    if (in[2] != nullptr) text += " + [" + std::to_string(n) + "]";
    if (activation != Activation::none) text += ", " + std::string(activation_name(activation));
  }
  return text;
}

}  // namespace tandem::detail
