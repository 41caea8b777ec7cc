// Where a tensor lives and an operation runs: the CPU, or GPU number N.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tandem {

enum class DeviceKind : std::uint8_t { cpu, cuda };

struct Device {
  DeviceKind kind = DeviceKind::cpu;
  int index = 0;

  static constexpr Device cpu() { return {DeviceKind::cpu, 0}; }
  static constexpr Device cuda(int index = 0) { return {DeviceKind::cuda, index}; }

  bool is_cpu() const { return kind == DeviceKind::cpu; }
  bool is_cuda() const { return kind == DeviceKind::cuda; }

  // "cpu", "cuda:0".
  std::string str() const;
  // Accepts "cpu", "cuda" (device 0) and "cuda:N"; anything else is an ArgumentError.
  static Device parse(std::string_view text);

  friend bool operator==(const Device&, const Device&) = default;
};

}  // namespace tandem
