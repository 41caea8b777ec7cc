// What a GEMM's store does to each output before writing it, shared by every path
// (the reference, the CPU kernels, the CUDA kernels): add a bias per output column,
// then apply an activation. Applied once, to the finished sum, in the store that
// writes C: never as another pass over C.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace tandem {

// Room for more (gelu, sigmoid, ...): each is a row in activation_name and apply().
enum class Activation : std::uint8_t {
  none,
  relu,  // max(x, 0); NaN propagates and -0 becomes +0, as the relu op does
};

constexpr std::string_view activation_name(Activation a) {
  switch (a) {
    case Activation::none:
      return "none";
    case Activation::relu:
      return "relu";
  }
  return "?";
}

inline std::optional<Activation> parse_activation(std::string_view name) {
  for (const Activation a : {Activation::none, Activation::relu}) {
    if (activation_name(a) == name) return a;
  }
  return std::nullopt;
}

// y = act(sum + bias[j]) for output column j: bias is n floats on the kernel's device,
// or nullptr for none. The sum is rounded to float first, then the bias added (one
// more rounding), so every path gets the same value from the same float sum.
struct Epilogue {
  const float* bias = nullptr;
  Activation activation = Activation::none;

  bool is_identity() const { return bias == nullptr && activation == Activation::none; }
};

// The activation on one float, as every path applies it (host and device code).
#if defined(__CUDACC__)
__host__ __device__
#endif
    inline float
    activate(Activation a, float x) {
  if (a == Activation::relu) return x < 0.0f ? 0.0f : x + 0.0f;  // NaN: the comparison is false
  return x;
}

}  // namespace tandem
