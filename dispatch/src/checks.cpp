#include <string>

#include <tandem/cpu/isa.h>
#include <tandem/error.h>
#include <tandem/quantization_rules.h>

#include "checks.h"

namespace tandem::detail {

std::string describe(const Tensor& t) {
  return t.shape().str() + " " + std::string(dtype_name(t.dtype())) + " on " + t.device().str();
}

void require_defined(const char* op, const Tensor& t) {
  if (!t.defined()) throw ArgumentError(std::string(op) + ": undefined tensor");
}

void require_dtype(const char* op, const Tensor& t, DType dtype) {
  if (t.dtype() != dtype) {
    throw DTypeError(std::string(op) + ": expected " + std::string(dtype_name(dtype)) + ", got " +
                     describe(t));
  }
}

void require_rank(const char* op, const Tensor& t, std::int64_t rank) {
  if (t.rank() != rank) {
    throw ShapeError(std::string(op) + ": expected rank " + std::to_string(rank) + ", got " +
                     t.shape().str());
  }
}

void require_same_shape(const char* op, const Tensor& a, const Tensor& b) {
  if (!(a.shape() == b.shape())) {
    throw ShapeError(std::string(op) + ": shapes differ: " + a.shape().str() + " vs " +
                     b.shape().str());
  }
}

void require_same_device(const char* op, const Tensor& a, const Tensor& b) {
  if (a.device() != b.device()) {
    throw DeviceError(std::string(op) + ": tensors on different devices: " + describe(a) + " and " +
                      describe(b));
  }
}

void require_f32_input(const char* op, const Tensor& t) {
  require_defined(op, t);
  require_dtype(op, t, DType::f32);
}

void require_host(const char* op, const Tensor& t) {
  if (!t.device().is_cpu()) {
    throw DeviceError(std::string(op) + ": " + describe(t) +
                      ": uint8 quantized data is handled on the host so far (move it with "
                      "to(Device::cpu()))");
  }
}

void require_quantized(const char* op, const QuantizedTensor& q) {
  require_defined(op, q.values);
  const DType t = q.values.dtype();
  if (t != DType::i8 && t != DType::i16 && t != DType::u8) {
    throw DTypeError(std::string(op) + ": expected i8, i16 or u8 values, got " +
                     describe(q.values));
  }
  if (t == DType::u8) {
    quant::require_zero_point(op, "the", q.zero_point);
  } else if (q.zero_point != 0) {
    throw ArgumentError(std::string(op) + ": " + describe(q.values) +
                        " values are symmetric: their zero point must be 0, got " +
                        std::to_string(q.zero_point));
  }
}

void require_f32_pair(const char* op, const Tensor& a, const Tensor& b) {
  require_defined(op, a);
  require_defined(op, b);
  require_same_device(op, a, b);
  require_f32_input(op, a);
  require_f32_input(op, b);
  require_same_shape(op, a, b);
}

void require_valid_options(const char* op, const Options& options) {
  const auto require_not_negative = [op](const char* name, std::int64_t value) {
    if (value < 0) {
      throw ArgumentError(std::string(op) + ": Options::" + name + " = " + std::to_string(value) +
                          " is negative (0 chooses it)");
    }
  };
  require_not_negative("threads", options.threads);
  require_not_negative("blocking.mc", options.blocking.mc);
  require_not_negative("blocking.kc", options.blocking.kc);
  require_not_negative("blocking.nc", options.blocking.nc);
  try {
    (void)cpu::best_isa();
  } catch (const ArgumentError& e) {
    throw ArgumentError(std::string(op) + ": " + e.what());
  }
}

}  // namespace tandem::detail
