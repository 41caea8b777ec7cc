// The integer GEMM (int8 and int16 in, int32 out) and the quantized matmul built on
// it: the shared BLIS loops (gemm_driver.h) around the path's packing and microkernel
// (kernels/igemm.cpp, which describes the packed layouts).
//
// C holds the int32 sums between k blocks. The quantized matmul has no int32 buffer:
// its float C holds them (same size) until the last k block, whose microkernel call
// adds them in and stores float(sum) * (scale_a * scale_b) over them.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
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

// The kernels a call runs, by path and unit (RunOptions::unit): the path's vectors
// (avx512 also needs VNNI here: vpdpbusd, vpdpwssd), AMX tiles for int8 on avx512, or
// the avx2 kernels compiled again with AVX-VNNI (tables.h, avx2_vnni::igemm).
struct UnitOps {
  const IgemmOps& s8;
  const IgemmOps& s16;
  IgemmUnit unit;
};

UnitOps unit_ops(const char* op, Isa isa, IgemmUnit unit) {
  if (!igemm_unit_supported(isa, unit)) {
    detail::require_supported(op, isa);
    if (isa == Isa::avx512 && !has_avx512_vnni()) {
      throw DeviceError(std::string(op) +
                        ": the cpu.avx512 path of the integer GEMM needs AVX-512 VNNI, which this "
                        "CPU lacks");
    }
    const std::string name = igemm_implementation(isa, unit);
    if (const std::optional<Isa> path = igemm_unit_path(unit); path && *path != isa) {
      throw DeviceError(std::string(op) + ": " + name + " belongs to the cpu." +
                        std::string(isa_name(*path)) + " path; this call asked for cpu." +
                        std::string(isa_name(isa)));
    }
    throw DeviceError(std::string(op) + ": " + name + " needs a CPU (and OS) with " +
                      (unit == IgemmUnit::amx ? "AMX-INT8" : "AVX-VNNI"));
  }
  switch (unit) {
    case IgemmUnit::vectors:
      break;
    case IgemmUnit::avx_vnni:
      detail::set_last_isa(isa);
      return {avx2_vnni::igemm.s8, avx2_vnni::igemm.s16, unit};
    case IgemmUnit::amx: {
      const IgemmKernels& kern = detail::select(op, isa, kIgemmByPath);
      return {kern.s8_amx, kern.s16, unit};
    }
  }
  const IgemmKernels& kern = detail::select(op, isa, kIgemmByPath);
  return {kern.s8, kern.s16, unit};
}

// The int8 or int16 operations of a call, recorded as the unit that ran.
const IgemmOps& int8_ops(const UnitOps& ops) {
  detail::set_last_igemm_unit(ops.unit);
  return ops.s8;
}
const IgemmOps& int16_ops(const UnitOps& ops) {  // AMX has no int16: the vectors run it
  detail::set_last_igemm_unit(ops.unit == IgemmUnit::amx ? IgemmUnit::vectors : ops.unit);
  return ops.s16;
}
const IgemmOps& ops_for_bits(const UnitOps& ops, int bits) {
  return bits == 8 ? int8_ops(ops) : int16_ops(ops);
}

// Panel sizes in bytes for kc k values: 32-bit lanes of k_group k values each, kc
// padded to a multiple of k_step.
Index lanes_per_line(const IgemmOps& ops, Index kc) {
  return ceil_div(kc, ops.k_step) * (ops.k_step / ops.k_group);
}
Index a_panel_bytes(const IgemmOps& ops, Index kc) {
  return Index{ops.mr} * 4 * lanes_per_line(ops, kc);
}
Index b_panel_bytes(const IgemmOps& ops, Index kc) {
  return Index{ops.nr} * 4 * (lanes_per_line(ops, kc) + (ops.b_offsets ? 1 : 0));
}

struct Problem {
  Index m, n, k;
  const Byte* a;
  Index lda;
  const Byte* b;  // plain B, unless packed_b
  Index ldb;
  const PackedIntegerB* packed_b;  // B packed once (its panels, its kc)
  Byte* c;                         // int32 sums (a float result's own storage may hold them)
  Index ldc;
  Index element_bytes;      // of A and B: 1 or 2
  bool a_unsigned = false;  // A is uint8, packed as the int8 A - 128 (IgemmOps::pack_a_unsigned)
  // The last k block's store when it finishes the sums (IgemmStore::finish): its
  // scales, bias, activation, requantization, and out (out_bytes per element).
  bool finishes = false;
  IgemmStore finish;
  Byte* out = nullptr;
  Index out_bytes = 4;
  // A wide product (IgemmStore::wide): C is int64, the sums are added times 2^shift,
  // from the first k block on with accumulate_all (a second pass over the same C).
  bool wide = false;
  int shift = 0;
  bool accumulate_all = false;
};

