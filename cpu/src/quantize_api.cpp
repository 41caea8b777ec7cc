// Quantization entry points. Every check the reference makes (bit width, scale,
// NaN/Inf) happens, with the same message, before anything is written: the NaN/Inf
// check rides on the pass that finds max|x| (quantize_scale, quantized_relu), or is
// a pre-scan of its own (quantize with a given scale).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>

#include <tandem/cpu/cache_sizes.h>
#include <tandem/cpu/kernels.h>
#include <tandem/error.h>
#include <tandem/quantization_rules.h>

#include "kernels/tables.h"
#include "parallel.h"
#include "parallel_reduce.h"
#include "run.h"
#include "tuning.h"

namespace tandem::cpu {
namespace {

// Chunk boundaries a multiple of 64 elements: a whole cache line of int8 output.
constexpr std::int64_t kAlign = 64;

const QuantizeKernels& kernels(const char* op, Isa isa) {
  return detail::select(op, isa, kQuantizeByPath);
}

using quant::require_bits;
using quant::require_scale;

// One chunk's scan: its range (lo <= 0 <= hi; the symmetric scan fills hi with max|x|)
// and the index of its first NaN/Inf, or -1.
struct Scan {
  float lo = 0.0f, hi = 0.0f;
  std::int64_t first_bad = -1;
};

// scan_chunk(x, count, &lo, &hi) over x's chunks in parallel, the ranges combined;
// throws on the first NaN/Inf.
template <typename ScanChunk>
Scan checked_scan(const char* op, const float* x, std::int64_t n, int threads,
                  ScanChunk scan_chunk) {
  const auto partials = detail::parallel_partials<Scan>(
      std::max<std::int64_t>(n, 0), threads, tuning::kQuantizeMinPerThread, kAlign,
      [&](std::int64_t begin, std::int64_t end) {
        Scan s;
        const std::int64_t bad = scan_chunk(x + begin, end - begin, &s.lo, &s.hi);
        s.first_bad = bad < 0 ? -1 : begin + bad;
        return s;
      });
  Scan all;
  for (const Scan& s : partials) {  // chunk order: the first bad chunk holds the first bad element
    if (s.first_bad >= 0) {
      throw ArgumentError(std::string(op) + ": input holds " + std::to_string(x[s.first_bad]) +
                          " at element " + std::to_string(s.first_bad) + " of " +
                          std::to_string(n) + "; quantization needs finite values");
    }
    all.lo = std::min(all.lo, s.lo);
    all.hi = std::max(all.hi, s.hi);
  }
  return all;
}

// max|x| and the first NaN/Inf over all of x, threaded; throws on NaN/Inf.
float checked_max_abs(const QuantizeKernels& k, const char* op, const float* x, std::int64_t n,
                      int threads) {
  return checked_scan(op, x, n, threads,
                      [&](const float* p, std::int64_t count, float*, float* max_abs) {
                        return k.scan(p, count, max_abs);
                      })
      .hi;
}

float scale_of(const QuantizeKernels& k, const char* op, const float* x, std::int64_t n, int bits,
               int threads) {
  require_bits(op, bits);
  return quant::symmetric_scale(checked_max_abs(k, op, x, n, threads), bits);
}

template <typename F>
void chunks(std::int64_t n, int threads, F&& f) {
  detail::parallel_chunks(std::max<std::int64_t>(n, 0), threads, tuning::kQuantizeMinPerThread,
                          kAlign, std::forward<F>(f));
}

template <typename Q, typename Kernel>
void quantize_as(Kernel kernel, const float* x, std::int64_t n, float scale, Q* q,
                 const RunOptions& run) {
  const auto& k = kernels("quantize", run.isa);
  require_scale("quantize", scale);
  checked_max_abs(k, "quantize", x, n, run.threads);
  chunks(n, run.threads, [&](std::int64_t begin, std::int64_t end) {
    (k.*kernel)(x + begin, end - begin, scale, q + begin);
  });
}

template <typename Q, typename Kernel>
void dequantize_as(Kernel kernel, Kernel streaming, const Q* q, std::int64_t n, float scale,
                   float* x, const RunOptions& run) {
  const auto& k = kernels("dequantize", run.isa);
  require_scale("dequantize", scale);
  // Outputs beyond the last-level cache are written with streaming stores, as the
  // element-wise ops are (cache_sizes.h), unless they overlap the input.
  const auto out = reinterpret_cast<std::uintptr_t>(x), in = reinterpret_cast<std::uintptr_t>(q);
  const auto out_bytes = static_cast<std::uintptr_t>(n) * sizeof(float);
  const auto in_bytes = static_cast<std::uintptr_t>(n) * sizeof(Q);
  const bool overlap = out < in + in_bytes && in < out + out_bytes;
  const Kernel chosen =
      static_cast<std::int64_t>(out_bytes) >= streaming_store_min_bytes() && !overlap ? streaming
                                                                                      : kernel;
  chunks(n, run.threads, [&](std::int64_t begin, std::int64_t end) {
    (k.*chosen)(q + begin, end - begin, scale, x + begin);
  });
}

template <typename Q, typename Kernel>
float quantize_derived(Kernel kernel, const float* x, std::int64_t n, Q* q, const RunOptions& run) {
  const auto& k = kernels("quantize", run.isa);
  const float scale = scale_of(k, "quantize", x, n, sizeof(Q) * 8, run.threads);
  chunks(n, run.threads, [&](std::int64_t begin, std::int64_t end) {
    (k.*kernel)(x + begin, end - begin, scale, q + begin);
  });
  return scale;
}

}  // namespace

float quantize(const float* x, std::int64_t n, std::int8_t* q, const RunOptions& run) {
  return quantize_derived(&QuantizeKernels::quantize_s8, x, n, q, run);
}
float quantize(const float* x, std::int64_t n, std::int16_t* q, const RunOptions& run) {
  return quantize_derived(&QuantizeKernels::quantize_s16, x, n, q, run);
}

float quantize_scale(const float* x, std::int64_t n, int bits, const RunOptions& run) {
  return scale_of(kernels("quantize", run.isa), "quantize", x, n, bits, run.threads);
}

void quantize(const float* x, std::int64_t n, float scale, std::int8_t* q, const RunOptions& run) {
  quantize_as(&QuantizeKernels::quantize_s8, x, n, scale, q, run);
}
void quantize(const float* x, std::int64_t n, float scale, std::int16_t* q, const RunOptions& run) {
  quantize_as(&QuantizeKernels::quantize_s16, x, n, scale, q, run);
}

void dequantize(const std::int8_t* q, std::int64_t n, float scale, float* x,
                const RunOptions& run) {
  dequantize_as(&QuantizeKernels::dequantize_s8, &QuantizeKernels::dequantize_s8_stream, q, n,
                scale, x, run);
}
void dequantize(const std::int16_t* q, std::int64_t n, float scale, float* x,
                const RunOptions& run) {
  dequantize_as(&QuantizeKernels::dequantize_s16, &QuantizeKernels::dequantize_s16_stream, q, n,
                scale, x, run);
}

void relu_s8(const std::int8_t* q, std::int8_t* y, std::int64_t n, const RunOptions& run) {
  const auto& k = kernels("relu_s8", run.isa);
  chunks(n, run.threads, [&](std::int64_t begin, std::int64_t end) {
    k.relu_q8(q + begin, y + begin, end - begin);
  });
}
void relu_s16(const std::int16_t* q, std::int16_t* y, std::int64_t n, const RunOptions& run) {
  const auto& k = kernels("relu_s16", run.isa);
  chunks(n, run.threads, [&](std::int64_t begin, std::int64_t end) {
    k.relu_q16(q + begin, y + begin, end - begin);
  });
}

quant::AsymmetricParams quantize_asymmetric(const float* x, std::int64_t n, std::uint8_t* q,
                                            const RunOptions& run) {
  const char* op = "quantize_asymmetric";
  const auto& k = kernels(op, run.isa);
  const Scan range = checked_scan(op, x, n, run.threads, k.range);
  const quant::AsymmetricParams params = quant::asymmetric_params(range.lo, range.hi);
  chunks(n, run.threads, [&](std::int64_t begin, std::int64_t end) {
    k.quantize_u8(x + begin, end - begin, params.scale, params.zero_point, q + begin);
  });
  return params;
}

void dequantize(const std::uint8_t* q, std::int64_t n, float scale, std::int32_t zero_point,
                float* x, const RunOptions& run) {
  const auto& k = kernels("dequantize", run.isa);
  require_scale("dequantize", scale);
  quant::require_zero_point("dequantize", "the", zero_point);
  chunks(n, run.threads, [&](std::int64_t begin, std::int64_t end) {
    k.dequantize_u8(q + begin, end - begin, scale, zero_point, x + begin);
  });
}

void relu_u8(const std::uint8_t* q, std::uint8_t* y, std::int64_t n, std::int32_t zero_point,
             const RunOptions& run) {
  const auto& k = kernels("relu_u8", run.isa);
  quant::require_zero_point("relu_u8", "the", zero_point);
  chunks(n, run.threads, [&](std::int64_t begin, std::int64_t end) {
    k.relu_u8(q + begin, y + begin, end - begin, zero_point);
  });
}

void quantized_relu(const float* x, float* y, std::int64_t n, int bits, const RunOptions& run) {
  const auto& k = kernels("quantized_relu", run.isa);
  const float scale = scale_of(k, "quantized_relu", x, n, bits, run.threads);
  const auto kernel = bits == 8 ? k.relu_s8 : k.relu_s16;
  chunks(n, run.threads, [&](std::int64_t begin, std::int64_t end) {
    kernel(x + begin, y + begin, end - begin, scale);
  });
}

}  // namespace tandem::cpu
