// relu, add, multiply, squared_difference: one pass, full vectors then a masked tail.
#include "simd.h"
#include "tables.h"

namespace TANDEM_ISA_NAMESPACE {
namespace {

using simd::F32;
using simd::kLanes;

template <typename Op>
void unary(const float* x, float* y, int64_t n, Op op) {
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) simd::store(y + i, op(simd::load(x + i)));
  if (i < n) simd::store_partial(y + i, op(simd::load_partial(x + i, n - i)), n - i);
}

template <typename Op>
void binary(const float* x, const float* y, float* out, int64_t n, Op op) {
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    simd::store(out + i, op(simd::load(x + i), simd::load(y + i)));
  }
  if (i < n) {
    const int64_t rest = n - i;
    simd::store_partial(out + i,
                        op(simd::load_partial(x + i, rest), simd::load_partial(y + i, rest)), rest);
  }
}

// max(0, x) returns x when x is NaN (the hardware returns the second operand), so NaN
// propagates; adding +0 turns -0 into +0, as the reference does.
void relu(const float* x, float* y, int64_t n) {
  unary(x, y, n, [](F32 v) { return simd::add(simd::max(simd::zero(), v), simd::zero()); });
}

void add(const float* x, const float* y, float* out, int64_t n) { binary(x, y, out, n, simd::add); }

void multiply(const float* x, const float* y, float* out, int64_t n) {
  binary(x, y, out, n, simd::mul);
}

void squared_difference(const float* x, const float* y, float* out, int64_t n) {
  binary(x, y, out, n, [](F32 a, F32 b) {
    const F32 d = simd::sub(a, b);
    return simd::mul(d, d);
  });
}

}  // namespace

const ElementwiseKernels elementwise = {relu, add, multiply, squared_difference};

}  // namespace TANDEM_ISA_NAMESPACE