// The 16-bit layer's k block: x's halves times 16-bit weights, summed in int32 over at
// most this many k values (128 pairs), cannot overflow before the int64 flush
// (128 * 2 * 255 * 32768 < 2^31; the high half's |x| <= 128 is smaller still).
constexpr Index kWideKc = 256;

// The integer blocking, as sgemm's in packed bytes per k value (4 / k_group), with a
// B micro-panel that fills L1 and kc up to 2048: kc 1024 for int8 and 512 for int16
// with a 32 KiB L1 (measured on Zen 4 at 2048^3, one thread: int8 380 GOP/s at kc 1024
// against 357 at 512 and 309 at 256; int16 193 at 512 against 177 at 256).
detail::BlockingRule blocking_rule(const IgemmOps& ops) {
  return {ops.mr,
          ops.nr,
          /*bytes_per_k=*/4 / ops.k_group,
          /*l1_percent=*/100,
          /*kc_step=*/16,
          /*kc_min=*/64,
          /*kc_max=*/2048,
          /*k_group=*/ops.k_step,
          /*b_block_in_l2=*/ops.b_block_in_l2};
}

// Where k block `pc` of a packed B starts: every block before the last is kc long.
Index packed_block_offset(const IgemmOps& ops, Index n, Index kc, Index pc) {
  return pc / kc * ceil_div(n, ops.nr) * b_panel_bytes(ops, kc);
}

// The integer GEMM as the shared loops see it (gemm_driver.h): byte panels of 32-bit
// lanes; the microkernel adds earlier k blocks' sums from C and, in the last k block
// of a quantized product, finishes them (IgemmStore).
struct IgemmView {
  const IgemmOps& ops;
  const Problem& p;

  // The unit's per-thread state (AMX tiles), set up for a thread's share of the call.
  struct ThreadScope {
    const IgemmOps& ops;
    explicit ThreadScope(const IgemmOps& o) : ops(o) {
      if (ops.begin_thread != nullptr) ops.begin_thread();
    }
    ~ThreadScope() {
      if (ops.end_thread != nullptr) ops.end_thread();
    }
    ThreadScope(const ThreadScope&) = delete;
    ThreadScope& operator=(const ThreadScope&) = delete;
  };
  ThreadScope thread_scope() const { return ThreadScope(ops); }

  Index a_panel(Index kc) const { return a_panel_bytes(ops, kc); }
  Index b_panel(Index kc) const { return b_panel_bytes(ops, kc); }
  void pack_a(Index ic, Index pc, Index rows, Index kc, Byte* dst) const {
    const Index eb = p.element_bytes, units = a_panel(kc);
    const auto pack = p.a_unsigned ? ops.pack_a_unsigned : ops.pack_a;
    for (Index ir = 0; ir < rows; ir += ops.mr) {
      pack(p.a + ((ic + ir) * p.lda + pc) * eb, p.lda, std::min<Index>(ops.mr, rows - ir), kc,
           dst + ir / ops.mr * units);
    }
  }
  bool packs_b() const { return p.packed_b == nullptr; }
  const Byte* pack_b(Index pc, Index col, Index kc, Index cols, Byte* dst) const {
    const Index units = b_panel(kc);
    if (p.packed_b != nullptr) {
      return p.packed_b->data() + packed_block_offset(ops, p.n, p.packed_b->kc(), pc) +
             col / ops.nr * units;
    }
    for (Index j = 0; j < cols; j += ops.nr) {
      ops.pack_b(p.b + (pc * p.ldb + col + j) * p.element_bytes, p.ldb, kc,
                 std::min<Index>(ops.nr, cols - j), dst + j / ops.nr * units);
    }
    return dst;
  }
  void micro(Index kc, const Byte* pa, const Byte* pb, Index row, Index col, Index rows, Index cols,
             Index pc, bool last_k) const {
    IgemmStore store;
    if (p.finishes && last_k) {
      store = p.finish;
      store.finish = true;
      store.scales += col * store.scale_stride;
      if (store.bias != nullptr) store.bias += col;
      if (store.column_offsets != nullptr) store.column_offsets += col;
      store.out = p.out + (row * store.ldo + col) * p.out_bytes;
    }
    store.accumulate = pc > 0 || p.accumulate_all;
    store.wide = p.wide;
    store.shift = p.shift;
    const Index c_bytes = p.wide ? 8 : 4;
    ops.microkernel(kc, pa, pb, p.c + (row * p.ldc + col) * c_bytes, p.ldc, rows, cols, store);
  }
};

