// Arbitrary bytes as floats (NaN, infinities, denormals, huge values included) through
// quantize, dequantize and quantized_relu on a forced CPU implementation, against the
// reference: the same error (type and message) when the reference refuses, else the
// same scale and bit-identical values; and quantize_asymmetric's invariants.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include <tandem/cpu/reference.h>
#include <tandem/error.h>
#include <tandem/kernels.h>
#include <tandem/ops.h>

#include "fuzz_input.h"

namespace {

namespace ref = tandem::cpu::reference;

std::vector<std::string> implementations(const char* op) {
  std::vector<std::string> out;
  for (const tandem::KernelInfo& k : tandem::registered_kernels()) {
    if (k.op == op && k.device == tandem::DeviceKind::cpu && k.available) {
      out.push_back(k.implementation);
    }
  }
  return out;
}

bool same_bits(const std::vector<float>& x, const std::vector<float>& y) {
  return x.size() == y.size() &&
         (x.empty() || std::memcmp(x.data(), y.data(), x.size() * sizeof(float)) == 0);
}

// The reference's verdict: the error message, or nothing.
template <typename F>
std::optional<std::string> refusal(F&& f) {
  try {
    f();
  } catch (const tandem::ArgumentError& e) {
    return std::string(e.what());
  }
  return std::nullopt;
}

template <typename Q>
void check(const std::vector<float>& x, int bits, const std::string& impl) {
  const auto n = static_cast<std::int64_t>(x.size());
  const tandem::Tensor t = tandem::Tensor::from(x);
  const tandem::Options o = tandem::Options::using_implementation(impl);
  float scale = 0.0f;
  std::vector<Q> q(x.size());
  const std::optional<std::string> ref_error = refusal([&] {
    scale = ref::quantize_scale(x.data(), n, bits);
    ref::quantize(x.data(), n, scale, q.data());
  });
  std::optional<std::string> error;
  tandem::QuantizedTensor got;
  try {
    got = tandem::quantize(t, bits, o);
  } catch (const tandem::ArgumentError& e) {
    error = e.what();
  }
  if (ref_error != error) {
    tandem::fuzz::fail("quantize on " + impl + ": reference says '" + ref_error.value_or("ok") +
                       "', got '" + error.value_or("ok") + "'");
  }
  if (error) return;
  if (got.scale != scale || got.values.to_vector<Q>() != q) {
    tandem::fuzz::fail("quantize on " + impl + " differs from the reference");
  }
  std::vector<float> back(x.size());
  ref::dequantize(q.data(), n, scale, back.data());
  if (!same_bits(tandem::dequantize(got, o).to_vector<float>(), back)) {
    tandem::fuzz::fail("dequantize on " + impl + " differs from the reference");
  }
  std::vector<float> relu(x.size());
  ref::quantized_relu(x.data(), relu.data(), n, bits);
  if (!same_bits(tandem::quantized_relu(t, bits, o).to_vector<float>(), relu)) {
    tandem::fuzz::fail("quantized_relu on " + impl + " differs from the reference");
  }
}

// quantize_asymmetric: refused exactly where the symmetric rule refuses (NaN/Inf);
// otherwise every code in [0, 255] dequantizes to a finite float, and 0 to 0 exactly.
void check_asymmetric(const std::vector<float>& x) {
  const tandem::Tensor t = tandem::Tensor::from(x);
  const bool finite = refusal([&] {
                        (void)ref::quantize_scale(x.data(), static_cast<std::int64_t>(x.size()), 8);
                      }) == std::nullopt;
  tandem::QuantizedTensor q;
  try {
    q = tandem::quantize_asymmetric(t);
  } catch (const tandem::ArgumentError&) {
    if (finite) tandem::fuzz::fail("quantize_asymmetric refused finite input");
    return;
  }
  if (!finite) tandem::fuzz::fail("quantize_asymmetric accepted NaN or Inf");
  if (q.zero_point < 0 || q.zero_point > 255) tandem::fuzz::fail("zero point outside uint8");
  const float lowest = static_cast<float>(0 - q.zero_point) * q.scale;
  const float highest = static_cast<float>(255 - q.zero_point) * q.scale;
  if (!std::isfinite(lowest) || !std::isfinite(highest)) {
    tandem::fuzz::fail("a uint8 code dequantizes past FLT_MAX");
  }
  const std::vector<float> back = tandem::dequantize(q).to_vector<float>();
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (x[i] == 0.0f && back[i] != 0.0f) tandem::fuzz::fail("0 is not exact in uint8");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::vector<std::string> impls = implementations("quantize");
  tandem::fuzz::Input in(data, size);
  const int bits = in.boolean() ? 16 : 8;
  const std::string& impl =
      impls[static_cast<std::size_t>(in.integer(0, static_cast<std::int64_t>(impls.size()) - 1))];
  const bool raw = in.boolean();  // raw bit patterns, or small integers and halves
  std::vector<float> x;
  while (in.remaining() >= 4 && x.size() < 4096) {
    x.push_back(raw ? in.any_float() : static_cast<float>(in.integer(-300, 300)) * 0.5f);
  }
  if (bits == 8) {
    check<std::int8_t>(x, bits, impl);
  } else {
    check<std::int16_t>(x, bits, impl);
  }
  check_asymmetric(x);
  return 0;
}
