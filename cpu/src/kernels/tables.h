// The kernel tables: each kernel family, compiled once per path, fills one table per
// path with pointers to that path's functions. The public entry points
// (cpu/src/*_api.cpp) pick a table with `table_for(isa)`.
//
// Adding a family: a struct here, `extern const` declarations of its table in the
// three path namespaces below, a source in cpu/src/kernels/ that defines
// `const <Struct> <name> = {...};` inside TANDEM_ISA_NAMESPACE, and a
// tandem_cpu_kernel_family() line in cpu/CMakeLists.txt.
#pragma once

#include <stdint.h>

namespace tandem::cpu {

// Single-threaded loops over n contiguous elements; the caller splits work across
// threads. out may alias an input.
struct ElementwiseKernels {
  void (*relu)(const float* x, float* y, int64_t n);
  void (*add)(const float* x, const float* y, float* out, int64_t n);
  void (*multiply)(const float* x, const float* y, float* out, int64_t n);
  void (*squared_difference)(const float* x, const float* y, float* out, int64_t n);
};

// The SGEMM microkernel of one path (BLIS's contract, row-major):
//   C[0:mr, 0:nr] = alpha * A * B + beta * C, for packed panels
//   A: kc x MR, stored a[p * MR + i];  B: kc x NR, stored b[p * NR + j]
// with mr <= MR, nr <= NR (the panels are zero-padded to full size). beta == 0 never
// reads C.
struct SgemmKernels {
  int mr;  // MR: rows of C per microkernel call
  int nr;  // NR: columns of C per call, a multiple of the vector width
  void (*microkernel)(int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                      float alpha, float beta, int64_t mr, int64_t nr);
};

namespace avx512 {
extern const ElementwiseKernels elementwise;
extern const SgemmKernels sgemm;
}  // namespace avx512
namespace avx2 {
extern const ElementwiseKernels elementwise;
extern const SgemmKernels sgemm;
}  // namespace avx2
namespace baseline {
extern const ElementwiseKernels elementwise;
extern const SgemmKernels sgemm;
}  // namespace baseline

}  // namespace tandem::cpu