// K = 0: every output is the store's finish of a zero sum, as the microkernel's would be.
void finish_zero_sums(const Problem& p) {
  const IgemmStore& f = p.finish;
  for (Index i = 0; i < p.m; ++i) {
    for (Index j = 0; j < p.n; ++j) {
      const auto sum = static_cast<float>(f.column_offsets != nullptr ? f.column_offsets[j] : 0);
      float y = sum * f.scales[j * f.scale_stride];
      if (f.bias != nullptr) y += f.bias[j];
      y = activate(f.activation, y);
      if (f.requantize) {
        const float q = std::nearbyint(std::clamp(y * f.inverse_out_scale, f.out_lo, f.out_hi));
        const auto code = static_cast<std::int32_t>(q) + f.out_zero_point;
        if (f.out_unsigned) {
          reinterpret_cast<std::uint8_t*>(p.out)[i * f.ldo + j] = static_cast<std::uint8_t>(code);
        } else {
          reinterpret_cast<std::int8_t*>(p.out)[i * f.ldo + j] = static_cast<std::int8_t>(code);
        }
      } else {
        reinterpret_cast<float*>(p.out)[i * f.ldo + j] = y;
      }
    }
  }
}

void run_gemm(const char* op, const IgemmOps& ops, const Problem& p, int requested_threads,
              const GemmBlocking& blocking) {
  const Index m = p.m, n = p.n, k = p.k;
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {  // every sum is 0
    if (p.finishes) {
      finish_zero_sums(p);
      return;
    }
    for (Index i = 0; i < m; ++i) {  // int32 0: all-zero bytes
      std::memset(p.c + i * p.ldc * 4, 0, static_cast<std::size_t>(n) * 4);
    }
    return;
  }
  const int threads =
      detail::gemm_threads(m, n, k, tuning::kIgemmMinMacsPerThread, requested_threads);
  GemmBlocking used = detail::blocking_used(blocking_rule(ops), m, n, k, threads, blocking,
                                            /*b_prepacked=*/p.packed_b != nullptr);
  if (p.packed_b != nullptr) used.kc = p.packed_b->kc();
  detail::blis_loops<Byte>(op, IgemmView{ops, p}, m, n, k, used, ops.mr, ops.nr, threads);
}

template <typename T>
Problem integer_problem(Index m, Index n, Index k, const T* a, Index lda, const T* b, Index ldb,
                        std::int32_t* c, Index ldc) {
  Problem p{};
  p.m = m;
  p.n = n;
  p.k = k;
  p.a = reinterpret_cast<const Byte*>(a);
  p.lda = lda;
  p.b = reinterpret_cast<const Byte*>(b);
  p.ldb = ldb;
  p.c = reinterpret_cast<Byte*>(c);
  p.ldc = ldc;
  p.element_bytes = static_cast<Index>(sizeof(T));
  return p;
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
void quantized_matmul_as(const char* op, const IgemmOps& ops, const QuantizeKernels& qk,
                         const float* a, const float* b, float* c, Index m, Index n, Index k,
                         float scale_a, float scale_b, int threads) {
  const auto qa = std::make_unique_for_overwrite<Q[]>(static_cast<std::size_t>(m * k));
  const auto qb = std::make_unique_for_overwrite<Q[]>(static_cast<std::size_t>(k * n));
  quantize_into(qk, a, m * k, scale_a, qa.get(), threads);
  quantize_into(qk, b, k * n, scale_b, qb.get(), threads);
  const float scale = scale_a * scale_b;
  Problem p =
      integer_problem(m, n, k, qa.get(), k, qb.get(), n, reinterpret_cast<std::int32_t*>(c), n);
  p.finishes = true;
  p.finish.scales = &scale;
  p.finish.ldo = n;
  p.out = reinterpret_cast<Byte*>(c);  // the sums are finished where they were kept
  run_gemm(op, ops, p, threads, {});
}

}  // namespace

