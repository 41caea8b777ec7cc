// One operation call as the dispatcher and the kernel entries see it: the operands as
// raw pointers (on the device the kernel runs on, once the dispatcher has moved
// them), the sizes, the scalars, and the result slots. Filled by ops.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include <tandem/cpu/kernels.h>
#include <tandem/epilogue.h>
#include <tandem/op.h>
#include <tandem/ops.h>
#include <tandem/shape.h>
#include <tandem/transpose.h>

namespace tandem::detail {

struct Call {
  Op op = Op::relu;

  // Operands: in[] are read (linear's bias is in[2]); out is written, and read first
  // when out_read (gemm with beta != 0). Bytes are what a transfer must move (strided
  // spans included).
  static constexpr int kInputs = 3;
  const void* in[kInputs] = {nullptr, nullptr, nullptr};
  std::size_t in_bytes[kInputs] = {0, 0, 0};
  void* out = nullptr;
  std::size_t out_bytes = 0;
  bool out_read = false;

  // Sizes: count for element-wise ops, reductions and quantization; m, n, k and the
  // leading dimensions for the GEMMs; rows x cols for batch_apply.
  std::int64_t count = 0;
  Transpose trans_a = Transpose::no;
  Transpose trans_b = Transpose::no;
  std::int64_t m = 0, n = 0, k = 0, lda = 0, ldb = 0, ldc = 0;
  std::int64_t rows = 0, cols = 0;

  // Scalars and results.
  float alpha = 1.0f;
  float beta = 0.0f;
  Activation activation = Activation::none;  // the layers'; their bias is in[2]
  // quantized_relu and quantized_linear: whether x is quantized values with `scale`
  // (else f32, quantized by the kernel's path where it needs to be).
  bool quantized_in = false;
  // quantized_linear: the prepared weights (QuantizedWeights::Data), the int8 output's
  // scale (0: f32 out).
  const void* prepared = nullptr;
  float out_scale = 0.0f;
  // Asymmetric uint8 operands: quantized_linear's x (quantized_in) and requantized output,
  // each with its zero point (8-bit weights); quantize's output (out_u8, zero_point set
  // by the kernel with scale), dequantize's and quantized_relu's input (in_u8).
  bool in_u8 = false;
  std::int32_t zero_point = 0;
  bool out_u8 = false;
  std::int32_t out_zero_point = 0;
  int bits = 8;         // quantization width: selects i8 or i16 storage
  float scale = 1.0f;   // dequantize's input; quantize's output
  double result = 0.0;  // the reductions' output
  const RowFunction* row_function = nullptr;
  int workers = 1;

  // Execution context, from Options.
  int threads = 0;
  cpu::GemmBlocking blocking;
  int cuda_device = 0;

  // For messages and the verbose log: the element types ("f32", "f32 -> i8") and the
  // operands' shapes (none for the raw-pointer gemm, described by m, n, k).
  const char* dtypes = "f32";
  const Shape* shape_a = nullptr;
  const Shape* shape_b = nullptr;
  // "[128, 64] x [64, 32]", "[1000], [1000]", "[1000]", "m = 4, n = 5, k = 6".
  std::string shapes() const;

  // Units of work of the cost model (see cost_model.h).
  double work() const;
};

}  // namespace tandem::detail
