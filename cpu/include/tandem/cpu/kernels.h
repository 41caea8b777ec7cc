// The fast CPU kernels: SIMD per path (see isa.h), threaded with OpenMP. Same
// conventions and semantics as the reference kernels (reference.h), which they are
// tested against. Each runs on RunOptions::isa (default: best_isa()); asking for a
// path this CPU does not support is a DeviceError. Inputs with data-dependent
// errors (NaN/Inf where a scale is derived) are checked before anything is written.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include <tandem/cpu/isa.h>
#include <tandem/epilogue.h>
#include <tandem/quantization_rules.h>
#include <tandem/transpose.h>

namespace tandem::cpu {

struct RunOptions {
  Isa isa = best_isa();
  // 0: OpenMP's default (all cores). Inputs below the measured size where threads
  // start to pay run on one thread whatever this says.
  int threads = 0;
  // The integer GEMMs' unit (isa.h): amx runs the int8 ones (gemm_s8s8s32,
  // quantized_matmul at 8 bits, quantized_linear with int8 weights) on AMX tiles, the
  // avx512 path only (int16 has no AMX instruction and stays on the vectors);
  // avx_vnni runs int8 and int16 on AVX-VNNI, the avx2 path only. A unit this CPU or
  // path lacks is a DeviceError (igemm_unit_supported() says in advance).
  IgemmUnit unit = IgemmUnit::vectors;
};

// ---- SGEMM --------------------------------------------------------------------------
// Cache blocking of the packed GEMM, in elements: A is packed mc x kc at a time, B
// kc x nc. 0 means "derive from the detected caches" (see gemm_blocking()).
struct GemmBlocking {
  std::int64_t mc = 0;
  std::int64_t kc = 0;
  std::int64_t nc = 0;
};

// The blocking sgemm uses on `isa` for this CPU when none is given.
GemmBlocking gemm_blocking(Isa isa);
// The blocks sgemm's packed loops run an m x n x k problem with on `threads` threads
// (k > 0): `blocking` resolved as above, then mc and nc fitted to the busiest thread's
// region of C (threads own regions: cpu/src/gemm_driver.h), k split into equal blocks
// of at most kc. (Matrix-vector shapes and problems up to 64^3 do not pack at all.)
GemmBlocking sgemm_blocking_used(Isa isa, std::int64_t m, std::int64_t n, std::int64_t k,
                                 int threads, const GemmBlocking& blocking = {});

// Whether sgemm's packed loops on `isa` read A as stored instead of packing it: A not
// transposed, and rows lda floats apart that do not crowd an L1 set (cpu/src/sgemm_api.cpp).
bool sgemm_reads_a_in_place(Isa isa, Transpose trans_a, std::int64_t lda);

// C = alpha * op(A) * op(B) + beta * C, BLAS semantics on row-major storage (see
// reference::gemm). beta == 0 never reads C. The epilogue (tandem/epilogue.h: + bias[j],
// then an activation) is applied by the store that writes each output's final value.
void sgemm(Transpose trans_a, Transpose trans_b, std::int64_t m, std::int64_t n, std::int64_t k,
           float alpha, const float* a, std::int64_t lda, const float* b, std::int64_t ldb,
           float beta, float* c, std::int64_t ldc, const RunOptions& run = {},
           const GemmBlocking& blocking = {}, const Epilogue& epilogue = {});

// ---- Element-wise (out may alias an input) --------------------------------------------
void relu(const float* x, float* y, std::int64_t n, const RunOptions& run = {});
void add(const float* x, const float* y, float* out, std::int64_t n, const RunOptions& run = {});
void multiply(const float* x, const float* y, float* out, std::int64_t n,
              const RunOptions& run = {});
void squared_difference(const float* x, const float* y, float* out, std::int64_t n,
                        const RunOptions& run = {});
// Outputs of at least streaming_store_min_bytes() (cache_sizes.h) that overlap no input
// are written with non-temporal stores; the results are the same either way.

// ---- Reductions -----------------------------------------------------------------------
// Float products in several vector accumulators per thread, flushed into double every
// few thousand elements; per-thread results added in a fixed order, so a given n and
// thread count always give the same value. Close to, not bit-equal with, the
// reference's double accumulation (see tests/cpu_reduce_test.cpp for the bound).
double dot(const float* x, const float* y, std::int64_t n, const RunOptions& run = {});
// sqrt(sum (x_i - y_i)^2), each difference rounded to float.
double euclidean_distance(const float* x, const float* y, std::int64_t n,
                          const RunOptions& run = {});
// dot(x, y) / (max(|x|, eps) * max(|y|, eps)), eps = reference::kCosineEps, in one pass.
double cosine_similarity(const float* x, const float* y, std::int64_t n,
                         const RunOptions& run = {});

// ---- Symmetric per-tensor quantization ------------------------------------------------
// Bit-exact with the reference functions of the same names, errors included (same
// checks, same messages, nothing written when one fails).
// max|x| / quant_max(bits), 1 for all-zero or empty x, never below FLT_MIN; one pass,
// which also refuses NaN/Inf. bits is 8 or 16.
float quantize_scale(const float* x, std::int64_t n, int bits, const RunOptions& run = {});
// quantize_scale() and quantize() in two passes rather than three: the scale's scan
// also refuses NaN/Inf, so the quantize pass needs no pre-scan. Returns the scale.
float quantize(const float* x, std::int64_t n, std::int8_t* q, const RunOptions& run = {});
float quantize(const float* x, std::int64_t n, std::int16_t* q, const RunOptions& run = {});
// round_half_even(x * (1 / scale)) clamped to the type's range (see reference.h). A non-finite or
// non-positive scale, or NaN/Inf in x (found by a pre-scan), is an ArgumentError.
void quantize(const float* x, std::int64_t n, float scale, std::int8_t* q,
              const RunOptions& run = {});
void quantize(const float* x, std::int64_t n, float scale, std::int16_t* q,
              const RunOptions& run = {});
// x = float(q) * scale.
void dequantize(const std::int8_t* q, std::int64_t n, float scale, float* x,
                const RunOptions& run = {});
void dequantize(const std::int16_t* q, std::int64_t n, float scale, float* x,
                const RunOptions& run = {});
// max(q, 0) on quantized values, int8 in and out (or int16): the scale is unchanged,
// so the result is the quantized relu of the tensor q stands for (y may alias q).
void relu_s8(const std::int8_t* q, std::int8_t* y, std::int64_t n, const RunOptions& run = {});
void relu_s16(const std::int16_t* q, std::int16_t* y, std::int64_t n, const RunOptions& run = {});
// Asymmetric uint8 (quant::asymmetric_params), bit-exact with the reference's: one
// pass for x's range (NaN/Inf refused there, before anything is written), one to
// quantize. Returns the scale and zero point.
quant::AsymmetricParams quantize_asymmetric(const float* x, std::int64_t n, std::uint8_t* q,
                                            const RunOptions& run = {});
// x = (q - zero_point) * scale.
void dequantize(const std::uint8_t* q, std::int64_t n, float scale, std::int32_t zero_point,
                float* x, const RunOptions& run = {});
// max(q, zero_point): relu on asymmetric uint8 values (y may alias q).
void relu_u8(const std::uint8_t* q, std::uint8_t* y, std::int64_t n, std::int32_t zero_point,
             const RunOptions& run = {});
// Quantize, max(q, 0), dequantize, fused into one pass after the scale pass (y may
// alias x).
void quantized_relu(const float* x, float* y, std::int64_t n, int bits, const RunOptions& run = {});

// ---- Batch apply ----------------------------------------------------------------------
// An element-wise operation on one contiguous run of elements (the same type as
// reference::RowOp).
using RowOp = std::function<void(const float* x, float* y, std::int64_t n)>;

// op over a rows x cols batch, split into `workers` contiguous row blocks run by an
// OpenMP team of `workers` threads (fewer when rows < workers). The result is
// identical to op(x, y, rows * cols). workers < 1 is an ArgumentError; an exception
// thrown by op reaches the caller (the first block's, in row order).
void batch_apply(const RowOp& op, const float* x, float* y, std::int64_t rows, std::int64_t cols,
                 int workers);

// ---- Integer GEMM ----------------------------------------------------------------------
// C = A * B on row-major storage with leading dimensions, int32 accumulation that
// wraps modulo 2^32: bit-exact with reference::gemm_s8s8s32 / gemm_s16s16s32. The
// avx512 path also needs AVX-512 VNNI (has_avx512_vnni()); asking for it on a CPU
// without VNNI is a DeviceError: there, pass best_igemm_isa() rather than the default
// best_isa(). `blocking` as for sgemm (in elements; kc in k values).
Isa best_igemm_isa();  // best_isa(), or avx2 when that is avx512 without VNNI
void gemm_s8s8s32(std::int64_t m, std::int64_t n, std::int64_t k, const std::int8_t* a,
                  std::int64_t lda, const std::int8_t* b, std::int64_t ldb, std::int32_t* c,
                  std::int64_t ldc, const RunOptions& run = {}, const GemmBlocking& blocking = {});
void gemm_s16s16s32(std::int64_t m, std::int64_t n, std::int64_t k, const std::int16_t* a,
                    std::int64_t lda, const std::int16_t* b, std::int64_t ldb, std::int32_t* c,
                    std::int64_t ldc, const RunOptions& run = {},
                    const GemmBlocking& blocking = {});

// C = A * B for contiguous float A (m x k), B (k x n), C (m x n) through `bits`-bit
// (8 or 16) symmetric quantization, bit-exact with reference::quantized_matmul: A
// and B quantized with their own scales, multiplied on the integer GEMM above, and
// float(acc) * (scale_a * scale_b) written straight into C by the GEMM's store. A bad
// width, K above max_quantized_k(bits) or NaN/Inf in A or B is an ArgumentError,
// raised before anything is written.
void quantized_matmul(const float* a, const float* b, float* c, std::int64_t m, std::int64_t n,
                      std::int64_t k, int bits, const RunOptions& run = {});

// ---- Quantized layers: weights packed once -------------------------------------------------
// B (k x n, int8 or int16, row-major with leading dimension ldb) packed once into the
// panels of `isa`'s integer microkernel, cut into the k blocks it runs, so that every
// product with it skips B's packing (FBGEMM's PackBMatrix, oneDNN's weights reorder).
// Immutable once built; copies share the storage; safe to use from several threads.
// isa and unit as for the integer GEMM (avx512 needs VNNI; RunOptions::unit): each unit
// has its own layout (amx packs only int8 weights for its tiles, 16-bit ones for the
// path's vectors).
// Products run on the path and unit the weights were packed for.
class PackedIntegerB {
 public:
  PackedIntegerB(const std::int8_t* b, std::int64_t ldb, std::int64_t k, std::int64_t n, Isa isa,
                 IgemmUnit unit = IgemmUnit::vectors);
  PackedIntegerB(const std::int16_t* b, std::int64_t ldb, std::int64_t k, std::int64_t n, Isa isa,
                 IgemmUnit unit = IgemmUnit::vectors);

