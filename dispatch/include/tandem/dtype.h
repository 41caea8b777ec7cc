// Element types.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

namespace tandem {

enum class DType : std::uint8_t { f32, i8, i16, i32, u8 };

std::string_view dtype_name(DType dtype);  // "f32", "i8", "i16", "i32", "u8"
std::size_t dtype_size(DType dtype);       // bytes per element

// The C++ types a Tensor can hold, and the DType of each.
template <typename T>
concept Element =
    std::is_same_v<T, float> || std::is_same_v<T, std::int8_t> || std::is_same_v<T, std::int16_t> ||
    std::is_same_v<T, std::int32_t> || std::is_same_v<T, std::uint8_t>;

template <Element T>
constexpr DType dtype_of() {
  if constexpr (std::is_same_v<T, float>) return DType::f32;
  if constexpr (std::is_same_v<T, std::int8_t>) return DType::i8;
  if constexpr (std::is_same_v<T, std::int16_t>) return DType::i16;
  if constexpr (std::is_same_v<T, std::int32_t>) return DType::i32;
  if constexpr (std::is_same_v<T, std::uint8_t>) return DType::u8;
}

}  // namespace tandem
