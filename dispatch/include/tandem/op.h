// The operations the dispatcher knows, by name.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace tandem {

enum class Op : std::uint8_t {
  matmul,
  gemm,
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
  batch_apply,
};

std::span<const Op> all_ops();
std::string_view op_name(Op op);  // "matmul", "squared_difference", ...
std::optional<Op> parse_op(std::string_view name);

}  // namespace tandem
