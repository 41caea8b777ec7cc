// The integer GEMM (int8 and int16 in, int32 out) and the quantized matmul built on
// it: the shared BLIS loops (gemm_driver.h) around the path's packing and microkernel
// (kernels/igemm.cpp, which describes the packed layouts).
//
// C holds the int32 sums between k blocks. The quantized matmul has no int32 buffer:
// its float C holds them (same size) until the last k block, whose microkernel call
// adds them in and stores float(sum) * (scale_a * scale_b) over them.
#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include <tandem/cpu/cache_sizes.h>
#include <tandem/cpu/kernels.h>
#include <tandem/error.h>
#include <tandem/quantization_rules.h>

#include "gemm_driver.h"
#include "kernels/tables.h"
#include "parallel.h"
#include "run.h"
#include "tuning.h"

namespace tandem::cpu {
namespace {

using Index = std::int64_t;
using Byte = unsigned char;

using detail::ceil_div;

// The path's table; avx512 also needs VNNI here (vpdpbusd, vpdpwssd).
const IgemmKernels& kernels(const char* op, Isa isa) {
  detail::require_supported(op, isa);
  if (isa == Isa::avx512 && !has_avx512_vnni()) {
    throw DeviceError(std::string(op) +
                      ": the cpu.avx512 path of the integer GEMM needs AVX-512 VNNI, which this "
                      "CPU lacks");
  }
  return detail::select(op, isa, kIgemmByPath);
}

// Panel sizes in bytes for kc k values: 32-bit lanes of k_group k values each.
Index a_panel_bytes(const IgemmKernels& kern, const IgemmOps& ops, Index kc) {
  return Index{kern.mr} * 4 * ceil_div(kc, ops.k_group);
}
Index b_panel_bytes(const IgemmKernels& kern, const IgemmOps& ops, Index kc) {
  return Index{kern.nr} * 4 * (ceil_div(kc, ops.k_group) + (ops.b_offsets ? 1 : 0));
}

struct Problem {
  Index m, n, k;
  const Byte* a;
  Index lda;
  const Byte* b;
  Index ldb;
  Byte* c;  // int32, or float with dequantize
  Index ldc;
  Index element_bytes;  // of A and B: 1 or 2
  bool dequantize;      // store float(sum) * scale
  float scale;
};

// The integer blocking, as sgemm's in packed bytes per k value (4 / k_group), with a
// B micro-panel that fills L1 and kc up to 2048: kc 1024 for int8 and 512 for int16
// with a 32 KiB L1 (measured on Zen 4 at 2048^3, one thread: int8 380 GOP/s at kc 1024
// against 357 at 512 and 309 at 256; int16 193 at 512 against 177 at 256).
detail::BlockingRule blocking_rule(const IgemmKernels& kern, const IgemmOps& ops) {
  return {kern.mr,
          kern.nr,
          /*bytes_per_k=*/4 / ops.k_group,
          /*l1_percent=*/100,
          /*kc_step=*/16,
          /*kc_min=*/64,
          /*kc_max=*/2048,
          /*k_group=*/ops.k_group};
}

// The integer GEMM as the shared loops see it (gemm_driver.h): byte panels of 32-bit
// lanes; the microkernel adds earlier k blocks' sums from C and, in the last k block
// of a quantized matmul, stores them dequantized.
struct IgemmView {
  const IgemmKernels& kern;
  const IgemmOps& ops;
  const Problem& p;

