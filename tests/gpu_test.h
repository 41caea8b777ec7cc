// GPU tests skip, visibly and with the reason, where there is no usable GPU.
#pragma once

#include <gtest/gtest.h>

#include <tandem/cuda/runtime.h>

#define TANDEM_REQUIRE_GPU()                                                   \
  do {                                                                         \
    if (::tandem::cuda::device_count() == 0) {                                 \
      GTEST_SKIP() << "no CUDA GPU: " << ::tandem::cuda::unavailable_reason(); \
    }                                                                          \
  } while (0)
