// Quantization: QuantizedTensor, quantize / dequantize, quantized_matmul, quantized_relu
// (on float arrays, or on quantized data), and the layer API: QuantizedWeights prepared
// once and quantized_linear.
#include <optional>
#include <string>
#include <vector>

#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <tandem/error.h>
#include <tandem/ops.h>
#include <tandem/quantized_layer.h>

#include "arrays.h"
#include "bindings.h"
#include "gil.h"
#include "options.h"

namespace tandem::python {
namespace {

using namespace nb::literals;

ScaleGranularity granularity_from(const std::string& name) {
  if (name == "per_channel") return ScaleGranularity::per_channel;
  if (name == "per_tensor") return ScaleGranularity::per_tensor;
  throw ArgumentError("QuantizedWeights.prepare: unknown granularity '" + name +
                      "' (per_channel, per_tensor)");
}

const char* granularity_name(ScaleGranularity g) {
  return g == ScaleGranularity::per_channel ? "per_channel" : "per_tensor";
}

// A quantized_linear's x: an array (f32, quantized per call) or a QuantizedTensor.
template <typename F>
nb::object with_layer_input(nb::handle x, F&& run) {
  if (nb::isinstance<QuantizedTensor>(x)) {
    const auto& q = nb::cast<const QuantizedTensor&>(x);
    return run(q, Framework::numpy);
  }
  const Borrowed bx = borrow("quantized_linear", "x", x);
  return run(bx.tensor, bx.framework);
}

}  // namespace

void bind_quantization(nb::module_& m) {
  nb::class_<QuantizedTensor>(m, "QuantizedTensor",
                              "Quantized data: values and the scale and zero point they stand for "
                              "(value = (q - zero_point) * scale): int8 or int16 with zero point "
                              "0 (symmetric), or uint8 with a zero point in [0, 255].")
      .def(
          "__init__",
          [](QuantizedTensor* self, nb::handle values, float scale, std::int32_t zero_point) {
            const Borrowed b = borrow("QuantizedTensor", "values", values);
            const DType t = b.tensor.dtype();
            if (t != DType::i8 && t != DType::i16 && t != DType::u8) {
              throw DTypeError("QuantizedTensor: values must be int8, int16 or uint8, got " +
                               std::string(dtype_name(t)));
            }
            // A copy: the QuantizedTensor owns its values, whatever happens to the array.
            new (self)
                QuantizedTensor{without_gil([&] { return b.tensor.clone(); }), scale, zero_point};
          },
          "values"_a, "scale"_a, "zero_point"_a = 0)
      .def_prop_ro(
          "values", [](const QuantizedTensor& q) { return to_array(q.values, Framework::numpy); },
          "The int8, int16 or uint8 values (an array sharing the QuantizedTensor's storage).")
      .def_ro("scale", &QuantizedTensor::scale)
      .def_ro("zero_point", &QuantizedTensor::zero_point)
      .def_prop_ro("bits", &QuantizedTensor::bits)
      .def("__repr__", [](const QuantizedTensor& q) {
        return "QuantizedTensor(" + q.values.shape().str() + " " +
               std::string(dtype_name(q.values.dtype())) + ", scale=" + std::to_string(q.scale) +
               (q.values.dtype() == DType::u8 ? ", zero_point=" + std::to_string(q.zero_point)
                                              : std::string()) +
               ")";
      });

  m.def(
      "quantize",
      [](nb::handle x, int bits, const nb::kwargs& kwargs) {
        const Options options = parse_options("quantize", kwargs);
        const Borrowed bx = borrow("quantize", "x", x);
        return without_gil([&] { return quantize(bx.tensor, bits, options); });
      },
      "x"_a, "bits"_a = 8, "options"_a,
      "x quantized symmetrically to int8 or int16: scale = max|x| / (2^(bits-1) - 1) (1 for "
      "all zeros), values round(x / scale) (half to even).");
  m.def(
      "quantize_asymmetric",
      [](nb::handle x, const nb::kwargs& kwargs) {
        const Options options = parse_options("quantize_asymmetric", kwargs);
        const Borrowed bx = borrow("quantize_asymmetric", "x", x);
        return without_gil([&] { return quantize_asymmetric(bx.tensor, options); });
      },
      "x"_a, "options"_a,
      "x quantized to uint8 with a zero point (PyTorch's quint8): x's range with 0 over 256 "
      "codes, scale = range / 255, zero_point = round(-min / scale) (0 for x >= 0).");
  m.def(
      "dequantize",
      [](const QuantizedTensor& q, const nb::kwargs& kwargs) {
        const Options options = parse_options("dequantize", kwargs);
        return to_array(without_gil([&] { return dequantize(q, options); }), Framework::numpy);
      },
      "q"_a, "options"_a, "(q.values - q.zero_point) * q.scale as float32.");
  m.def(
      "quantized_matmul",
      [](nb::handle a, nb::handle b, int bits, const nb::kwargs& kwargs) {
        const Options options = parse_options("quantized_matmul", kwargs);
        const Borrowed ba = borrow("quantized_matmul", "a", a);
        const Borrowed bb = borrow("quantized_matmul", "b", b);
        return to_array(
            without_gil([&] { return quantized_matmul(ba.tensor, bb.tensor, bits, options); }),
            ba.framework);
      },
      "a"_a, "b"_a, "bits"_a = 8, "options"_a,
      "Quantize a and b per tensor, multiply with exact integer sums, dequantize: float32 "
      "[m, n].");
  m.def(
      "quantized_relu",
      [](nb::handle x, int bits, const nb::kwargs& kwargs) -> nb::object {
        const Options options = parse_options("quantized_relu", kwargs);
        if (nb::isinstance<QuantizedTensor>(x)) {
          const auto& q = nb::cast<const QuantizedTensor&>(x);
          return nb::cast(without_gil([&] { return quantized_relu(q, options); }));
        }
        const Borrowed bx = borrow("quantized_relu", "x", x);
        return to_array(without_gil([&] { return quantized_relu(bx.tensor, bits, options); }),
                        bx.framework);
      },
      "x"_a, "bits"_a = 8, "options"_a,
      "On a float32 array: quantize, max(q, 0), dequantize (float32 out). On a "
      "QuantizedTensor: max(q, 0) on the integers, same scale (bits is ignored): a "
      "QuantizedTensor out, a quarter of float32's memory traffic at 8 bits.");

  nb::class_<QuantizedWeights>(m, "QuantizedWeights",
                               "W quantized and packed once for quantized_linear; immutable, and "
                               "usable from several threads at once.")
      .def_static(
          "prepare",
          [](nb::handle w, int bits, const std::string& granularity, const nb::kwargs& kwargs) {
            const Options options = parse_options("QuantizedWeights.prepare", kwargs);
            const ScaleGranularity g = granularity_from(granularity);
            const Borrowed bw = borrow("QuantizedWeights.prepare", "w", w);
            return without_gil(
                [&] { return QuantizedWeights::prepare(bw.tensor, bits, g, options); });
          },
          "w"_a, "bits"_a = 8, "granularity"_a = "per_channel", "options"_a,
          "w (float32 [k, n]) quantized to 8 or 16 bits with one scale per output column "
          "(per_channel) or one for all (per_tensor), packed for the implementation options "
          "name (default: the best CPU path here).")
      .def_prop_ro("bits", &QuantizedWeights::bits)
      .def_prop_ro("k", &QuantizedWeights::k)
      .def_prop_ro("n", &QuantizedWeights::n)
      .def_prop_ro("granularity",
                   [](const QuantizedWeights& w) { return granularity_name(w.granularity()); })
      .def_prop_ro("scales", &QuantizedWeights::scales)
      .def_prop_ro("implementation", &QuantizedWeights::implementation)
      .def_prop_ro("stored_bytes", &QuantizedWeights::stored_bytes,
                   "Bytes of W as stored: the packed integers and the scales.")
      .def("__repr__", [](const QuantizedWeights& w) {
        if (!w.defined()) return std::string("QuantizedWeights(undefined)");
        return "QuantizedWeights(k=" + std::to_string(w.k()) + ", n=" + std::to_string(w.n()) +
               ", bits=" + std::to_string(w.bits()) + ", " + granularity_name(w.granularity()) +
               ", " + w.implementation() + ")";
      });

  m.def(
      "quantized_linear",
      [](nb::handle x, const QuantizedWeights& w, nb::handle bias, const std::string& activation,
         std::optional<float> output_scale, std::optional<std::int32_t> output_zero_point,
         const nb::kwargs& kwargs) -> nb::object {
        const Options options = parse_options("quantized_linear", kwargs);
        const Activation act = activation_from("quantized_linear", activation);
        const Borrowed bb = bias.is_none() ? Borrowed{} : borrow("quantized_linear", "bias", bias);
        if (output_zero_point && !output_scale) {
          throw ArgumentError("quantized_linear: output_zero_point needs an output_scale");
        }
        return with_layer_input(x, [&](const auto& input, Framework framework) -> nb::object {
          if (output_zero_point) {
            return nb::cast(without_gil([&] {
              return quantized_linear(input, w, bb.tensor, act, *output_scale, *output_zero_point,
                                      options);
            }));
          }
          if (output_scale) {
            return nb::cast(without_gil([&] {
              return quantized_linear(input, w, bb.tensor, act, *output_scale, options);
            }));
          }
          return to_array(
              without_gil([&] { return quantized_linear(input, w, bb.tensor, act, options); }),
              framework);
        });
      },
      "x"_a, "w"_a, "bias"_a = nb::none(), "activation"_a = "none", "output_scale"_a = nb::none(),
      "output_zero_point"_a = nb::none(), "options"_a,
      "activation(x @ W + bias) through prepared weights: x float32 [m, k] (quantized per "
      "call) or a QuantizedTensor (int8, or uint8 with a zero point); float32 out, or "
      "requantized with output_scale to int8, or with output_zero_point too to uint8 (a "
      "QuantizedTensor, the next layer's x).");
}

}  // namespace tandem::python