  Isa isa() const { return isa_; }
  IgemmUnit unit() const { return unit_; }
  int bits() const { return bits_; }
  std::int64_t k() const { return k_; }
  std::int64_t n() const { return n_; }
  std::int64_t kc() const { return kc_; }       // the k block the panels were cut for
  std::size_t bytes() const { return bytes_; }  // as stored (panels, padding, column sums)
  const unsigned char* data() const { return data_.get(); }
  // sum_p B[p][j] over all of K per column, int32 (8-bit weights; null at 16 bits): the
  // zero point's correction of a layer on uint8 x.
  const std::int32_t* column_sums() const { return column_sums_.get(); }

 private:
  template <typename T>
  void pack(const T* b, std::int64_t ldb);

  Isa isa_;
  IgemmUnit unit_;
  int bits_;
  std::int64_t k_, n_, kc_;
  std::size_t bytes_ = 0;
  std::shared_ptr<const unsigned char[]> data_;
  std::shared_ptr<const std::int32_t[]> column_sums_;
};

// What the quantized layer does with each int32 sum of row i, column j (epilogue.h's
// order): y = act(float(sum) * scales[per_column ? j : 0] + bias[j]) (bias may be null);
// the scales are the products x_scale * w_scale, rounded to float.
// With x_unsigned, A is uint8 standing for A - x_zero_point (asymmetric activations,
// 8-bit weights only): the GEMM multiplies A - 128 (its top bit flipped, so every int8
// kernel runs it) and each sum gets (128 - x_zero_point) * colsum(B)[j] added before
// it is scaled: exact while the true sum fits int32 (quant::max_exact_u8_layer_k).
struct QuantizedEpilogue {
  const float* scales = nullptr;
  bool per_column = false;
  const float* bias = nullptr;
  Activation activation = Activation::none;
  bool x_unsigned = false;
  std::int32_t x_zero_point = 0;
};

// y (m x n, leading dimension ldy) = epilogue(A * B) for A (m x k, lda) of B's integer
// type, with B packed: float out, or int8 requantized with out_scale (round(clamp(y /
// out_scale)), the quantize rule). At 8 bits the sums are int32, wrapping as
// gemm_s8s8s32's do (exact for K within quant::max_exact_k(8)); at 16 bits they are exact
// for any K and any int16 values (x split into bytes, int64 sums: igemm_api.cpp).
// `blocking`'s kc is B's (fixed when it was packed); its mc and nc apply.
void quantized_linear(std::int64_t m, const void* a, std::int64_t lda, const PackedIntegerB& b,
                      const QuantizedEpilogue& epilogue, float* y, std::int64_t ldy,
                      const RunOptions& run = {}, const GemmBlocking& blocking = {});
void quantized_linear(std::int64_t m, const void* a, std::int64_t lda, const PackedIntegerB& b,
                      const QuantizedEpilogue& epilogue, float out_scale, std::int8_t* y,
                      std::int64_t ldy, const RunOptions& run = {},
                      const GemmBlocking& blocking = {});
// uint8 y with a zero point (8-bit weights): clamp(round(y / out_scale) +
// out_zero_point, 0, 255).
void quantized_linear(std::int64_t m, const void* a, std::int64_t lda, const PackedIntegerB& b,
                      const QuantizedEpilogue& epilogue, float out_scale,
                      std::int32_t out_zero_point, std::uint8_t* y, std::int64_t ldy,
                      const RunOptions& run = {}, const GemmBlocking& blocking = {});

}  // namespace tandem::cpu
