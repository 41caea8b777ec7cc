// The fuzz harnesses' view of the input bytes: small integers and booleans taken from
// the front, raw floats from what is left; reading past the end gives zeros. And
// fail(), which reports and aborts, the one way a harness says "bug".
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace tandem::fuzz {

class Input {
 public:
  Input(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}

  // An integer in [lo, hi] (hi >= lo).
  std::int64_t integer(std::int64_t lo, std::int64_t hi) {
    const auto span = static_cast<std::uint64_t>(hi - lo) + 1;
    std::uint32_t raw = 0;
    for (int i = 0; i < 4; ++i) raw = raw << 8 | byte();
    return lo + static_cast<std::int64_t>(raw % span);
  }
  bool boolean() { return (byte() & 1) != 0; }
  // Any 32-bit pattern: NaNs, infinities and denormals included.
  float any_float() {
    std::uint32_t bits = 0;
    for (int i = 0; i < 4; ++i) bits = bits << 8 | byte();
    float f = 0.0f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
  }
  std::size_t remaining() const { return size_ - pos_; }

 private:
  std::uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

[[noreturn]] inline void fail(const std::string& what) {
  std::fprintf(stderr, "fuzz: %s\n", what.c_str());
  std::abort();
}

}  // namespace tandem::fuzz
