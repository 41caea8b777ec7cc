// relu, add, multiply, squared_difference: one pass, full vectors then a masked tail.
// The *_stream variants do the same arithmetic with non-temporal stores (for outputs
// far larger than the last-level cache): the head is peeled with ordinary stores up
// to the vector alignment, the body streamed, the tail stored normally, then sfence.
#include <stdint.h>

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

template <typename Op>
void unary_stream(const float* x, float* y, int64_t n, Op op) {
  const int64_t head = simd::elements_to_alignment(y, n);
  if (head < 0) {
    unary(x, y, n, op);
    return;
  }
  unary(x, y, head, op);
  int64_t i = head;
  for (; i + 2 * kLanes <= n; i += 2 * kLanes) {
    const F32 a = op(simd::load(x + i));
    const F32 b = op(simd::load(x + i + kLanes));
    simd::stream(y + i, a);
    simd::stream(y + i + kLanes, b);
  }
  for (; i + kLanes <= n; i += kLanes) simd::stream(y + i, op(simd::load(x + i)));
  unary(x + i, y + i, n - i, op);
  _mm_sfence();  // order the non-temporal stores before anything that follows
}

template <typename Op>
void binary_stream(const float* x, const float* y, float* out, int64_t n, Op op) {
  const int64_t head = simd::elements_to_alignment(out, n);
  if (head < 0) {
    binary(x, y, out, n, op);
    return;
  }
  binary(x, y, out, head, op);
  int64_t i = head;
  for (; i + 2 * kLanes <= n; i += 2 * kLanes) {
    const F32 a = op(simd::load(x + i), simd::load(y + i));
    const F32 b = op(simd::load(x + i + kLanes), simd::load(y + i + kLanes));
    simd::stream(out + i, a);
    simd::stream(out + i + kLanes, b);
  }
  for (; i + kLanes <= n; i += kLanes)
    simd::stream(out + i, op(simd::load(x + i), simd::load(y + i)));
  binary(x + i, y + i, out + i, n - i, op);
  _mm_sfence();
}

// (Lambdas rather than functions, so that every call is inlined.)
constexpr auto relu_op = [](F32 v) { return simd::relu(v); };
constexpr auto add_op = [](F32 a, F32 b) { return simd::add(a, b); };
constexpr auto mul_op = [](F32 a, F32 b) { return simd::mul(a, b); };
constexpr auto squared_difference_op = [](F32 a, F32 b) {
  const F32 d = simd::sub(a, b);
  return simd::mul(d, d);
};

void relu(const float* x, float* y, int64_t n) { unary(x, y, n, relu_op); }
void add(const float* x, const float* y, float* out, int64_t n) { binary(x, y, out, n, add_op); }
void multiply(const float* x, const float* y, float* out, int64_t n) {
  binary(x, y, out, n, mul_op);
}
void squared_difference(const float* x, const float* y, float* out, int64_t n) {
  binary(x, y, out, n, squared_difference_op);
}

void relu_stream(const float* x, float* y, int64_t n) { unary_stream(x, y, n, relu_op); }
void add_stream(const float* x, const float* y, float* out, int64_t n) {
  binary_stream(x, y, out, n, add_op);
}
void multiply_stream(const float* x, const float* y, float* out, int64_t n) {
  binary_stream(x, y, out, n, mul_op);
}
void squared_difference_stream(const float* x, const float* y, float* out, int64_t n) {
  binary_stream(x, y, out, n, squared_difference_op);
}

}  // namespace

const ElementwiseKernels elementwise = {
    relu,        add,        multiply,        squared_difference,
    relu_stream, add_stream, multiply_stream, squared_difference_stream,
};

}  // namespace TANDEM_ISA_NAMESPACE
