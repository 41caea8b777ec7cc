// The AMX tile configuration Tandem loads (ldtilecfg's 64-byte palette-1 layout): the
// eight tiles all 16 rows of 64 bytes, which is what both the int8 GEMM's microkernel
// (kernels/igemm.cpp) and the int8 peak loop (ceilings.cpp) use. A constant only, with
// internal linkage: kernel sources compiled with other flags include it too.
#pragma once

#include <stdint.h>

namespace tandem::cpu {
namespace {

struct alignas(64) AmxTileConfig {
  uint8_t palette = 1;
  uint8_t start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t bytes_per_row[16] = {};
  uint8_t rows[16] = {};
};

constexpr AmxTileConfig kAmxTiles16x64 = [] {
  AmxTileConfig config;
  for (int t = 0; t < 8; ++t) {
    config.bytes_per_row[t] = 64;
    config.rows[t] = 16;
  }
  return config;
}();

}  // namespace
}  // namespace tandem::cpu
