// Sizes computed with overflow checks: std::nullopt instead of a wrapped value. Every
// byte count that comes from a caller's dimensions goes through these (tensors,
// leading-dimension spans, packing buffers), so a huge shape is refused, never
// turned into a small allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>

namespace tandem {

// The most bytes one buffer may span: what a pointer difference can express.
inline constexpr std::int64_t kMaxBufferBytes = std::numeric_limits<std::ptrdiff_t>::max();

inline std::optional<std::int64_t> checked_mul(std::int64_t a, std::int64_t b) {
  std::int64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r)) return std::nullopt;
  return r;
}

inline std::optional<std::int64_t> checked_add(std::int64_t a, std::int64_t b) {
  std::int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) return std::nullopt;
  return r;
}

// count elements of `element_bytes` each, rounded up to `alignment`, if that stays
// within kMaxBufferBytes.
inline std::optional<std::int64_t> buffer_bytes(std::int64_t count, std::int64_t element_bytes,
                                                std::int64_t alignment = 1) {
  if (count < 0 || element_bytes <= 0 || alignment <= 0) return std::nullopt;
  const auto bytes = checked_mul(count, element_bytes);
  if (!bytes) return std::nullopt;
  const auto padded = checked_add(*bytes, alignment - 1);
  if (!padded) return std::nullopt;
  return *padded / alignment * alignment;
}

}  // namespace tandem
