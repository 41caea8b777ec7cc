// GEMM shapes, strides, transposes, alpha and beta from the fuzzer's bytes, through
// the public raw-pointer gemm on a forced CPU implementation, against the reference.
// Integer-valued operands and alpha/beta that are small dyadic numbers keep every
// product and sum exact, so any implementation must match the reference bit for bit.
// Invalid arguments must be refused with a tandem::Error before C is touched. The
// Options come from the bytes too: any thread count and blocking (negative, huge,
// INT64_MAX) and any implementation, "auto" included. A second mode makes tensors of
// extreme shapes, which must be made or refused, never wrapped into a small buffer.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <limits>
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

constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();

// A count from a menu of ordinary and extreme values.
std::int64_t extreme(tandem::fuzz::Input& in) {
  static constexpr std::int64_t kValues[] = {
      0,         1,         2,         3,
      7,         64,        -1,        -100000,
      1 << 20,   1LL << 31, 1LL << 32, (1LL << 40) + 3,
      1LL << 62, kMax - 15, kMax,      std::numeric_limits<std::int64_t>::min()};
  return kValues[in.integer(0, std::size(kValues) - 1)];
}

tandem::Options options_from(tandem::fuzz::Input& in) {
  tandem::Options o;
  o.threads = static_cast<int>(std::clamp<std::int64_t>(extreme(in), -200000, 200000));
  o.blocking.mc = extreme(in);
  o.blocking.kc = extreme(in);
  o.blocking.nc = extreme(in);
  return o;
}

bool options_valid(const tandem::Options& o) {
  return o.threads >= 0 && o.blocking.mc >= 0 && o.blocking.kc >= 0 && o.blocking.nc >= 0;
}

// Tensors of extreme shapes: made with the exact byte count, or refused.
int extreme_shapes(tandem::fuzz::Input& in) {
  std::vector<std::int64_t> dims(static_cast<std::size_t>(in.integer(1, 3)));
  for (auto& d : dims) d = extreme(in);
  static constexpr tandem::DType kTypes[] = {tandem::DType::f32, tandem::DType::i8,
                                             tandem::DType::i16, tandem::DType::i32,
                                             tandem::DType::u8};
  const tandem::DType dtype = kTypes[in.integer(0, 4)];
  try {
    const tandem::Tensor t = tandem::Tensor::empty(tandem::Shape(dims), dtype);
    if (t.nbytes() != static_cast<std::size_t>(t.numel()) * tandem::dtype_size(dtype)) {
      tandem::fuzz::fail("tensor byte count wrapped");
    }
    if (t.nbytes() > 0 && t.raw_data() == nullptr) tandem::fuzz::fail("tensor without storage");
  } catch (const tandem::ShapeError&) {
  } catch (const tandem::DeviceError&) {  // an allocation no machine can give
  }
  return 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  tandem::fuzz::Input in(data, size);
  if (in.integer(0, 7) == 0) return extreme_shapes(in);
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
  // An index one past the list is "auto" (the dispatcher chooses).
  const std::int64_t choice = in.integer(0, static_cast<std::int64_t>(implementations().size()));
  const std::string impl = choice < static_cast<std::int64_t>(implementations().size())
                               ? implementations()[static_cast<std::size_t>(choice)]
                               : std::string();
  tandem::Options options = options_from(in);
  options.implementation = impl;

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
                     ldc >= std::max<std::int64_t>(n, 1) && options_valid(options);
  try {
    tandem::gemm(ta, tb, m, n, k, alpha, a.data(), lda, b.data(), ldb, beta, c.data(), ldc,
                 options);
  } catch (const tandem::Error&) {
    if (valid) tandem::fuzz::fail("gemm refused valid arguments on " + impl);
    if (std::memcmp(c.data(), c_before.data(), c.size() * sizeof(float)) != 0) {
      tandem::fuzz::fail("gemm wrote C before refusing");
    }
    return 0;
  }
  if (!valid) tandem::fuzz::fail("gemm accepted a bad leading dimension or Options");
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
