// GPU/CPU parity tests: moving test data to and from device 0.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include <tandem/cuda/memory.h>
#include <tandem/cuda/runtime.h>

#include "gpu_test.h"

namespace tandem::testing {

template <typename T>
cuda::DeviceBuffer upload(const std::vector<T>& host, int device = 0) {
  cuda::DeviceBuffer buffer(device, host.size() * sizeof(T));
  cuda::copy_host_to_device(device, buffer.get(), host.data(), host.size() * sizeof(T));
  return buffer;
}

template <typename T>
std::vector<T> download(const cuda::DeviceBuffer& buffer, std::size_t count) {
  std::vector<T> host(count);
  cuda::copy_device_to_host(buffer.device(), host.data(), buffer.get(), count * sizeof(T));
  return host;
}

// A device buffer with (at least) kGuardBytes of a canary pattern before and after its
// payload: a kernel that writes past either end of its output changes a guard, which
// guards_intact() sees. (Stray reads change nothing here; compute-sanitizer memcheck,
// which the GPU script runs, finds those.)
class GuardedBuffer {
 public:
  static constexpr std::size_t kGuardBytes = 4096;  // the payload keeps cudaMalloc's alignment
  static constexpr unsigned char kCanary = 0xA5;    // as a float: negative, not NaN

  // payload_bytes of payload (canary too until written), starting `misalign` bytes past
  // an aligned address: the front guard grows by that much, up to the payload.
  explicit GuardedBuffer(std::size_t payload_bytes, std::size_t misalign = 0, int device = 0)
      : buffer_(device, payload_bytes + misalign + 2 * kGuardBytes),
        front_bytes_(kGuardBytes + misalign),
        payload_bytes_(payload_bytes) {
    const std::vector<unsigned char> canary(buffer_.bytes(), kCanary);
    cuda::copy_host_to_device(device, buffer_.get(), canary.data(), canary.size());
  }

  // A payload holding `host`, `misalign_elements` elements past an aligned address.
  template <typename T>
  static GuardedBuffer holding(const std::vector<T>& host, std::size_t misalign_elements = 0,
                               int device = 0) {
    GuardedBuffer buffer(host.size() * sizeof(T), misalign_elements * sizeof(T), device);
    if (!host.empty()) {
      cuda::copy_host_to_device(device, buffer.payload<T>(), host.data(), host.size() * sizeof(T));
    }
    return buffer;
  }

  template <typename T>
  T* payload() const {
    return static_cast<T*>(static_cast<void*>(bytes() + front_bytes_));
  }

  // The whole payload.
  template <typename T>
  std::vector<T> download() const {
    std::vector<T> host(payload_bytes_ / sizeof(T));
    if (!host.empty()) {
      cuda::copy_device_to_host(buffer_.device(), host.data(), payload<T>(),
                                host.size() * sizeof(T));
    }
    return host;
  }

  // Both guards still hold the canary; else the first changed byte, at its offset from
  // the payload's start (negative: before it).
  ::testing::AssertionResult guards_intact() const {
    const std::size_t back_bytes = buffer_.bytes() - front_bytes_ - payload_bytes_;
    for (const bool back : {false, true}) {
      std::vector<unsigned char> guard(back ? back_bytes : front_bytes_);
      const unsigned char* start = back ? bytes() + front_bytes_ + payload_bytes_ : bytes();
      cuda::copy_device_to_host(buffer_.device(), guard.data(), start, guard.size());
      for (std::size_t i = 0; i < guard.size(); ++i) {
        if (guard[i] == kCanary) continue;
        const auto at = back ? static_cast<std::int64_t>(payload_bytes_ + i)
                             : -static_cast<std::int64_t>(front_bytes_ - i);
        return ::testing::AssertionFailure()
               << "guard byte at payload offset " << at << " written (0x" << std::hex
               << static_cast<int>(guard[i]) << std::dec << "), payload of " << payload_bytes_
               << " bytes";
      }
    }
    return ::testing::AssertionSuccess();
  }

 private:
  unsigned char* bytes() const { return buffer_.as<unsigned char>(); }

  cuda::DeviceBuffer buffer_;
  std::size_t front_bytes_;
  std::size_t payload_bytes_;
};

}  // namespace tandem::testing
