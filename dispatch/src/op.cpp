#include <array>

#include <tandem/op.h>

namespace tandem {
namespace {

constexpr std::array kOps = {
    Op::matmul,
    Op::gemm,
    Op::relu,
    Op::add,
    Op::multiply,
    Op::squared_difference,
    Op::dot,
    Op::euclidean_distance,
    Op::cosine_similarity,
    Op::quantize,
    Op::dequantize,
    Op::quantized_matmul,
    Op::quantized_relu,
    Op::batch_apply,
};

}  // namespace

std::span<const Op> all_ops() { return kOps; }

std::string_view op_name(Op op) {
  switch (op) {
    case Op::matmul:
      return "matmul";
    case Op::gemm:
      return "gemm";
    case Op::relu:
      return "relu";
    case Op::add:
      return "add";
    case Op::multiply:
      return "multiply";
    case Op::squared_difference:
      return "squared_difference";
    case Op::dot:
      return "dot";
    case Op::euclidean_distance:
      return "euclidean_distance";
    case Op::cosine_similarity:
      return "cosine_similarity";
    case Op::quantize:
      return "quantize";
    case Op::dequantize:
      return "dequantize";
    case Op::quantized_matmul:
      return "quantized_matmul";
    case Op::quantized_relu:
      return "quantized_relu";
    case Op::batch_apply:
      return "batch_apply";
  }
  return "unknown";
}

std::optional<Op> parse_op(std::string_view name) {
  for (const Op op : kOps) {
    if (op_name(op) == name) return op;
  }
  return std::nullopt;
}

}  // namespace tandem
