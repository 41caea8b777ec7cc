// The operations the dispatcher knows: one row each in op.cpp's table, which gives
// the name, the element types and the cost model's unit of work.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace tandem {

enum class Op : std::uint8_t {
  matmul,
  gemm,
  linear,
  relu,
  add,
  multiply,
  squared_difference,
  dot,
  euclidean_distance,
  cosine_similarity,
  quantize,
  dequantize,
  quantized_matmul,
  quantized_relu,
  quantized_linear,
  batch_apply,
};

struct OpInfo {
  Op op;
  std::string_view name;    // "matmul", "squared_difference", ...
  std::string_view dtypes;  // "f32", "f32 -> i8/i16", ...
  // The cost model's unit: true for the GEMM-shaped ops (2 * m * n * k flops, operands
  // A and B), false for the rest (elements).
  bool counts_flops;
};

std::span<const Op> all_ops();
const OpInfo& op_info(Op op);
inline std::string_view op_name(Op op) { return op_info(op).name; }
inline bool counts_flops(Op op) { return op_info(op).counts_flops; }
std::optional<Op> parse_op(std::string_view name);

}  // namespace tandem