  Index a_panel(Index kc) const { return a_panel_bytes(kern, ops, kc); }
  Index b_panel(Index kc) const { return b_panel_bytes(kern, ops, kc); }
  void pack_a(Index ic, Index pc, Index rows, Index kc, Byte* dst) const {
    const Index eb = p.element_bytes, units = a_panel(kc);
    for (Index ir = 0; ir < rows; ir += kern.mr) {
      ops.pack_a(p.a + ((ic + ir) * p.lda + pc) * eb, p.lda, std::min<Index>(kern.mr, rows - ir),
                 kc, dst + ir / kern.mr * units);
    }
  }
  void pack_b(Index pc, Index col, Index kc, Index cols, Byte* dst) const {
    const Index units = b_panel(kc);
    for (Index j = 0; j < cols; j += kern.nr) {
      ops.pack_b(p.b + (pc * p.ldb + col + j) * p.element_bytes, p.ldb, kc,
                 std::min<Index>(kern.nr, cols - j), dst + j / kern.nr * units);
    }
  }
  void micro(Index kc, const Byte* pa, const Byte* pb, Index row, Index col, Index rows, Index cols,
             Index pc, bool last_k) const {
    const int flags =
        (pc > 0 ? kIgemmAccumulate : 0) | (p.dequantize && last_k ? kIgemmDequantize : 0);
    ops.microkernel(kc, pa, pb, p.c + (row * p.ldc + col) * 4, p.ldc, rows, cols, flags, p.scale);
  }
};

void run_gemm(const char* op, const IgemmKernels& kern, const IgemmOps& ops, const Problem& p,
              int requested_threads, const GemmBlocking& blocking) {
  const Index m = p.m, n = p.n, k = p.k;
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {  // C = 0: int32 0 and float +0.0f are both all-zero bytes
    for (Index i = 0; i < m; ++i) {
      std::memset(p.c + i * p.ldc * 4, 0, static_cast<std::size_t>(n) * 4);
    }
    return;
  }
  const int threads =
      detail::gemm_threads(m, n, k, tuning::kIgemmMinMacsPerThread, requested_threads);
  const GemmBlocking used =
      detail::blocking_used(blocking_rule(kern, ops), m, n, k, threads, blocking);
  detail::blis_loops<Byte>(op, IgemmView{kern, ops, p}, m, n, k, used, kern.mr, kern.nr, threads);
}

template <typename T>
Problem integer_problem(Index m, Index n, Index k, const T* a, Index lda, const T* b, Index ldb,
                        std::int32_t* c, Index ldc) {
  return {m,     n,
          k,     reinterpret_cast<const Byte*>(a),
          lda,   reinterpret_cast<const Byte*>(b),
          ldb,   reinterpret_cast<Byte*>(c),
          ldc,   static_cast<Index>(sizeof(T)),
          false, 1.0f};
}

// ---- Quantization: the path's quantize kernels (kernels/quantize.cpp) -----------------

const QuantizeKernels& quantize_kernels(const char* op, Isa isa) {
  return detail::select(op, isa, kQuantizeByPath);
}

// As reference::quantize_scale, in one pass that also refuses NaN/Inf (worded as the
// reference's quantized_matmul words it).
float quantize_scale_of(const QuantizeKernels& qk, const char* op, const char* what, const float* x,
                        Index n, int bits) {
  float max_abs = 0.0f;
  const Index bad = n > 0 ? qk.scan(x, n, &max_abs) : -1;
  if (bad >= 0) {
    throw ArgumentError(std::string(op) + ": " + what + " holds " + std::to_string(x[bad]) +
                        " at element " + std::to_string(bad) + " of " + std::to_string(n) +
                        "; quantization needs finite values");
  }
  return quant::symmetric_scale(max_abs, bits);
}

template <typename Q>
void quantize_into(const QuantizeKernels& qk, const float* x, Index n, float scale, Q* q,
                   int threads) {
  detail::parallel_chunks(n, threads, tuning::kQuantizeMinPerThread, 64,
                          [&](Index begin, Index end) {
                            if constexpr (sizeof(Q) == 1) {
                              qk.quantize_s8(x + begin, end - begin, scale, q + begin);
                            } else {
                              qk.quantize_s16(x + begin, end - begin, scale, q + begin);
                            }
                          });
}

template <typename Q>
void quantized_matmul_as(const char* op, const IgemmKernels& kern, const IgemmOps& ops,
                         const QuantizeKernels& qk, const float* a, const float* b, float* c,
                         Index m, Index n, Index k, float scale_a, float scale_b, int threads) {
  const auto qa = std::make_unique_for_overwrite<Q[]>(static_cast<std::size_t>(m * k));
  const auto qb = std::make_unique_for_overwrite<Q[]>(static_cast<std::size_t>(k * n));
  quantize_into(qk, a, m * k, scale_a, qa.get(), threads);
  quantize_into(qk, b, k * n, scale_b, qb.get(), threads);
  const Problem p{m,    n,
                  k,    reinterpret_cast<const Byte*>(qa.get()),
                  k,    reinterpret_cast<const Byte*>(qb.get()),
                  n,    reinterpret_cast<Byte*>(c),
                  n,    static_cast<Index>(sizeof(Q)),
                  true, scale_a * scale_b};
  run_gemm(op, kern, ops, p, threads, {});
}

}  // namespace

Isa best_igemm_isa() {
  const Isa best = best_isa();
  return best == Isa::avx512 && !has_avx512_vnni() ? Isa::avx2 : best;
}

void gemm_s8s8s32(Index m, Index n, Index k, const std::int8_t* a, Index lda, const std::int8_t* b,
                  Index ldb, std::int32_t* c, Index ldc, const RunOptions& run,
                  const GemmBlocking& blocking) {
  const char* op = "gemm_s8s8s32";
  const IgemmKernels& kern = kernels(op, run.isa);
  run_gemm(op, kern, kern.s8, integer_problem(m, n, k, a, lda, b, ldb, c, ldc), run.threads,
           blocking);
}

void gemm_s16s16s32(Index m, Index n, Index k, const std::int16_t* a, Index lda,
                    const std::int16_t* b, Index ldb, std::int32_t* c, Index ldc,
                    const RunOptions& run, const GemmBlocking& blocking) {
  const char* op = "gemm_s16s16s32";
  const IgemmKernels& kern = kernels(op, run.isa);
  run_gemm(op, kern, kern.s16, integer_problem(m, n, k, a, lda, b, ldb, c, ldc), run.threads,
           blocking);
}

void quantized_matmul(const float* a, const float* b, float* c, Index m, Index n, Index k, int bits,
                      const RunOptions& run) {
  const char* op = "quantized_matmul";
  quant::require_bits(op, bits);
  quant::require_exact_k(op, k, bits);
  const IgemmKernels& kern = kernels(op, run.isa);
  const QuantizeKernels& qk = quantize_kernels(op, run.isa);
  const float scale_a = quantize_scale_of(qk, op, "A", a, m * k, bits);
  const float scale_b = quantize_scale_of(qk, op, "B", b, k * n, bits);
  (void)quant::dequantization_scale(op, scale_a, scale_b);
  if (m <= 0 || n <= 0) return;
  if (bits == 8) {
    quantized_matmul_as<std::int8_t>(op, kern, kern.s8, qk, a, b, c, m, n, k, scale_a, scale_b,
                                     run.threads);
  } else {
    quantized_matmul_as<std::int16_t>(op, kern, kern.s16, qk, a, b, c, m, n, k, scale_a, scale_b,
                                      run.threads);
  }
}

}  // namespace tandem::cpu
