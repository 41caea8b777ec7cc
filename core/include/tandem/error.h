// Tandem's exception hierarchy. Every message starts with the operation that
// refused its input and names the offending shapes or values, for example
//   matmul: inner dimensions differ: [128, 64] x [32, 48]
// An operation that throws has written nothing to its outputs.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <stdexcept>
#include <string>

namespace tandem {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Shapes that do not fit the operation: ranks, mismatched or negative dimensions,
// sizes whose product overflows.
class ShapeError : public Error {
 public:
  using Error::Error;
};

// An element type the operation does not accept.
class DTypeError : public Error {
 public:
  using Error::Error;
};

// A device that does not exist or cannot be used (no GPU, CUDA failures, tensors on
// different devices).
class DeviceError : public Error {
 public:
  using Error::Error;
};

// A value the operation cannot accept: NaN/Inf where a scale is derived, a bit
// width it does not support, K large enough to overflow int32 accumulation.
class ArgumentError : public Error {
 public:
  using Error::Error;
};

// "[128, 64]"; "[]" for a scalar.
std::string shape_string(std::span<const std::int64_t> dims);
inline std::string shape_string(std::initializer_list<std::int64_t> dims) {
  return shape_string(std::span<const std::int64_t>(dims.begin(), dims.size()));
}

}  // namespace tandem