namespace {

// 16 bits: the int32 sums of the plain integer GEMM would wrap past K = 2, so A and B
// go through the quantized layer's GEMM, whose 16-bit sums are int64 (x split into
// bytes): exact for any K, and the same float(sum) * (scale_a * scale_b) in the store.
void quantized_matmul_wide(const QuantizeKernels& qk, const float* a, const float* b, float* c,
                           Index m, Index n, Index k, float scale_a, float scale_b,
                           const RunOptions& run) {
  const auto qa = std::make_unique_for_overwrite<std::int16_t[]>(static_cast<std::size_t>(m * k));
  const auto qb = std::make_unique_for_overwrite<std::int16_t[]>(static_cast<std::size_t>(k * n));
  quantize_into(qk, a, m * k, scale_a, qa.get(), run.threads);
  quantize_into(qk, b, k * n, scale_b, qb.get(), run.threads);
  const float scale = scale_a * scale_b;
  const PackedIntegerB packed(qb.get(), n, k, n, run.isa, run.unit);
  quantized_linear(m, qa.get(), k, packed,
                   QuantizedEpilogue{&scale, false, nullptr, Activation::none}, c, n, run);
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
  run_gemm(op, int8_ops(unit_ops(op, run.isa, run.unit)),
           integer_problem(m, n, k, a, lda, b, ldb, c, ldc), run.threads, blocking);
}

void gemm_s16s16s32(Index m, Index n, Index k, const std::int16_t* a, Index lda,
                    const std::int16_t* b, Index ldb, std::int32_t* c, Index ldc,
                    const RunOptions& run, const GemmBlocking& blocking) {
  const char* op = "gemm_s16s16s32";
  run_gemm(op, int16_ops(unit_ops(op, run.isa, run.unit)),
           integer_problem(m, n, k, a, lda, b, ldb, c, ldc), run.threads, blocking);
}

void quantized_matmul(const float* a, const float* b, float* c, Index m, Index n, Index k, int bits,
                      const RunOptions& run) {
  const char* op = "quantized_matmul";
  quant::require_bits(op, bits);
  quant::require_exact_host_k(op, k, bits);
  const UnitOps ops = unit_ops(op, run.isa, run.unit);
  const QuantizeKernels& qk = quantize_kernels(op, run.isa);
  const float scale_a = quantize_scale_of(qk, op, "A", a, m * k, bits);
  const float scale_b = quantize_scale_of(qk, op, "B", b, k * n, bits);
  (void)quant::dequantization_scale(op, scale_a, scale_b);
  if (m <= 0 || n <= 0) return;
  if (bits == 8) {
    quantized_matmul_as<std::int8_t>(op, int8_ops(ops), qk, a, b, c, m, n, k, scale_a, scale_b,
                                     run.threads);
  } else {
    quantized_matmul_wide(qk, a, b, c, m, n, k, scale_a, scale_b, run);
  }
}

// ---- Quantized layers ----------------------------------------------------------------------

template <typename T>
void PackedIntegerB::pack(const T* b, Index ldb) {
  const char* op = "PackedIntegerB";
  const UnitOps unit = unit_ops(op, isa_, unit_);
  const IgemmOps& ops = sizeof(T) == 1 ? unit.s8 : unit.s16;
  // The k block every product with these weights runs (it depends on K alone); 16-bit
  // weights take the wide product's short blocks (kWideKc).
  GemmBlocking given;
  if (sizeof(T) == 2) given.kc = kWideKc;
  kc_ = k_ > 0
            ? detail::blocking_used(blocking_rule(ops), 1, std::max<Index>(n_, 1), k_, 1, given).kc
            : 1;
  const Index panels = ceil_div(n_, ops.nr);
  Index total = 0;
  for (Index pc = 0; pc < k_; pc += kc_) {
    total += panels * b_panel_bytes(ops, std::min(kc_, k_ - pc));
  }
  auto storage = detail::allocate_packing<Byte>(op, total);
  for (Index pc = 0; pc < k_; pc += kc_) {
    const Index kc_now = std::min(kc_, k_ - pc), units = b_panel_bytes(ops, kc_now);
    Byte* block = storage.get() + packed_block_offset(ops, n_, kc_, pc);
    for (Index j = 0; j < panels; ++j) {
      ops.pack_b(b + pc * ldb + j * ops.nr, ldb, kc_now, std::min<Index>(ops.nr, n_ - j * ops.nr),
                 block + j * units);
    }
  }
  bytes_ = static_cast<std::size_t>(total);
  data_ = std::shared_ptr<const Byte[]>(storage.release(), detail::FreeDeleter{});
  if constexpr (sizeof(T) == 1) {
    // Modulo 2^32, as the GEMM's sums (|sum| <= 128 * K: exact for any K a layer is).
    std::vector<std::uint32_t> sums(static_cast<std::size_t>(n_), 0);
    for (Index p = 0; p < k_; ++p) {
      for (Index j = 0; j < n_; ++j) {
        sums[static_cast<std::size_t>(j)] += static_cast<std::uint32_t>(b[p * ldb + j]);
      }
    }
    auto column_sums = std::make_shared<std::int32_t[]>(static_cast<std::size_t>(n_));
    for (Index j = 0; j < n_; ++j) {
      column_sums[j] = static_cast<std::int32_t>(sums[static_cast<std::size_t>(j)]);
    }
    column_sums_ = std::move(column_sums);
    bytes_ += static_cast<std::size_t>(n_) * sizeof(std::int32_t);
  }
}

PackedIntegerB::PackedIntegerB(const std::int8_t* b, Index ldb, Index k, Index n, Isa isa,
                               IgemmUnit unit)
    : isa_(isa), unit_(unit), bits_(8), k_(k), n_(n), kc_(1) {
  pack(b, ldb);
}
PackedIntegerB::PackedIntegerB(const std::int16_t* b, Index ldb, Index k, Index n, Isa isa,
                               IgemmUnit unit)
    : isa_(isa), unit_(unit), bits_(16), k_(k), n_(n), kc_(1) {
  pack(b, ldb);
}

namespace {

// The 16-bit layer, exact for any K: x = 256 * hi + lo (hi = x >> 8 in [-128, 127], lo
// = x & 255), so x * w = 256 * (hi * w) + lo * w. Each half runs the 16-bit GEMM in k
// blocks of kWideKc, whose int32 sums cannot overflow, added into int64 sums: hi's
// times 256 first, then lo's, whose last block finishes the layer. Twice the 16-bit
// GEMM's work: the price of exact 16-bit products at any K.
void run_wide(const IgemmOps& ops, const Problem& layer, int threads,
              const GemmBlocking& blocking) {
  const char* op = "quantized_linear";
  const Index m = layer.m, n = layer.n, k = layer.k;
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    run_gemm(op, ops, layer, threads, blocking);  // finishes the zero sums
    return;
  }
  auto halves = detail::allocate_packing<std::int16_t>(op, 2 * m * k);
  std::int16_t* hi = halves.get();
  std::int16_t* lo = hi + m * k;
  for (Index i = 0; i < m; ++i) {
    const auto* row = reinterpret_cast<const std::int16_t*>(layer.a) + i * layer.lda;
    for (Index p = 0; p < k; ++p) {
      hi[i * k + p] = static_cast<std::int16_t>(row[p] >> 8);
      lo[i * k + p] = static_cast<std::int16_t>(row[p] & 0xFF);
    }
  }
  auto sums = detail::allocate_packing<std::int64_t>(op, m * n);
  Problem high = layer;
  high.a = reinterpret_cast<const Byte*>(hi);
  high.lda = k;
  high.c = reinterpret_cast<Byte*>(sums.get());
  high.ldc = n;
  high.wide = true;
  high.shift = 8;
  high.finishes = false;
  run_gemm(op, ops, high, threads, blocking);
  Problem low = high;
  low.a = reinterpret_cast<const Byte*>(lo);
  low.shift = 0;
  low.accumulate_all = true;
  low.finishes = true;
  run_gemm(op, ops, low, threads, blocking);
}

// A layer's y: float, or requantized to int8 or uint8 (with a zero point).
struct LayerOutput {
  enum class Type : std::uint8_t { f32, s8, u8 } type = Type::f32;
  float scale = 1.0f;
  std::int32_t zero_point = 0;
};

// y = epilogue(A * B) into float (out_bytes 4) or requantized int8/uint8 (out_bytes 1).
void run_quantized_linear(Index m, const void* a, Index lda, const PackedIntegerB& b,
                          const QuantizedEpilogue& e, const LayerOutput& output, Byte* y, Index ldy,
                          const RunOptions& run, const GemmBlocking& blocking) {
  const char* op = "quantized_linear";
  const bool requantize = output.type != LayerOutput::Type::f32;
  if (run.isa != b.isa() || run.unit != b.unit()) {
    throw ArgumentError(std::string(op) + ": the weights were packed for " +
                        igemm_implementation(b.isa(), b.unit()) + ", not " +
                        igemm_implementation(run.isa, run.unit));
  }
  const IgemmOps& ops = ops_for_bits(unit_ops(op, b.isa(), b.unit()), b.bits());
  const Index n = b.n(), k = b.k();
  if (b.bits() != 8 && (e.x_unsigned || output.type == LayerOutput::Type::u8)) {
    throw ArgumentError(std::string(op) + ": uint8 " + (e.x_unsigned ? "x" : "y") +
                        " needs 8-bit weights, not " + std::to_string(b.bits()) + "-bit");
  }
  if (e.x_unsigned) quant::require_zero_point(op, "x's", e.x_zero_point);
  if (output.type == LayerOutput::Type::u8) quant::require_zero_point(op, "y's", output.zero_point);
  Problem p{};
  p.m = m;
  p.n = n;
  p.k = k;
  p.a = static_cast<const Byte*>(a);
  p.lda = lda;
  p.packed_b = &b;
  p.element_bytes = b.bits() / 8;
  p.finishes = true;
  p.finish.scales = e.scales;
  p.finish.scale_stride = e.per_column ? 1 : 0;
  p.finish.bias = e.bias;
  p.finish.activation = e.activation;
  p.finish.requantize = requantize;
  p.finish.inverse_out_scale = 1.0f / output.scale;
  if (output.type == LayerOutput::Type::u8) {
    p.finish.out_unsigned = true;
    p.finish.out_zero_point = output.zero_point;
    p.finish.out_lo = static_cast<float>(-output.zero_point);
    p.finish.out_hi = static_cast<float>(quant::kU8Max - output.zero_point);
  }
  p.finish.ldo = ldy;
  p.out = y;
  p.out_bytes = requantize ? 1 : 4;
  if (b.bits() == 16) {
    run_wide(ops, p, run.threads, blocking);
    return;
  }
  std::vector<std::int32_t> offsets;
  if (e.x_unsigned) {
    // The GEMM multiplies x - 128 (packed so: pack_a_unsigned), and (x - zp) * w =
    // (x - 128) * w + (128 - zp) * w: int32 arithmetic that wraps as the GEMM's sums
    // do (unsigned here, where wrapping is defined).
    p.a_unsigned = true;
    offsets.resize(static_cast<std::size_t>(n));
    const auto factor = static_cast<std::uint32_t>(128 - e.x_zero_point);
    for (Index j = 0; j < n; ++j) {
      offsets[static_cast<std::size_t>(j)] =
          static_cast<std::int32_t>(factor * static_cast<std::uint32_t>(b.column_sums()[j]));
    }
    p.finish.column_offsets = offsets.data();
  }
  // The int32 sums between k blocks: in a float y's own storage (the same size), in a
  // scratch buffer for an int8 y that takes more than one k block.
  std::unique_ptr<std::int32_t[], detail::FreeDeleter> scratch;
  if (requantize && k > b.kc()) {
    scratch = detail::allocate_packing<std::int32_t>(op, m * n);
    p.c = reinterpret_cast<Byte*>(scratch.get());
    p.ldc = n;
  } else {
    p.c = y;  // never read as sums within a single k block
    p.ldc = ldy;
  }
  run_gemm(op, ops, p, run.threads, blocking);
}

}  // namespace

