// Quantized layers as inference engines run them (FBGEMM's PackBMatrix and
// requantization, oneDNN's int8 matmul with per-channel scales): the weights are
// quantized and packed once, into a QuantizedWeights; every call quantizes only x,
// runs the integer GEMM with int32 sums, and finishes each sum in the GEMM's store:
//   y[i][j] = act(float(sum_ij) * (x_scale * w_scale[j]) + bias[j])
// as f32, or requantized to int8 with a given output scale, so that a chain of layers
// stays in 8 bits. Weights are symmetric; x and y symmetric int8, or asymmetric uint8
// with a zero point (tandem/quantization_rules.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <tandem/epilogue.h>
#include <tandem/ops.h>
#include <tandem/options.h>
#include <tandem/tensor.h>

namespace tandem {

// One scale for all of W, or one per output column (an output channel).
enum class ScaleGranularity : std::uint8_t { per_tensor, per_channel };

// W quantized and packed once, immutable after; copies share it, and every thread may
// use it at once.
class QuantizedWeights {
 public:
  QuantizedWeights() = default;  // undefined: refused by quantized_linear

  // W (f32 [k, n], host) quantized symmetrically to `bits` (8 or 16): per tensor, one
  // scale max|W| / qmax; per channel, scale_j = max_i |W[i][j]| / qmax (1 for an
  // all-zero column). Packed in the layout of the implementation options name
  // ("cpu.amx", "cpu.avx512", "cpu.avx2_vnni", "cpu.avx2", "cpu.baseline", or
  // "reference": row-major), by
  // default the best CPU path that runs the integer GEMM here; quantized_linear then runs
  // that implementation. "cuda" (or Options::device a GPU) keeps W int8, row-major, on
  // that GPU (8 bits only: 16-bit sums need int64, an ArgumentError), and its layers run
  // there: x, bias and y on the host (moved for the call) or all on that GPU. NaN/Inf
  // in W is an ArgumentError.
  static QuantizedWeights prepare(const Tensor& w, int bits = 8,
                                  ScaleGranularity granularity = ScaleGranularity::per_channel,
                                  const Options& options = {});

  bool defined() const { return data_ != nullptr; }
  int bits() const;
  std::int64_t k() const;
  std::int64_t n() const;
  ScaleGranularity granularity() const;
  const std::vector<float>& scales() const;  // 1 or n
  const std::string& implementation() const;
  // W as stored: the packed (or plain) quantized values and the scales.
  std::size_t stored_bytes() const;

  struct Data;
  const Data& data() const;

 private:
  std::shared_ptr<const Data> data_;
};

// y (f32 [m, n]) = act(x @ W + bias) through the quantized weights: x f32 [m, k]
// quantized per call (per tensor, symmetric, W's width), or already quantized (i8 or
// i16 as W, with its scale; or, with 8-bit W on the host, asymmetric u8 with its scale
// and zero point, as quantize_asymmetric and the u8 layers below make it). bias: f32
// [n] or undefined. The sums are exact: int32 at 8 bits, for K <= 133144 (66311 with
// u8 x; larger K is refused); int64 at 16 bits, for any K (quant::max_exact_layer_k).
// Refused before anything runs: shapes or types that do not match W, NaN/Inf in x or
// bias, a zero point outside u8 (or not 0 for i8 x), an implementation other than W's,
// x on a device other than the host or W's, a bias on a device other than x's. y is on
// x's device.
Tensor quantized_linear(const Tensor& x, const QuantizedWeights& w, const Tensor& bias = {},
                        Activation activation = Activation::none, const Options& options = {});
Tensor quantized_linear(const QuantizedTensor& x, const QuantizedWeights& w,
                        const Tensor& bias = {}, Activation activation = Activation::none,
                        const Options& options = {});
// The same, requantized to int8 with output_scale (the quantize rule: round half to
// even of y / output_scale, clamped to [-128, 127]): the next layer's x.
QuantizedTensor quantized_linear(const Tensor& x, const QuantizedWeights& w, const Tensor& bias,
                                 Activation activation, float output_scale,
                                 const Options& options = {});
QuantizedTensor quantized_linear(const QuantizedTensor& x, const QuantizedWeights& w,
                                 const Tensor& bias, Activation activation, float output_scale,
                                 const Options& options = {});
// The same, requantized to asymmetric u8 (8-bit W, host): clamp(round(y /
// output_scale) + output_zero_point, 0, 255), output_zero_point in [0, 255]. After a
// relu, zero point 0 gives y all 256 codes: the next layer's x, at twice int8's
// resolution.
QuantizedTensor quantized_linear(const Tensor& x, const QuantizedWeights& w, const Tensor& bias,
                                 Activation activation, float output_scale,
                                 std::int32_t output_zero_point, const Options& options = {});
QuantizedTensor quantized_linear(const QuantizedTensor& x, const QuantizedWeights& w,
                                 const Tensor& bias, Activation activation, float output_scale,
                                 std::int32_t output_zero_point, const Options& options = {});

}  // namespace tandem
