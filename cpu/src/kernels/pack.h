// Packing's transpose, shared by the f32 and integer GEMMs of one path: 32-bit lanes
// (floats, or pairs of int16 k values) of `rows` source rows become the rows of a panel.
#pragma once

#include <stdint.h>

#include "simd.h"

namespace TANDEM_ISA_NAMESPACE {

// dst[p * width + i] = x[i * row_stride + p] for i < rows and p < kc, 0 for rows <= i <
// width; a kLanes x kLanes tile at a time, transposed in registers (simd::transpose),
// so the source's rows are read and the panel's rows written in whole vectors. Bits
// are moved, never converted.
inline void transpose_pack(const float* x, int64_t row_stride, int64_t rows, int64_t kc,
                           int64_t width, float* dst) {
  using simd::F32;
  using simd::kLanes;
  for (int64_t i0 = 0; i0 < width; i0 += kLanes) {
    const int64_t tile_rows = rows - i0 < kLanes ? (rows > i0 ? rows - i0 : 0) : kLanes;
    const int64_t tile_width = width - i0 < kLanes ? width - i0 : kLanes;
    for (int64_t p0 = 0; p0 < kc; p0 += kLanes) {
      const int64_t ks = kc - p0 < kLanes ? kc - p0 : kLanes;
      F32 tile[kLanes];
      for (int64_t i = 0; i < kLanes; ++i) {
        const float* src = x + (i0 + i) * row_stride + p0;
        tile[i] = i >= tile_rows ? simd::zero()
                  : ks == kLanes ? simd::load(src)
                                 : simd::load_partial(src, ks);
      }
      simd::transpose(tile);
      for (int64_t q = 0; q < ks; ++q) {
        float* out = dst + (p0 + q) * width + i0;
        if (tile_width == kLanes) {
          simd::store(out, tile[q]);
        } else {
          simd::store_partial(out, tile[q], tile_width);
        }
      }
    }
  }
}

}  // namespace TANDEM_ISA_NAMESPACE