void quantized_linear(Index m, const void* a, Index lda, const PackedIntegerB& b,
                      const QuantizedEpilogue& epilogue, float* y, Index ldy, const RunOptions& run,
                      const GemmBlocking& blocking) {
  run_quantized_linear(m, a, lda, b, epilogue, {}, reinterpret_cast<Byte*>(y), ldy, run, blocking);
}

void quantized_linear(Index m, const void* a, Index lda, const PackedIntegerB& b,
                      const QuantizedEpilogue& epilogue, float out_scale, std::int8_t* y, Index ldy,
                      const RunOptions& run, const GemmBlocking& blocking) {
  quant::require_scale("quantized_linear", out_scale);
  run_quantized_linear(m, a, lda, b, epilogue, {LayerOutput::Type::s8, out_scale, 0},
                       reinterpret_cast<Byte*>(y), ldy, run, blocking);
}

void quantized_linear(Index m, const void* a, Index lda, const PackedIntegerB& b,
                      const QuantizedEpilogue& epilogue, float out_scale,
                      std::int32_t out_zero_point, std::uint8_t* y, Index ldy,
                      const RunOptions& run, const GemmBlocking& blocking) {
  quant::require_scale("quantized_linear", out_scale);
  run_quantized_linear(m, a, lda, b, epilogue, {LayerOutput::Type::u8, out_scale, out_zero_point},
                       reinterpret_cast<Byte*>(y), ldy, run, blocking);
}

}  // namespace tandem::cpu
