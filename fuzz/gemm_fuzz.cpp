// GEMM shapes, strides, transposes, alpha and beta from the fuzzer's bytes, through
// the public raw-pointer gemm on a forced CPU implementation, against the reference.
// Integer-valued operands and alpha/beta that are small dyadic numbers keep every
// product and sum exact, so any implementation must match the reference bit for bit.
// Invalid arguments must be refused with a tandem::Error before C is touched.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <tandem/cpu/reference.h>
#include <tandem/error.h>
#include <tandem/kernels.h>
#include <tandem/ops.h>

#include "fuzz_input.h"

namespace {

const std::vector<std::string>& implementations() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const tandem::KernelInfo& k : tandem::registered_kernels()) {
      if (k.op == "gemm" && k.device == tandem::DeviceKind::cpu && k.available) {
        out.push_back(k.implementation);
      }
    }
    return out;
  }();
  return names;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  tandem::fuzz::Input in(data, size);
  const std::int64_t m = in.integer(0, 40), n = in.integer(0, 40), k = in.integer(0, 40);
  const auto ta = in.boolean() ? tandem::Transpose::yes : tandem::Transpose::no;
  const auto tb = in.boolean() ? tandem::Transpose::yes : tandem::Transpose::no;
  const std::int64_t a_rows = ta == tandem::Transpose::yes ? k : m;
  const std::int64_t a_cols = ta == tandem::Transpose::yes ? m : k;
  const std::int64_t b_rows = tb == tandem::Transpose::yes ? n : k;
  const std::int64_t b_cols = tb == tandem::Transpose::yes ? k : n;
  // Leading dimensions: usually padded a little, sometimes too small (must be refused).
  const std::int64_t lda = a_cols + in.integer(-1, 5);
  const std::int64_t ldb = b_cols + in.integer(-1, 5);
  const std::int64_t ldc = n + in.integer(-1, 5);
  static constexpr float kScalars[] = {0.0f, 1.0f, -1.0f, 2.0f, 0.5f, -0.25f, 3.0f};
  const float alpha = kScalars[in.integer(0, 6)];
  const float beta = kScalars[in.integer(0, 6)];
  const std::string& impl = implementations()[static_cast<std::size_t>(
      in.integer(0, static_cast<std::int64_t>(implementations().size()) - 1))];

  const auto storage = [](std::int64_t rows, std::int64_t ld) {
    return static_cast<std::size_t>(
        std::max<std::int64_t>(rows * std::max<std::int64_t>(ld, 1), 1));
  };
  std::vector<float> a(storage(a_rows, lda)), b(storage(b_rows, ldb)), c(storage(m, ldc));
  for (float& v : a) v = static_cast<float>(in.integer(-4, 4));
  for (float& v : b) v = static_cast<float>(in.integer(-4, 4));
  // beta == 0 must not read C: NaN there would show.
  for (float& v : c) v = beta == 0.0f ? std::nanf("") : static_cast<float>(in.integer(-4, 4));
  const std::vector<float> c_before = c;

  const bool valid = lda >= std::max<std::int64_t>(a_cols, 1) &&
                     ldb >= std::max<std::int64_t>(b_cols, 1) &&
                     ldc >= std::max<std::int64_t>(n, 1);
  try {
    tandem::gemm(ta, tb, m, n, k, alpha, a.data(), lda, b.data(), ldb, beta, c.data(), ldc,
                 tandem::Options::using_implementation(impl));
  } catch (const tandem::Error&) {
    if (valid) tandem::fuzz::fail("gemm refused valid arguments on " + impl);
    if (std::memcmp(c.data(), c_before.data(), c.size() * sizeof(float)) != 0) {
      tandem::fuzz::fail("gemm wrote C before refusing");
    }
    return 0;
  }
  if (!valid) tandem::fuzz::fail("gemm accepted a leading dimension that is too small");
  std::vector<float> expected = c_before;
  tandem::cpu::reference::gemm(ta, tb, m, n, k, alpha, a.data(), lda, b.data(), ldb, beta,
                               expected.data(), ldc);
  for (std::int64_t i = 0; i < m; ++i) {
    for (std::int64_t j = 0; j < n; ++j) {
      const float got = c[static_cast<std::size_t>(i * ldc + j)];
      const float want = expected[static_cast<std::size_t>(i * ldc + j)];
      if (std::memcmp(&got, &want, sizeof got) != 0 && !(got == want)) {
        tandem::fuzz::fail(impl + " differs from the reference at (" + std::to_string(i) + ", " +
                           std::to_string(j) + ")");
      }
    }
  }
  return 0;
}
