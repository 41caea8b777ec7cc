// The integer GEMM (int8 and int16 in, int32 out) and the quantized matmul built on
// it: BLIS's loops, as in sgemm_api.cpp, around the path's packing and microkernel
// (kernels/igemm.cpp, which describes the packed layouts).
//
//   for jc in n, step nc:          B panel  kc x nc, packed once, shared by all threads
//     for pc in k, step kc:
//       for ic in m, step mc:      A block  mc x kc, packed by the thread that uses it
//         for jr in nc, step NR:
//           for ir in mc, step MR: microkernel(C[ir:ir+MR, jr:jr+NR] (+)= A_ir * B_jr)
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

using Buffer = std::unique_ptr<Byte[], detail::FreeDeleter>;
using detail::ceil_div;
using detail::round_up;

Buffer allocate(const char* op, Index bytes) { return detail::allocate_packing<Byte>(op, bytes); }

// The path's table; avx512 also needs VNNI here (vpdpbusd, vpdpwssd).
const IgemmKernels& kernels(const char* op, Isa isa) {
  detail::require_supported(op, isa);
  if (isa == Isa::avx512 && !has_avx512_vnni()) {
    throw DeviceError(std::string(op) +
                      ": the cpu.avx512 path of the integer GEMM needs AVX-512 VNNI, which this "
                      "CPU lacks");
  }
  return detail::select(op, isa, avx512::igemm, avx2::igemm, baseline::igemm);
}

// Panel sizes in bytes for kc k values: 32-bit lanes of k_group k values each.
Index a_panel_bytes(const IgemmKernels& kern, const IgemmOps& ops, Index kc) {
  return Index{kern.mr} * 4 * ceil_div(kc, ops.k_group);
}
Index b_panel_bytes(const IgemmKernels& kern, const IgemmOps& ops, Index kc) {
  return Index{kern.nr} * 4 * (ceil_div(kc, ops.k_group) + (ops.b_offsets ? 1 : 0));
}

// As sgemm's: a B micro-panel in half of L1, the A block in half of L2, the B panel
// in half of L3; sizes in packed bytes per k value (4 / k_group).
GemmBlocking resolve(const GemmBlocking& given, const IgemmKernels& kern, const IgemmOps& ops) {
  const CacheSizes caches = effective_cache_sizes();
  const Index l1 = caches.l1d_bytes, l2 = caches.l2_bytes, l3 = caches.l3_bytes;
  const Index bytes_per_k = 4 / ops.k_group;
  GemmBlocking b;
  b.kc = given.kc > 0 ? round_up(given.kc, ops.k_group)
                      : std::clamp<Index>(l1 / 2 / (kern.nr * bytes_per_k) / 16 * 16, 64, 2048);
  b.mc = given.mc > 0 ? round_up(given.mc, kern.mr)
                      : std::max<Index>(l2 / 2 / (b.kc * bytes_per_k) / kern.mr * kern.mr, kern.mr);
  b.nc = given.nc > 0 ? round_up(given.nc, kern.nr)
                      : std::max<Index>(l3 / 2 / (b.kc * bytes_per_k) / kern.nr * kern.nr, kern.nr);
  return b;
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
  const Index mr = kern.mr, nr = kern.nr, eb = p.element_bytes;
  const GemmBlocking blk = resolve(detail::bounded_by_problem(blocking, m, n, k), kern, ops);

  const int threads =
      detail::gemm_threads(m, n, k, tuning::kIgemmMinMacsPerThread, requested_threads);

  // mc shrinks so the blocks of A divide evenly among the threads.
  const Index ic_blocks = round_up(ceil_div(m, blk.mc), threads);
  const Index mc = std::min(round_up(ceil_div(m, ic_blocks), mr), round_up(m, mr));
  const Index kc = std::min(blk.kc, k);
  const Index nc = std::min(blk.nc, round_up(n, nr));

  const Buffer packed_b = allocate(op, ceil_div(nc, nr) * b_panel_bytes(kern, ops, kc));
  std::vector<Buffer> packed_a;
  for (int t = 0; t < threads; ++t) {
    packed_a.push_back(allocate(op, ceil_div(mc, mr) * a_panel_bytes(kern, ops, kc)));
  }

#pragma omp parallel num_threads(threads)
  {
    Byte* my_a = packed_a[static_cast<std::size_t>(omp_get_thread_num())].get();
    for (Index jc = 0; jc < n; jc += nc) {
      const Index nc_now = std::min(nc, n - jc);
      const Index panels = ceil_div(nc_now, nr);
      for (Index pc = 0; pc < k; pc += kc) {
        const Index kc_now = std::min(kc, k - pc);
        const Index a_bytes = a_panel_bytes(kern, ops, kc_now);
        const Index b_bytes = b_panel_bytes(kern, ops, kc_now);
        const bool last = pc + kc_now == k;
        const int flags =
            (pc > 0 ? kIgemmAccumulate : 0) | (p.dequantize && last ? kIgemmDequantize : 0);

#pragma omp for schedule(static)
        for (Index jp = 0; jp < panels; ++jp) {
          const Index col = jc + jp * nr;
          ops.pack_b(p.b + (pc * p.ldb + col) * eb, p.ldb, kc_now, std::min(nr, n - col),
                     packed_b.get() + jp * b_bytes);
        }  // implicit barrier: B is packed

        const Index blocks = ceil_div(m, mc);
        const Index splits = std::max<Index>(1, threads / blocks);
        const Index panels_per_split = ceil_div(panels, splits);
        Index packed_block = -1;
#pragma omp for schedule(static)
        for (Index item = 0; item < blocks * splits; ++item) {
          const Index block = item / splits;
          const Index ic = block * mc;
          const Index mc_now = std::min(mc, m - ic);
          if (block != packed_block) {
            for (Index ir = 0; ir < mc_now; ir += mr) {
              ops.pack_a(p.a + ((ic + ir) * p.lda + pc) * eb, p.lda, std::min(mr, mc_now - ir),
                         kc_now, my_a + ir / mr * a_bytes);
            }
            packed_block = block;
          }
          const Index jp_begin = (item % splits) * panels_per_split;
          const Index jp_end = std::min(panels, jp_begin + panels_per_split);
          for (Index jp = jp_begin; jp < jp_end; ++jp) {
            const Index jr = jp * nr;
            const Byte* b_panel = packed_b.get() + jp * b_bytes;
            for (Index ir = 0; ir < mc_now; ir += mr) {
              ops.microkernel(kc_now, my_a + ir / mr * a_bytes, b_panel,
                              p.c + ((ic + ir) * p.ldc + jc + jr) * 4, p.ldc,
                              std::min(mr, mc_now - ir), std::min(nr, nc_now - jr), flags, p.scale);
            }
          }
        }  // implicit barrier: B may be repacked, C's sums are complete
      }
    }
  }
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
  return detail::select(op, isa, avx512::quantize, avx2::quantize, baseline::quantize);
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
  // k * quant_max^2 must fit in int32, so that the sums cannot wrap.
  const Index quant_max = (Index{1} << (bits - 1)) - 1;
  const Index max_k = Index{std::numeric_limits<std::int32_t>::max()} / (quant_max * quant_max);
  if (k > max_k) {
    throw ArgumentError(std::string(op) + ": K = " + std::to_string(k) + " can overflow int32 at " +
                        std::to_string(bits) + " bits (at most " + std::to_string(max_k) + ")");
  }
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
