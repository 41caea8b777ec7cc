// GPU tests skip, visibly and with the reason, where there is no usable GPU; with
// TANDEM_REQUIRE_GPU=1 in the environment (the GPU machine's check sets it) they fail
// instead, so that a run meant to test the GPU cannot pass by skipping every test
// (a driver too old for the CUDA runtime reports "no GPU" just as a GPU-less machine does).
#pragma once

#include <cstdlib>
#include <string_view>

#include <gtest/gtest.h>

#include <tandem/cuda/runtime.h>

namespace tandem::testing {
inline bool gpu_required() {
  const char* value = std::getenv("TANDEM_REQUIRE_GPU");
  return value != nullptr && std::string_view(value) == "1";
}
}  // namespace tandem::testing

#define TANDEM_REQUIRE_GPU()                                                   \
  do {                                                                         \
    if (::tandem::cuda::device_count() == 0) {                                 \
      if (::tandem::testing::gpu_required()) {                                 \
        FAIL() << "TANDEM_REQUIRE_GPU=1, but no CUDA GPU: "                    \
               << ::tandem::cuda::unavailable_reason();                        \
      }                                                                        \
      GTEST_SKIP() << "no CUDA GPU: " << ::tandem::cuda::unavailable_reason(); \
    }                                                                          \
  } while (0)
