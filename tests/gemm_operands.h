// The operands of GEMM test cases, shared by the CPU and CUDA GEMM tests.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include <tandem/cpu/random.h>
#include <tandem/transpose.h>

namespace tandem::testing {

struct GemmOperands {
  std::vector<float> a, b, c;
  std::int64_t lda, ldb, ldc;
};

// A (m x k, or k x m transposed), B and C (m x n) with `pad` extra elements per row.
// Integer-valued fills in [-4, 4] keep every product and partial sum exact in float, so
// any summation order must match the reference bit for bit; else normal values. C is
// NaN when beta is 0 (it must not be read), and its padding is NaN either way (no
// kernel may touch it).
inline GemmOperands make_gemm_operands(std::int64_t m, std::int64_t n, std::int64_t k, Transpose ta,
                                       Transpose tb, float beta, std::int64_t pad, bool integers,
                                       std::uint64_t seed) {
  GemmOperands o;
  const std::int64_t a_rows = ta == Transpose::yes ? k : m;
  const std::int64_t a_cols = ta == Transpose::yes ? m : k;
  const std::int64_t b_rows = tb == Transpose::yes ? n : k;
  const std::int64_t b_cols = tb == Transpose::yes ? k : n;
  o.lda = a_cols + pad;
  o.ldb = b_cols + pad;
  o.ldc = n + pad;
  o.a.resize(static_cast<std::size_t>(a_rows * o.lda));
  o.b.resize(static_cast<std::size_t>(b_rows * o.ldb));
  o.c.resize(static_cast<std::size_t>(m * o.ldc));
  const auto fill = [&](std::vector<float>& v, std::uint64_t s) {
    if (integers) {
      cpu::fill_uniform_int(v.data(), static_cast<std::int64_t>(v.size()), s, -4, 4);
    } else {
      cpu::fill_normal(v.data(), static_cast<std::int64_t>(v.size()), s);
    }
  };
  fill(o.a, seed);
  fill(o.b, seed + 1);
  constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
  if (beta == 0.0f) {
    std::fill(o.c.begin(), o.c.end(), kNaN);
  } else {
    fill(o.c, seed + 2);
  }
  for (std::int64_t i = 0; i < m; ++i) {
    std::fill(o.c.begin() + i * o.ldc + n, o.c.begin() + (i + 1) * o.ldc, kNaN);
  }
  return o;
}

// Integer GEMMs: what a kernel must leave alone (the padding of C), and how the
// operands are filled: random over the type's range, or its extremes (the overflow
// and wrap-around cases).
constexpr std::int32_t kIntSentinel = 0x5A5A5A5A;

enum class Fill { random, min, max, alternate };

template <typename T>
std::vector<T> make_ints(std::int64_t rows, std::int64_t ld, Fill fill, std::uint64_t seed) {
  constexpr int lo = std::numeric_limits<T>::min(), hi = std::numeric_limits<T>::max();
  std::vector<T> v(static_cast<std::size_t>(rows * ld));
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> dist(lo, hi);
  for (std::size_t i = 0; i < v.size(); ++i) {
    switch (fill) {
      case Fill::random:
        v[i] = static_cast<T>(dist(rng));
        break;
      case Fill::min:
        v[i] = static_cast<T>(lo);
        break;
      case Fill::max:
        v[i] = static_cast<T>(hi);
        break;
      case Fill::alternate:
        v[i] = static_cast<T>(i % 2 == 0 ? lo : hi);
        break;
    }
  }
  return v;
}

}  // namespace tandem::testing
