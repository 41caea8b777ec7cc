// The error bound of an FP32 GEMM, shared by the GPU tests that apply it and the host
// test that proves it catches TF32. Each element of C = A B, summed in any order with
// or without FMA, passes through at most K roundings of unit u = 2^-24, so
//   |C_ij - (AB)_ij| <= gamma_K (|A| |B|)_ij,  gamma_K = K u / (1 - K u)  (~ K u).
// TF32 rounds every operand to 10 mantissa bits first (relative error up to 2^-11),
// which on normal data and small K lands far outside that bound.
#pragma once

#include <cmath>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include <tandem/cpu/random.h>

namespace tandem::testing {

inline double fp32_gamma(std::int64_t k) {
  const double ku = static_cast<double>(k) * 0x1p-24;
  return ku / (1.0 - ku);
}

// A B and |A| |B| in double, for contiguous row-major A (m x k) and B (k x n): float
// products are exact in double, and K <= 2^20 terms sum within 2^-33 relative, far
// below the FP32 bound.
struct ExactProduct {
  std::vector<double> c, magnitude;
};

inline ExactProduct exact_product(const std::vector<float>& a, const std::vector<float>& b,
                                  std::int64_t m, std::int64_t n, std::int64_t k) {
  const auto size = static_cast<std::size_t>(m * n);
  ExactProduct out{std::vector<double>(size, 0.0), std::vector<double>(size, 0.0)};
  for (std::int64_t i = 0; i < m; ++i) {
    for (std::int64_t q = 0; q < k; ++q) {
      const double x = a[static_cast<std::size_t>(i * k + q)];
      for (std::int64_t j = 0; j < n; ++j) {
        const double xy = x * double{b[static_cast<std::size_t>(q * n + j)]};
        out.c[static_cast<std::size_t>(i * n + j)] += xy;
        out.magnitude[static_cast<std::size_t>(i * n + j)] += std::fabs(xy);
      }
    }
  }
  return out;
}

// The elements outside |got_i - want_i| <= factor * magnitude_i (NaN is outside), and
// the first few of them described.
struct BoundViolations {
  std::int64_t count = 0;
  std::string first;
};

template <typename Got, typename Want, typename Magnitude>
BoundViolations outside_bound(const std::vector<Got>& got, const std::vector<Want>& want,
                              const std::vector<Magnitude>& magnitude, double factor,
                              std::int64_t row_length) {
  BoundViolations v;
  std::ostringstream first;
  first.precision(9);
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double error = std::fabs(static_cast<double>(got[i]) - static_cast<double>(want[i]));
    const double bound = factor * static_cast<double>(magnitude[i]);
    if (error <= bound) continue;
    if (v.count++ < 3) {
      const auto at = static_cast<std::int64_t>(i);
      first << " C[" << at / row_length << "][" << at % row_length << "] = " << got[i] << " vs "
            << want[i] << ": error " << error << " > bound " << bound << ";";
    }
  }
  v.first = first.str();
  return v;
}

// The probe for TF32: normal A (m x k) and B (k x n), small K (few roundings, so a
// tight bound), the same on the host and the GPU.
struct Tf32Probe {
  std::int64_t m = 128, n = 128, k = 0;
  std::vector<float> a, b;
};

inline Tf32Probe make_tf32_probe(std::int64_t k) {
  Tf32Probe probe;
  probe.k = k;
  probe.a.resize(static_cast<std::size_t>(probe.m * k));
  probe.b.resize(static_cast<std::size_t>(k * probe.n));
  cpu::fill_normal(probe.a.data(), probe.m * k, 31);
  cpu::fill_normal(probe.b.data(), k * probe.n, 32);
  return probe;
}

// The probes' K: gamma_K is ~2^-20 and ~2^-18 there, against TF32's 2^-11 per operand.
inline constexpr std::int64_t kTf32ProbeKs[] = {16, 64};

}  // namespace tandem::testing
