// QuantizedWeights and quantized_linear: check, describe the call, dispatch it to the
// implementation the weights were prepared for (registry.cpp runs it).
#include <tandem/quantized_layer.h>

#include <cmath>
#include <string>

#include <tandem/cpu/reference.h>
#include <tandem/cuda/runtime.h>
#include <tandem/error.h>
#include <tandem/quantization_rules.h>

#include "call.h"
#include "checks.h"
#include "dispatcher.h"
#include "quantized_weights.h"
#include "registry.h"

namespace tandem {
namespace {

namespace ref = cpu::reference;
using detail::Call;

const char* kOp = "quantized_linear";

// The implementation of quantized_linear that options name (or the GPU's, where they
// ask for a GPU device), or the first CPU one that can run here (registry order: best
// first).
const detail::KernelEntry& weights_implementation(const Options& options, const Tensor& w) {
  std::string name = options.implementation;
  if (name.empty() && options.device && options.device->is_cuda()) name = "cuda";
  if (!name.empty()) {
    const detail::KernelEntry* e = detail::find_kernel(Op::quantized_linear, name);
    if (e == nullptr) {
      throw ArgumentError("QuantizedWeights::prepare: no implementation '" + name +
                          "' of quantized_linear for W " + w.shape().str());
    }
    if (!e->available()) {
      throw DeviceError("QuantizedWeights::prepare: " + e->implementation +
                        " cannot run here: " + e->unavailable_reason());
    }
    return *e;
  }
  for (const detail::KernelEntry* e : detail::candidates(Op::quantized_linear, DeviceKind::cpu)) {
    if (e->available()) return *e;
  }
  throw DeviceError("QuantizedWeights::prepare: no implementation of quantized_linear runs here");
}

template <typename Q>
void quantize_weights(const Tensor& w, QuantizedWeights::Data& d, std::vector<Q>& values) {
  const float* src = w.data<float>();
  values.resize(static_cast<std::size_t>(d.k * d.n));
  if (d.granularity == ScaleGranularity::per_channel) {
    d.scales.resize(static_cast<std::size_t>(d.n));
    ref::quantize_per_column(src, d.k, d.n, d.scales.data(), values.data());
  } else {
    d.scales = {ref::quantize_scale(src, d.k * d.n, d.bits)};
    ref::quantize(src, d.k * d.n, d.scales[0], values.data());
  }
}

// Where the weights are: a GPU for the cuda implementation, else the host.
Device weights_device(const QuantizedWeights& w) {
  const cuda::DeviceBuffer& on_gpu = w.data().device_values;
  return on_gpu.get() != nullptr ? Device::cuda(on_gpu.device()) : Device::cpu();
}

// Everything quantized_linear checks before it runs.
void require_layer_operands(const Tensor& x, bool x_quantized, const QuantizedWeights& w,
                            const Tensor& bias, Activation activation, const Options& options,
                            bool out_u8 = false) {
  if (!w.defined()) {
    throw ArgumentError("quantized_linear: undefined QuantizedWeights for x " +
                        detail::describe(x));
  }
  const std::string shapes =
      detail::describe(x) + " x W [" + std::to_string(w.k()) + ", " + std::to_string(w.n()) + "]";
  const DType want = w.bits() == 8 ? DType::i8 : DType::i16;
  const bool x_u8 = x_quantized && w.bits() == 8 && x.dtype() == DType::u8;
  if (x.dtype() != (x_quantized ? want : DType::f32) && !x_u8) {
    throw DTypeError(std::string(kOp) + ": x must be " +
                     (x_quantized ? (w.bits() == 8 ? std::string("i8 or u8") : std::string("i16"))
                                  : std::string("f32")) +
                     " for " + shapes);
  }
  const Device home = weights_device(w);
  if (home.is_cuda() && (x_u8 || out_u8)) {
    throw ArgumentError(std::string(kOp) + ": uint8 " + (x_u8 ? "x" : "output") + " for " + shapes +
                        ": the GPU layer takes int8 (asymmetric uint8 runs on the host "
                        "so far; prepare the weights for a CPU implementation)");
  }
  if (out_u8 && w.bits() != 8) {
    throw ArgumentError(std::string(kOp) + ": a uint8 output needs 8-bit weights, not " +
                        std::to_string(w.bits()) + "-bit (" + shapes + ")");
  }
  const std::int64_t k_bound =
      x_u8 ? quant::max_exact_u8_layer_k() : quant::max_exact_layer_k(w.bits());
  if (!x.device().is_cpu() && x.device() != home) {
    throw DeviceError(std::string(kOp) + ": the weights live on " + home.str() + "; x is " +
                      detail::describe(x) + " (move x with to(), or prepare the weights there)");
  }
  if (x.rank() != 2 || x.dim(1) != w.k()) {
    throw ShapeError(std::string(kOp) + ": x must be [m, " + std::to_string(w.k()) + "] for " +
                     shapes);
  }
  if (x.dim(1) > k_bound) {
    throw ArgumentError(std::string(kOp) + ": K = " + std::to_string(x.dim(1)) +
                        " can overflow int32 accumulation at " + std::to_string(w.bits()) +
                        " bits" + (x_u8 ? " with uint8 x" : "") + " (K <= " +
                        std::to_string(k_bound) + "; 16 bits has no such bound) for " + shapes);
  }
  if (bias.defined()) {
    if (bias.dtype() != DType::f32 || bias.device() != x.device() || bias.rank() != 1 ||
        bias.dim(0) != w.n()) {
      throw ShapeError(std::string(kOp) + ": the bias must be f32 [" + std::to_string(w.n()) +
                       "] on x's device " + x.device().str() + ", got " + detail::describe(bias) +
                       " for " + shapes);
    }
    const Tensor on_host = bias.device().is_cpu() ? bias : bias.to(Device::cpu());
    const float* b = on_host.data<float>();
    for (std::int64_t j = 0; j < w.n(); ++j) {
      if (!std::isfinite(b[j])) {
        throw ArgumentError(std::string(kOp) + ": the bias holds " + std::to_string(b[j]) +
                            " at element " + std::to_string(j) + " for " + shapes);
      }
    }
  }
  if (activation_name(activation) == "?") {
    throw ArgumentError(std::string(kOp) + ": unknown activation " +
                        std::to_string(static_cast<int>(activation)) + " for " + shapes);
  }
  if (!options.implementation.empty() && options.implementation != w.implementation()) {
    throw ArgumentError(std::string(kOp) + ": the weights were prepared for " + w.implementation() +
                        ", not " + options.implementation + " (" + shapes +
                        "); prepare them with that implementation");
  }
}

// x as the layer reads it: f32 (quantized per call), or quantized values (i8, i16 or
// u8) with their scale and zero point.
struct LayerX {
  const Tensor& values;
  bool quantized = false;
  float scale = 0.0f;
  std::int32_t zero_point = 0;
};

// The verbose log's element types, "u8 -> f32" and so on: literals, as Call keeps them.
const char* layer_dtypes(const Tensor& x, bool quantized, int bits, DType out) {
  static constexpr const char* kNames[4][3] = {{"f32 -> f32", "f32 -> i8", "f32 -> u8"},
                                               {"i8 -> f32", "i8 -> i8", "i8 -> u8"},
                                               {"i16 -> f32", "i16 -> i8", "i16 -> u8"},
                                               {"u8 -> f32", "u8 -> i8", "u8 -> u8"}};
  const int in = !quantized ? 0 : x.dtype() == DType::u8 ? 3 : bits == 8 ? 1 : 2;
  const int to = out == DType::f32 ? 0 : out == DType::i8 ? 1 : 2;
  return kNames[in][to];
}

// Runs the layer into out: f32 [m, n], or requantized i8 / u8 [m, n] (out_scale > 0).
void run_layer(const LayerX& lx, const QuantizedWeights& w, const Tensor& bias,
               Activation activation, float out_scale, std::int32_t out_zero_point, Tensor& out,
               const Options& options) {
  const Tensor& x = lx.values;
  const bool quantized = lx.quantized;
  const float x_scale = lx.scale;
  Call c;
  c.op = Op::quantized_linear;
  c.in[0] = x.raw_data();
  c.in_bytes[0] = x.nbytes();
  if (bias.defined()) {
    c.in[2] = bias.raw_data();
    c.in_bytes[2] = bias.nbytes();
  }
  c.out = out.raw_data();
  c.out_bytes = out.nbytes();
  c.m = x.dim(0);
  c.n = w.n();
  c.k = w.k();
  c.bits = w.bits();
  c.scale = x_scale;
  c.quantized_in = quantized;
  c.out_scale = out_scale;
  c.in_u8 = quantized && x.dtype() == DType::u8;
  c.zero_point = lx.zero_point;
  c.out_u8 = out.dtype() == DType::u8;
  c.out_zero_point = out_zero_point;
  c.activation = activation;
  c.prepared = &w.data();
  c.shape_a = &x.shape();
  c.dtypes = layer_dtypes(x, quantized, w.bits(), out.dtype());
  Options forced = options;
  forced.implementation = w.implementation();
  if (w.data().device_values.get() != nullptr) forced.device = weights_device(w);
  detail::dispatch(c, x.device(), forced);
}

Tensor layer_f32(const LayerX& x, const QuantizedWeights& w, const Tensor& bias,
                 Activation activation, const Options& options) {
  require_layer_operands(x.values, x.quantized, w, bias, activation, options);
  Tensor y = Tensor::empty({x.values.dim(0), w.n()}, DType::f32, x.values.device());
  run_layer(x, w, bias, activation, 0.0f, 0, y, options);
  return y;
}

// y requantized with output_scale: i8, or u8 with output_zero_point (out_u8).
QuantizedTensor layer_requantized(const LayerX& x, const QuantizedWeights& w, const Tensor& bias,
                                  Activation activation, float output_scale, bool out_u8,
                                  std::int32_t output_zero_point, const Options& options) {
  require_layer_operands(x.values, x.quantized, w, bias, activation, options, out_u8);
  if (!quant::usable_scale(output_scale)) {
    throw ArgumentError(std::string(kOp) +
                        ": output_scale must be a finite positive normal float, got " +
                        quant::format_float(output_scale) + " for x " + detail::describe(x.values));
  }
  if (out_u8) quant::require_zero_point(kOp, "the output's", output_zero_point);
  QuantizedTensor y{
      Tensor::empty({x.values.dim(0), w.n()}, out_u8 ? DType::u8 : DType::i8, x.values.device()),
      output_scale, out_u8 ? output_zero_point : 0};
  run_layer(x, w, bias, activation, output_scale, y.zero_point, y.values, options);
  return y;
}

LayerX quantized_x(const QuantizedTensor& x) {
  detail::require_quantized(kOp, x);
  if (!quant::usable_scale(x.scale)) {
    throw ArgumentError(std::string(kOp) +
                        ": x's scale must be a finite positive normal float, got " +
                        quant::format_float(x.scale) + " for x " + detail::describe(x.values));
  }
  return {x.values, true, x.scale, x.zero_point};
}

LayerX f32_x(const Tensor& x) {
  detail::require_defined(kOp, x);
  return {x};
}

}  // namespace

QuantizedWeights QuantizedWeights::prepare(const Tensor& w, int bits, ScaleGranularity granularity,
                                           const Options& options) {
  const char* op = "QuantizedWeights::prepare";
  detail::require_f32_input(op, w);
  detail::require_rank(op, w, 2);
  if (!w.device().is_cpu()) {
    throw DeviceError(std::string(op) + ": W must be on the host, got " + detail::describe(w) +
                      " (quantized layers run on the CPU so far)");
  }
  if (bits != 8 && bits != 16) {
    throw ArgumentError(std::string(op) + ": unsupported bit width " + std::to_string(bits) +
                        " for W " + w.shape().str() + " (8 or 16)");
  }
  if (granularity != ScaleGranularity::per_tensor && granularity != ScaleGranularity::per_channel) {
    throw ArgumentError(std::string(op) + ": unknown scale granularity for " + w.shape().str());
  }
  const detail::KernelEntry& impl = weights_implementation(options, w);
  if (impl.device == DeviceKind::cuda && bits != 8) {
    throw ArgumentError(std::string(op) + ": the GPU layer takes 8-bit weights, not " +
                        std::to_string(bits) + " (W " + w.shape().str() +
                        "): 16-bit sums need int64, which its kernel does not have");
  }
  auto d = std::make_shared<Data>();
  d->bits = bits;
  d->k = w.dim(0);
  d->n = w.dim(1);
  d->granularity = granularity;
  d->implementation = impl.implementation;
  const bool packed = impl.backend == detail::Backend::cpu;
  const bool on_gpu = impl.device == DeviceKind::cuda;
  try {
    if (bits == 8) {
      quantize_weights(w, *d, d->values_i8);
    } else {
      quantize_weights(w, *d, d->values_i16);
    }
  } catch (const ArgumentError& e) {  // NaN or Inf in W, worded by the quantizer
    throw ArgumentError(std::string(op) + ": W " + w.shape().str() + ": " + e.what());
  }
  if (packed && bits == 8) {
    d->packed.emplace(d->values_i8.data(), d->n, d->k, d->n, impl.isa, impl.unit);
  }
  if (packed && bits == 16) {
    d->packed.emplace(d->values_i16.data(), d->n, d->k, d->n, impl.isa, impl.unit);
  }
  if (on_gpu) {
    const int device = options.device && options.device->is_cuda() ? options.device->index : 0;
    d->device_values = cuda::DeviceBuffer(device, d->values_i8.size());
    cuda::copy_host_to_device(device, d->device_values.get(), d->values_i8.data(),
                              d->values_i8.size());
  }
  if (packed || on_gpu) {  // the packed panels, or the GPU's copy, are all the layer reads
    d->values_i8 = {};
    d->values_i16 = {};
  }
  QuantizedWeights q;
  q.data_ = std::move(d);
  return q;
}

const QuantizedWeights::Data& QuantizedWeights::data() const {
  if (!data_) throw ArgumentError("QuantizedWeights: undefined");
  return *data_;
}
int QuantizedWeights::bits() const { return data().bits; }
std::int64_t QuantizedWeights::k() const { return data().k; }
std::int64_t QuantizedWeights::n() const { return data().n; }
ScaleGranularity QuantizedWeights::granularity() const { return data().granularity; }
const std::vector<float>& QuantizedWeights::scales() const { return data().scales; }
const std::string& QuantizedWeights::implementation() const { return data().implementation; }
std::size_t QuantizedWeights::stored_bytes() const {
  const Data& d = data();
  const std::size_t values = d.packed ? d.packed->bytes()
                             : d.device_values.get() != nullptr
                                 ? d.device_values.bytes()
                                 : d.values_i8.size() + d.values_i16.size() * 2;
  return values + d.scales.size() * sizeof(float);
}

Tensor quantized_linear(const Tensor& x, const QuantizedWeights& w, const Tensor& bias,
                        Activation activation, const Options& options) {
  return layer_f32(f32_x(x), w, bias, activation, options);
}
Tensor quantized_linear(const QuantizedTensor& x, const QuantizedWeights& w, const Tensor& bias,
                        Activation activation, const Options& options) {
  return layer_f32(quantized_x(x), w, bias, activation, options);
}
QuantizedTensor quantized_linear(const Tensor& x, const QuantizedWeights& w, const Tensor& bias,
                                 Activation activation, float output_scale,
                                 const Options& options) {
  return layer_requantized(f32_x(x), w, bias, activation, output_scale, false, 0, options);
}
QuantizedTensor quantized_linear(const QuantizedTensor& x, const QuantizedWeights& w,
                                 const Tensor& bias, Activation activation, float output_scale,
                                 const Options& options) {
  return layer_requantized(quantized_x(x), w, bias, activation, output_scale, false, 0, options);
}
QuantizedTensor quantized_linear(const Tensor& x, const QuantizedWeights& w, const Tensor& bias,
                                 Activation activation, float output_scale,
                                 std::int32_t output_zero_point, const Options& options) {
  return layer_requantized(f32_x(x), w, bias, activation, output_scale, true, output_zero_point,
                           options);
}
QuantizedTensor quantized_linear(const QuantizedTensor& x, const QuantizedWeights& w,
                                 const Tensor& bias, Activation activation, float output_scale,
                                 std::int32_t output_zero_point, const Options& options) {
  return layer_requantized(quantized_x(x), w, bias, activation, output_scale, true,
                           output_zero_point, options);
}

}  // namespace tandem
