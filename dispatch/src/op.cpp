// The table of operations. Adding one: its enumerator (op.h), its row here, its
// kernels' rows in registry.cpp, its public function in ops.cpp.
#include <array>

#include <tandem/op.h>

namespace tandem {
namespace {

constexpr OpInfo kOps[] = {
    {Op::matmul, "matmul", "f32", true},
    {Op::gemm, "gemm", "f32", true},
    {Op::linear, "linear", "f32", true},
    {Op::relu, "relu", "f32", false},
    {Op::add, "add", "f32", false},
    {Op::multiply, "multiply", "f32", false},
    {Op::squared_difference, "squared_difference", "f32", false},
    {Op::dot, "dot", "f32", false},
    {Op::euclidean_distance, "euclidean_distance", "f32", false},
    {Op::cosine_similarity, "cosine_similarity", "f32", false},
    {Op::quantize, "quantize", "f32 -> i8/i16/u8", false},
    {Op::dequantize, "dequantize", "i8/i16/u8 -> f32", false},
    {Op::quantized_matmul, "quantized_matmul", "f32 (i8/i16 inside)", true},
    {Op::quantized_relu, "quantized_relu", "f32 (i8/i16 inside), i8/i16/u8", false},
    {Op::quantized_linear, "quantized_linear", "f32/i8/i16/u8 -> f32/i8/u8", true},
    {Op::batch_apply, "batch_apply", "f32", false},
};

// Row i is enumerator i: op_info() indexes the table, and no enumerator lacks a row.
constexpr bool rows_in_enum_order() {
  for (std::size_t i = 0; i < std::size(kOps); ++i) {
    if (static_cast<std::size_t>(kOps[i].op) != i) return false;
  }
  return static_cast<std::size_t>(Op::batch_apply) + 1 == std::size(kOps);
}
static_assert(rows_in_enum_order(), "kOps must list every Op once, in enum order");

constexpr std::array<Op, std::size(kOps)> op_list() {
  std::array<Op, std::size(kOps)> ops{};
  for (std::size_t i = 0; i < ops.size(); ++i) ops[i] = kOps[i].op;
  return ops;
}
constexpr auto kOpList = op_list();

}  // namespace

std::span<const Op> all_ops() { return kOpList; }

const OpInfo& op_info(Op op) { return kOps[static_cast<std::size_t>(op)]; }

std::optional<Op> parse_op(std::string_view name) {
  for (const OpInfo& info : kOps) {
    if (info.name == name) return info.op;
  }
  return std::nullopt;
}

}  // namespace tandem
