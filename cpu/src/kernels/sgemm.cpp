// The SGEMM microkernel: an MR x NR block of C held in MR * NV vector registers
// (NR = NV * lanes), updated once per k by one broadcast of A per row and NV loads
// of B. Written once over simd::F32; the tile per path is data below.
#include "simd.h"
#include "tables.h"

namespace TANDEM_ISA_NAMESPACE {
namespace {

using simd::F32;
using simd::kLanes;

// The tile per path, as data: MR rows by NV vectors of B (NR = NV x lanes). MR * NV
// accumulators + NV for B + 1 for the broadcast of A must fit in the register file
// (16 vector registers before AVX-512, 32 with it): avx512 12 x 32 (24 accumulators),
// avx2 6 x 16 and baseline 6 x 8 (12).
namespace tiles {
[[maybe_unused]] constexpr MicroTile avx512{12, 2}, avx2{6, 2}, baseline{6, 2};
}  // namespace tiles
constexpr int kMR = tiles::TANDEM_CPU_ISA.mr;
constexpr int kNV = tiles::TANDEM_CPU_ISA.nv;
constexpr int kNR = kNV * kLanes;

void microkernel(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, float alpha,
                 float beta, int64_t mr, int64_t nr) {
  // C is touched only after the k loop: start its lines on their way now, so the
  // microkernel does not stall on them at the end (C is usually far out of cache).
  for (int64_t i = 0; i < mr; ++i) {
    __builtin_prefetch(c + i * ldc, 1, 3);
    __builtin_prefetch(c + i * ldc + nr - 1, 1, 3);
  }
  F32 acc[kMR][kNV];
  for (int i = 0; i < kMR; ++i) {
    for (int v = 0; v < kNV; ++v) acc[i][v] = simd::zero();
  }
  for (int64_t p = 0; p < kc; ++p) {
    F32 bv[kNV];
    for (int v = 0; v < kNV; ++v) bv[v] = simd::load(b + p * kNR + v * kLanes);
    for (int i = 0; i < kMR; ++i) {
      const F32 av = simd::set1(a[p * kMR + i]);
      for (int v = 0; v < kNV; ++v) acc[i][v] = simd::fmadd(av, bv[v], acc[i][v]);
    }
  }

  const F32 alpha_v = simd::set1(alpha);
  const F32 beta_v = simd::set1(beta);
  for (int i = 0; i < mr; ++i) {
    float* row = c + i * ldc;
    for (int v = 0; v < kNV; ++v) {
      const int64_t col = v * kLanes;
      if (col >= nr) break;
      const int64_t width = nr - col < kLanes ? nr - col : kLanes;
      F32 result = simd::mul(alpha_v, acc[i][v]);
      if (width == kLanes) {
        if (beta != 0.0f) result = simd::fmadd(beta_v, simd::load(row + col), result);
        simd::store(row + col, result);
      } else {
        if (beta != 0.0f)
          result = simd::fmadd(beta_v, simd::load_partial(row + col, width), result);
        simd::store_partial(row + col, result, width);
      }
    }
  }
}

}  // namespace

const SgemmKernels sgemm = {kMR, kNR, microkernel};

}  // namespace TANDEM_ISA_NAMESPACE
