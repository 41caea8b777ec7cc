// The kernel tables: each kernel family, compiled once per path, fills one table per
// path with pointers to that path's functions. The public entry points
// (cpu/src/*_api.cpp) pick a path's table with `detail::select(op, isa, k<Family>ByPath)`
// (run.h). The paths are TANDEM_CPU_ISA_LIST's (tandem/cpu/isa_list.h).
//
// Adding a family: a struct here, its line in TANDEM_DECLARE_PATH_TABLES and its
// k<Family>ByPath array below, a source in cpu/src/kernels/ that defines
// `const <Struct> <name> = {...};` inside TANDEM_ISA_NAMESPACE, and a
// tandem_cpu_kernel_family() line in cpu/CMakeLists.txt.
#pragma once

#include <stdint.h>

#include <tandem/cpu/isa_list.h>
#include <tandem/epilogue.h>

namespace tandem::cpu {

// Single-threaded loops over n contiguous elements; the caller splits work across
// threads. out may alias an input.
struct ElementwiseKernels {
  void (*relu)(const float* x, float* y, int64_t n);
  void (*add)(const float* x, const float* y, float* out, int64_t n);
  void (*multiply)(const float* x, const float* y, float* out, int64_t n);
  void (*squared_difference)(const float* x, const float* y, float* out, int64_t n);
  // The same with non-temporal (streaming) stores, for outputs far larger than the
  // last-level cache: bit-identical results. out must not overlap an input; it needs
  // only float alignment (the head is peeled up to the vector alignment).
  void (*relu_stream)(const float* x, float* y, int64_t n);
  void (*add_stream)(const float* x, const float* y, float* out, int64_t n);
  void (*multiply_stream)(const float* x, const float* y, float* out, int64_t n);
  void (*squared_difference_stream)(const float* x, const float* y, float* out, int64_t n);
};

// A microkernel's tile: MR rows of C by NV vectors of B (NR = NV x lanes), chosen per
// path in the kernel's source (`namespace tiles { constexpr MicroTile avx512{...}; }`).
struct MicroTile {
  int mr, nv;
};

// How an SGEMM microkernel stores its tile: C = alpha * A * B + beta * C (beta == 0
// never reads C), then, where bias or activation is set (the last k block only), +
// bias[j] and the activation (tandem/epilogue.h), in registers, as the tile is written.
// bias points at the bias of the tile's first column; bias_stride is the distance
// between the biases of consecutive outputs of the matrix-vector kernels (0 when
// they all lie in one column of C); the tile kernels read bias[0..nr).
struct TileStore {
  float alpha = 1.0f;
  float beta = 0.0f;
  const float* bias = nullptr;
  int64_t bias_stride = 1;
  tandem::Activation activation = tandem::Activation::none;
};

// The SGEMM microkernel of one path (BLIS's contract, row-major):
//   C[0:mr, 0:nr] = store(A * B), for packed panels
//   A: kc x MR, stored a[p * MR + i];  B: kc x NR, stored b[p * NR + j]
// with mr <= MR, nr <= NR (the panels are zero-padded to full size). pack_panel packs
// either operand (kernels/sgemm.cpp).
struct SgemmKernels {
  int mr;  // MR: rows of C per microkernel call
  int nr;  // NR: columns of C per call, a multiple of the vector width
  void (*microkernel)(int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                      const TileStore& store, int64_t mr, int64_t nr);
  // The same with A as the caller stores it (a[i * lda + p]) and B packed, for A blocks
  // read in place instead of packed (sgemm_api.cpp says when).
  void (*microkernel_a_in_place)(int64_t kc, const float* a, int64_t lda, const float* b, float* c,
                                 int64_t ldc, const TileStore& store, int64_t mr, int64_t nr);
  // The same on A and B as the caller stores them (row-major, not transposed: A
  // a[i * lda + p], B b[p * ldb + j], only j < nr read), for problems too small to
  // pay for packing.
  void (*microkernel_unpacked)(int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb,
                               float* c, int64_t ldc, const TileStore& store, int64_t mr,
                               int64_t nr);
  // dst[p * width + i] = x[i * row_stride + p * k_stride] (i < rows, zero up to width);
  // row_stride or k_stride is 1.
  void (*pack_panel)(const float* x, int64_t row_stride, int64_t k_stride, int64_t rows, int64_t kc,
                     int64_t width, float* dst);
  // B[0:kc, 0:cols] (b[p * ldb + j]) as ceil(cols / NR) consecutive NR-column panels
  // (panel q at dst + q * kc * NR, zero-padded), read row by row.
  void (*pack_rows_as_panels)(const float* b, int64_t ldb, int64_t kc, int64_t cols, float* dst);
  // The matrix-vector products that GEMMs with m == 1 or n == 1 become (v contiguous),
  // output i stored as store does (its bias at store.bias[i * store.bias_stride]):
  //   dot_rows:  y[i * incy] = alpha * sum_p x[i * ldx + p] * v[p] + beta * y[i * incy]
  //   axpy_rows: y[j * incy] = alpha * sum_p v[p] * x[p * ldx + j] + beta * y[j * incy]
  void (*dot_rows)(const float* x, int64_t ldx, int64_t rows, int64_t k, const float* v,
                   const TileStore& store, float* y, int64_t incy);
  void (*axpy_rows)(const float* x, int64_t ldx, int64_t k, int64_t cols, const float* v,
                    const TileStore& store, float* y, int64_t incy);
};

// The integer GEMM of one path (cpu/src/kernels/igemm.cpp describes the layouts).
// Packed panels are made of 32-bit lanes of k_group consecutive k values (K padded
// with zeros to a multiple of k_step, the microkernel's step): an A panel (MR rows) is
// MR * ceil(kc / k_step) * k_step / k_group lanes, a B panel (NR columns) as many with
// NR for MR, followed by NR more (int32 start values of the accumulators) when
// b_offsets is set.
// How the integer microkernel stores its tile. Before the last k block (finish unset)
// the int32 sums go to C, added to those already there with accumulate. In the last
// one of a quantized product (finish), each sum becomes
//   y = act(float(sum + column_offsets[j]) * scales[j * scale_stride] + bias[j])
// (tandem/epilogue.h) written as float, or with requantize as int8 (or uint8)
// round(clamp(y * inverse_out_scale, out_lo, out_hi)) + out_zero_point (the quantize
// rule), to out (ldo elements apart) instead of C. scales, column_offsets, bias and out
// point at the tile's first column (out at its first row too).
// With wide, C holds int64 sums (ldc in elements of 8 bytes) and each block's int32
// sums are added to them times 2^shift: how the 16-bit layer stays exact for any K.
struct IgemmStore {
  bool accumulate = false;
  bool finish = false;
  bool wide = false;
  int shift = 0;
  const float* scales = nullptr;
  int64_t scale_stride = 0;  // 0: one scale for every column
  const float* bias = nullptr;
  tandem::Activation activation = tandem::Activation::none;
  // Added to each column's int32 sum before it is scaled (a zero point's correction:
  // igemm_api.cpp), or null.
  const int32_t* column_offsets = nullptr;
  bool requantize = false;
  float inverse_out_scale = 1.0f;
  // Requantized out: round(clamp(y / out_scale, out_lo, out_hi)) + out_zero_point, as
  // int8 ([-128, 127], zero point 0) or, with out_unsigned, uint8 ([-zp, 255 - zp]).
  float out_lo = -128.0f, out_hi = 127.0f;
  int32_t out_zero_point = 0;
  bool out_unsigned = false;
  void* out = nullptr;
  int64_t ldo = 0;
};
struct IgemmOps {
  int mr = 0;       // MR: rows of C per microkernel call
  int nr = 0;       // NR: columns of C per call
  int k_group = 1;  // k values per 32-bit lane
  int k_step = 1;   // k values per microkernel step: panels are padded with zeros to a multiple
  bool b_offsets = false;
  bool b_block_in_l2 = false;  // BlockingRule::b_block_in_l2
  // A[0:rows, 0:kc] (rows <= MR) into one A panel; a's element type is the GEMM's.
  void (*pack_a)(const void* a, int64_t lda, int64_t rows, int64_t kc, void* dst) = nullptr;
  // The same for uint8 A, packed as the int8 A - 128 (int8 units only): a layer on x
  // with a zero point adds (128 - zp) * colsum(B) in its store (igemm_api.cpp).
  void (*pack_a_unsigned)(const void* a, int64_t lda, int64_t rows, int64_t kc,
                          void* dst) = nullptr;
  // B[0:kc, 0:cols] (cols <= NR) into one B panel.
  void (*pack_b)(const void* b, int64_t ldb, int64_t kc, int64_t cols, void* dst) = nullptr;
  // C[0:mr, 0:nr] = A * B (+ C with store.accumulate) for one A and one B panel of kc
  // k values, int32 in C (ldc in elements of 4 bytes), or finished as store says.
  void (*microkernel)(int64_t kc, const void* a, const void* b, void* c, int64_t ldc, int64_t mr,
                      int64_t nr, const IgemmStore& store) = nullptr;
  // Around each thread's share of a GEMM where the unit keeps state (AMX's tile
  // configuration, which costs ~130 ns to load: once per thread, not per tile); null
  // where it keeps none.
  void (*begin_thread)() = nullptr;
  void (*end_thread)() = nullptr;
};
struct IgemmKernels {
  IgemmOps s8;      // int8 x int8
  IgemmOps s16;     // int16 x int16
  IgemmOps s8_amx;  // int8 x int8 on AMX tiles; null functions where the path has none
};

// Single-threaded reductions over n contiguous elements: products are accumulated in
// float in several independent vector accumulators, which are flushed into double
// every few thousand elements; the result is combined in double.
struct ReduceKernels {
  double (*dot)(const float* x, const float* y, int64_t n);
  // sum (x_i - y_i)^2, with each difference rounded to float.
  double (*squared_distance)(const float* x, const float* y, int64_t n);
  // x.y, x.x and y.y in one pass: out[0], out[1], out[2].
  void (*cosine_parts)(const float* x, const float* y, int64_t n, double out[3]);
};

// Symmetric quantization, bit-exact against the reference: x * (1 / scale), the
// reciprocal rounded to float once, clamped in float to the type's range, rounded half to even (the
// default rounding mode) and packed. Single-threaded; the caller checks scale and finiteness.
struct QuantizeKernels {
  // One pass: *max_abs = max |x_i| over x[0, n) (0 for n == 0) and the index of the
  // first NaN or Inf, or -1 when all are finite (then *max_abs is exact).
  int64_t (*scan)(const float* x, int64_t n, float* max_abs);
  void (*quantize_s8)(const float* x, int64_t n, float scale, int8_t* q);
  void (*quantize_s16)(const float* x, int64_t n, float scale, int16_t* q);
  void (*dequantize_s8)(const int8_t* q, int64_t n, float scale, float* x);
  void (*dequantize_s16)(const int16_t* q, int64_t n, float scale, float* x);
  // y = max(quantize(x), 0) * scale in one pass (y may alias x).
  void (*relu_s8)(const float* x, float* y, int64_t n, float scale);
  void (*relu_s16)(const float* x, float* y, int64_t n, float scale);
  // dequantize with non-temporal stores (x must not overlap q): for huge outputs.
  void (*dequantize_s8_stream)(const int8_t* q, int64_t n, float scale, float* x);
  void (*dequantize_s16_stream)(const int16_t* q, int64_t n, float scale, float* x);
  // y = max(q, 0) on quantized values (the scale is unchanged); y may alias q.
  void (*relu_q8)(const int8_t* q, int8_t* y, int64_t n);
  void (*relu_q16)(const int16_t* q, int16_t* y, int64_t n);
  // Asymmetric uint8 (quant::asymmetric_params). One pass: *lo = min(x, 0), *hi =
  // max(x, 0) over x[0, n), and the first NaN or Inf as scan returns it.
  int64_t (*range)(const float* x, int64_t n, float* lo, float* hi);
  // q = round(clamp(x / scale, -zero_point, 255 - zero_point)) + zero_point.
  void (*quantize_u8)(const float* x, int64_t n, float scale, int32_t zero_point, uint8_t* q);
  void (*dequantize_u8)(const uint8_t* q, int64_t n, float scale, int32_t zero_point, float* x);
  // y = max(q, zero_point): relu on the values q stands for; y may alias q.
  void (*relu_u8)(const uint8_t* q, uint8_t* y, int64_t n, int32_t zero_point);
};

// Each path's tables, declared once per entry of TANDEM_CPU_ISA_LIST.
#define TANDEM_DECLARE_PATH_TABLES(isa)        \
  namespace isa {                              \
  extern const ElementwiseKernels elementwise; \
  extern const ReduceKernels reduce;           \
  extern const QuantizeKernels quantize;       \
  extern const SgemmKernels sgemm;             \
  extern const IgemmKernels igemm;             \
  }
TANDEM_CPU_ISA_LIST(TANDEM_DECLARE_PATH_TABLES)
#undef TANDEM_DECLARE_PATH_TABLES

// The avx2 integer GEMM compiled again with AVX-VNNI (IgemmUnit::avx_vnni): a unit of
// the avx2 path, not a path of its own (cmake: tandem_cpu_kernel_unit).
namespace avx2_vnni {
extern const IgemmKernels igemm;
}

// Each family's tables in the list's order, for detail::select (run.h).
#define TANDEM_TABLE_OF_PATH(isa) &isa::TANDEM_FAMILY,
#define TANDEM_FAMILY elementwise
inline constexpr const ElementwiseKernels* kElementwiseByPath[] = {
    TANDEM_CPU_ISA_LIST(TANDEM_TABLE_OF_PATH)};
#undef TANDEM_FAMILY
#define TANDEM_FAMILY reduce
inline constexpr const ReduceKernels* kReduceByPath[] = {TANDEM_CPU_ISA_LIST(TANDEM_TABLE_OF_PATH)};
#undef TANDEM_FAMILY
#define TANDEM_FAMILY quantize
inline constexpr const QuantizeKernels* kQuantizeByPath[] = {
    TANDEM_CPU_ISA_LIST(TANDEM_TABLE_OF_PATH)};
#undef TANDEM_FAMILY
#define TANDEM_FAMILY sgemm
inline constexpr const SgemmKernels* kSgemmByPath[] = {TANDEM_CPU_ISA_LIST(TANDEM_TABLE_OF_PATH)};
#undef TANDEM_FAMILY
#define TANDEM_FAMILY igemm
inline constexpr const IgemmKernels* kIgemmByPath[] = {TANDEM_CPU_ISA_LIST(TANDEM_TABLE_OF_PATH)};
#undef TANDEM_FAMILY
#undef TANDEM_TABLE_OF_PATH

}  // namespace tandem::cpu
