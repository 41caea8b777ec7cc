// dot, sum of squared differences, and the three sums cosine similarity needs.
//
// Accuracy and speed: four independent vector accumulators per sum (so consecutive
// FMAs do not wait on each other's latency), accumulated in float over blocks of
// kBlock elements; at the end of each block every lane of every accumulator is added
// into a double total. A float accumulator therefore sums at most
// kBlock / (kUnroll * kLanes) + kUnroll terms (68 on avx512, 132 on avx2, 260 on the
// baseline), and its rounding error grows with that, not with n.
#include <stddef.h>
#include <stdint.h>

#include "simd.h"
#include "tables.h"

namespace TANDEM_ISA_NAMESPACE {
namespace {

using simd::F32;
using simd::kLanes;

constexpr int kUnroll = 4;
constexpr size_t kUnrollSize = kUnroll;  // as an array bound
constexpr int64_t kBlock = 4096;         // a multiple of kUnroll * kLanes on every path
static_assert(kBlock % (kUnroll * kLanes) == 0, "block must hold whole unrolled steps");

// Adds every lane of acc[0..kUnroll) into *total, in double, in a fixed order.
void flush(const F32* acc, double* total) {
  alignas(64) float lanes[kUnrollSize * kLanes];
  for (int k = 0; k < kUnroll; ++k) simd::store(lanes + k * kLanes, acc[k]);
  double sum = 0.0;
  for (int j = 0; j < kUnroll * kLanes; ++j) sum += static_cast<double>(lanes[j]);
  *total += sum;
}

// C sums at once; step(acc, x, y) updates acc[0..C) with one vector of x and y.
// Missing tail lanes load as zero, which every step here maps to a zero term.
template <size_t C, typename Step>
void accumulate(const float* x, const float* y, int64_t n, Step step, double* out) {
  double total[C];
  for (size_t c = 0; c < C; ++c) total[c] = 0.0;
  int64_t i = 0;
  while (i < n) {
    const int64_t end = n - i > kBlock ? i + kBlock : n;
    F32 acc[kUnrollSize][C];
    for (int k = 0; k < kUnroll; ++k) {
      for (size_t c = 0; c < C; ++c) acc[k][c] = simd::zero();
    }
    for (; i + kUnroll * kLanes <= end; i += kUnroll * kLanes) {
      for (int k = 0; k < kUnroll; ++k) {
        step(acc[k], simd::load(x + i + k * kLanes), simd::load(y + i + k * kLanes));
      }
    }
    // The last few vectors of the block, all into accumulator 0 (constant indices
    // keep the accumulators in registers).
    for (; i + kLanes <= end; i += kLanes) step(acc[0], simd::load(x + i), simd::load(y + i));
    if (i < end) {
      step(acc[0], simd::load_partial(x + i, end - i), simd::load_partial(y + i, end - i));
      i = end;
    }
    for (size_t c = 0; c < C; ++c) {
      F32 column[kUnrollSize];
      for (int k = 0; k < kUnroll; ++k) column[k] = acc[k][c];
      flush(column, &total[c]);
    }
  }
  for (size_t c = 0; c < C; ++c) out[c] = total[c];
}

double dot(const float* x, const float* y, int64_t n) {
  double out[1];
  accumulate<1>(
      x, y, n, [](F32(&a)[1], F32 u, F32 v) { a[0] = simd::fmadd(u, v, a[0]); }, out);
  return out[0];
}

double squared_distance(const float* x, const float* y, int64_t n) {
  double out[1];
  accumulate<1>(
      x, y, n,
      [](F32(&a)[1], F32 u, F32 v) {
        const F32 d = simd::sub(u, v);
        a[0] = simd::fmadd(d, d, a[0]);
      },
      out);
  return out[0];
}

void cosine_parts(const float* x, const float* y, int64_t n, double out[3]) {
  accumulate<3>(
      x, y, n,
      [](F32(&a)[3], F32 u, F32 v) {
        a[0] = simd::fmadd(u, v, a[0]);
        a[1] = simd::fmadd(u, u, a[1]);
        a[2] = simd::fmadd(v, v, a[2]);
      },
      out);
}

}  // namespace

const ReduceKernels reduce = {dot, squared_distance, cosine_parts};

}  // namespace TANDEM_ISA_NAMESPACE
