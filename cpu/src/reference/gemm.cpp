#include <tandem/cpu/reference.h>

namespace tandem::cpu::reference {
namespace {

// Element (row, col) of op(X) for X stored row-major with leading dimension ld.
template <typename T>
T at(const T* x, std::int64_t ld, Transpose trans, std::int64_t row, std::int64_t col) {
  return trans == Transpose::yes ? x[col * ld + row] : x[row * ld + col];
}

// Exact integer sum, then two's-complement wrap to int32 (well defined in C++20).
template <typename T>
void gemm_int(std::int64_t m, std::int64_t n, std::int64_t k, const T* a, std::int64_t lda,
              const T* b, std::int64_t ldb, std::int32_t* c, std::int64_t ldc) {
  for (std::int64_t i = 0; i < m; ++i) {
    for (std::int64_t j = 0; j < n; ++j) {
      std::int64_t acc = 0;
      for (std::int64_t p = 0; p < k; ++p) {
        acc += std::int64_t{a[i * lda + p]} * std::int64_t{b[p * ldb + j]};
      }
      c[i * ldc + j] = static_cast<std::int32_t>(acc);
    }
  }
}

}  // namespace

void gemm(Transpose trans_a, Transpose trans_b, std::int64_t m, std::int64_t n, std::int64_t k,
          float alpha, const float* a, std::int64_t lda, const float* b, std::int64_t ldb,
          float beta, float* c, std::int64_t ldc, const Epilogue& epilogue) {
  // BLAS: with alpha = 0, A and B are not read (NaN in them does not reach C).
  const std::int64_t terms = alpha == 0.0f ? 0 : k;
  for (std::int64_t i = 0; i < m; ++i) {
    for (std::int64_t j = 0; j < n; ++j) {
      double acc = 0.0;
      for (std::int64_t p = 0; p < terms; ++p) {
        acc += double{at(a, lda, trans_a, i, p)} * double{at(b, ldb, trans_b, p, j)};
      }
      double result = double{alpha} * acc;
      if (beta != 0.0f) result += double{beta} * double{c[i * ldc + j]};
      float out = static_cast<float>(result);
      if (epilogue.bias != nullptr) out += epilogue.bias[j];
      c[i * ldc + j] = activate(epilogue.activation, out);
    }
  }
}

void matmul(const float* a, const float* b, float* c, std::int64_t m, std::int64_t n,
            std::int64_t k) {
  gemm(Transpose::no, Transpose::no, m, n, k, 1.0f, a, k, b, n, 0.0f, c, n);
}

void gemm_s8s8s32(std::int64_t m, std::int64_t n, std::int64_t k, const std::int8_t* a,
                  std::int64_t lda, const std::int8_t* b, std::int64_t ldb, std::int32_t* c,
                  std::int64_t ldc) {
  gemm_int(m, n, k, a, lda, b, ldb, c, ldc);
}

void gemm_s16s16s32(std::int64_t m, std::int64_t n, std::int64_t k, const std::int16_t* a,
                    std::int64_t lda, const std::int16_t* b, std::int64_t ldb, std::int32_t* c,
                    std::int64_t ldc) {
  gemm_int(m, n, k, a, lda, b, ldb, c, ldc);
}

}  // namespace tandem::cpu::reference
