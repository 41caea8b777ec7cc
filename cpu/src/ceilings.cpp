// Independent chains cover the FMA latency times the FMA pipes (5 x 2 on Zen 2, 4 x 2
// on Intel cores), as many as 16 registers hold beside the two constants. The
// accumulators are written to a volatile so that the loop is not optimized away.
#include <immintrin.h>

#include <string>

#include <tandem/cpu/ceilings.h>
#include <tandem/error.h>

#include "amx_tiles.h"

namespace tandem::cpu {
namespace {

constexpr int kChains = 14;

// Through memory: GCC 12 warns (-Wuninitialized) inside _mm512_reduce_add_ps.
__attribute__((target("avx512f"))) float lanes_sum(__m512 v) {
  float lanes[16];
  _mm512_storeu_ps(lanes, v);
  float s = 0.0f;
  for (const float x : lanes) s += x;
  return s;
}
volatile float g_sink = 0.0f;

__attribute__((target("avx2,fma"))) double loop_avx2(std::int64_t iterations) {
  __m256 acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = _mm256_set1_ps(static_cast<float>(i));
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  for (std::int64_t it = 0; it < iterations; ++it) {
    for (int i = 0; i < kChains; ++i) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
  }
  __m256 sum = acc[0];
  for (int i = 1; i < kChains; ++i) sum = _mm256_add_ps(sum, acc[i]);
  g_sink = _mm256_cvtss_f32(sum);
  return 2.0 * 8 * kChains * static_cast<double>(iterations);
}

__attribute__((target("avx512f"))) double loop_avx512(std::int64_t iterations) {
  __m512 acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = _mm512_set1_ps(static_cast<float>(i));
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
  for (std::int64_t it = 0; it < iterations; ++it) {
    for (int i = 0; i < kChains; ++i) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
  }
  __m512 sum = acc[0];
  for (int i = 1; i < kChains; ++i) sum = _mm512_add_ps(sum, acc[i]);
  g_sink = lanes_sum(sum);
  return 2.0 * 16 * kChains * static_cast<double>(iterations);
}

// The baseline path has no FMA: its GEMM multiplies, then adds, as this loop does
// (the same two flops per lane, in two instructions).
double loop_baseline(std::int64_t iterations) {
  __m128 acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = _mm_set1_ps(static_cast<float>(i));
  const __m128 a = _mm_set1_ps(0.999999f), b = _mm_set1_ps(1e-7f);
  for (std::int64_t it = 0; it < iterations; ++it) {
    for (int i = 0; i < kChains; ++i) acc[i] = _mm_add_ps(_mm_mul_ps(acc[i], a), b);
  }
  __m128 sum = acc[0];
  for (int i = 1; i < kChains; ++i) sum = _mm_add_ps(sum, acc[i]);
  g_sink = _mm_cvtss_f32(sum);
  return 2.0 * 4 * kChains * static_cast<double>(iterations);
}

__attribute__((target("avx512f,avx512bw,avx512vnni"))) double loop_vnni(std::int64_t iterations) {
  __m512i acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = _mm512_set1_epi32(i);
  const __m512i a = _mm512_set1_epi8(3), b = _mm512_set1_epi8(-2);
  for (std::int64_t it = 0; it < iterations; ++it) {
    for (int i = 0; i < kChains; ++i) acc[i] = _mm512_dpbusd_epi32(acc[i], a, b);
  }
  __m512i sum = acc[0];
  for (int i = 1; i < kChains; ++i) sum = _mm512_add_epi32(sum, acc[i]);
  g_sink = lanes_sum(_mm512_maskz_cvtepi32_ps(0xFFFF, sum));  // maskz: GCC 12's -Wuninitialized
  return 2.0 * 64 * kChains * static_cast<double>(iterations);
}

__attribute__((target("avx2,avxvnni"))) double loop_avx_vnni(std::int64_t iterations) {
  __m256i acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = _mm256_set1_epi32(i);
  const __m256i a = _mm256_set1_epi8(3), b = _mm256_set1_epi8(-2);
  for (std::int64_t it = 0; it < iterations; ++it) {
    for (int i = 0; i < kChains; ++i) acc[i] = _mm256_dpbusd_avx_epi32(acc[i], a, b);
  }
  __m256i sum = acc[0];
  for (int i = 1; i < kChains; ++i) sum = _mm256_add_epi32(sum, acc[i]);
  g_sink = static_cast<float>(_mm256_extract_epi32(sum, 0));
  return 2.0 * 32 * kChains * static_cast<double>(iterations);
}

__attribute__((target("amx-tile,amx-int8"))) double loop_amx(std::int64_t iterations) {
  alignas(64) static const std::int8_t operand[16 * 64] = {};
  alignas(64) std::int32_t out[16 * 16];
  _tile_loadconfig(&kAmxTiles16x64);
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
  _tile_loadd(4, operand, 64);
  _tile_loadd(5, operand, 64);
  _tile_loadd(6, operand, 64);
  _tile_loadd(7, operand, 64);
  for (std::int64_t it = 0; it < iterations; ++it) {
    _tile_dpbssd(0, 4, 6);
    _tile_dpbssd(1, 4, 7);
    _tile_dpbssd(2, 5, 6);
    _tile_dpbssd(3, 5, 7);
  }
  _tile_stored(0, out, 64);
  _tile_release();
  g_sink = static_cast<float>(out[0]);
  return 2.0 * 4 * 16 * 16 * 64 * static_cast<double>(iterations);
}

constexpr int kSumAccumulators = 8;

}  // namespace

namespace {

// A whole line per store where the path has it: write-combining then never holds a
// partial line (16-byte SSE stores reach 80% of what 64-byte ones do on Zen 4).
__attribute__((target("avx512f"))) void stream_avx512(const float* x, float* y, std::int64_t n,
                                                      int passes) {
  const std::int64_t body = n / 16 * 16;
  for (int p = 0; p < passes; ++p) {
    for (std::int64_t i = 0; i < body; i += 16) _mm512_stream_ps(y + i, _mm512_load_ps(x + i));
    for (std::int64_t i = body; i < n; i += 4) _mm_stream_ps(y + i, _mm_load_ps(x + i));
    _mm_sfence();
  }
}

__attribute__((target("avx2"))) void stream_avx2(const float* x, float* y, std::int64_t n,
                                                 int passes) {
  const std::int64_t body = n / 8 * 8;
  for (int p = 0; p < passes; ++p) {
    for (std::int64_t i = 0; i < body; i += 8) _mm256_stream_ps(y + i, _mm256_load_ps(x + i));
    for (std::int64_t i = body; i < n; i += 4) _mm_stream_ps(y + i, _mm_load_ps(x + i));
    _mm_sfence();
  }
}

void stream_sse(const float* x, float* y, std::int64_t n, int passes) {
  for (int p = 0; p < passes; ++p) {
    for (std::int64_t i = 0; i < n; i += 4) _mm_stream_ps(y + i, _mm_load_ps(x + i));
    _mm_sfence();
  }
}

}  // namespace

void stream_copy_floats(Isa isa, const float* x, float* y, std::int64_t n, int passes) {
  if (!isa_supported(isa)) {
    throw DeviceError("stream_copy_floats: the cpu." + std::string(isa_name(isa)) +
                      " path is not supported by this CPU");
  }
  switch (isa) {
    case Isa::avx512:
      return stream_avx512(x, y, n, passes);
    case Isa::avx2:
      return stream_avx2(x, y, n, passes);
    case Isa::baseline:
      break;
  }
  stream_sse(x, y, n, passes);
}

namespace {

__attribute__((target("avx2"))) float sum_avx2(const float* x, std::int64_t n, int passes) {
  __m256 acc[kSumAccumulators];
  for (__m256& a : acc) a = _mm256_setzero_ps();
  const std::int64_t body = n / (8 * kSumAccumulators) * (8 * kSumAccumulators);
  for (int p = 0; p < passes; ++p) {
    for (std::int64_t i = 0; i < body; i += 8 * kSumAccumulators) {
      for (int j = 0; j < kSumAccumulators; ++j) {
        acc[j] = _mm256_add_ps(acc[j], _mm256_loadu_ps(x + i + 8 * j));
      }
    }
  }
  for (int j = 1; j < kSumAccumulators; ++j) acc[0] = _mm256_add_ps(acc[0], acc[j]);
  float lanes[8];
  _mm256_storeu_ps(lanes, acc[0]);
  float s = 0.0f;
  for (const float v : lanes) s += v;
  for (std::int64_t i = body; i < n; ++i) s += x[i];
  return s;
}

__attribute__((target("avx512f"))) float sum_avx512(const float* x, std::int64_t n, int passes) {
  __m512 acc[kSumAccumulators];
  for (__m512& a : acc) a = _mm512_setzero_ps();
  const std::int64_t body = n / (16 * kSumAccumulators) * (16 * kSumAccumulators);
  for (int p = 0; p < passes; ++p) {
    for (std::int64_t i = 0; i < body; i += 16 * kSumAccumulators) {
      for (int j = 0; j < kSumAccumulators; ++j) {
        acc[j] = _mm512_add_ps(acc[j], _mm512_loadu_ps(x + i + 16 * j));
      }
    }
  }
  for (int j = 1; j < kSumAccumulators; ++j) acc[0] = _mm512_add_ps(acc[0], acc[j]);
  float s = lanes_sum(acc[0]);
  for (std::int64_t i = body; i < n; ++i) s += x[i];
  return s;
}

float sum_baseline(const float* x, std::int64_t n, int passes) {
  __m128 acc[kSumAccumulators];
  for (__m128& a : acc) a = _mm_setzero_ps();
  const std::int64_t body = n / (4 * kSumAccumulators) * (4 * kSumAccumulators);
  for (int p = 0; p < passes; ++p) {
    for (std::int64_t i = 0; i < body; i += 4 * kSumAccumulators) {
      for (int j = 0; j < kSumAccumulators; ++j) {
        acc[j] = _mm_add_ps(acc[j], _mm_loadu_ps(x + i + 4 * j));
      }
    }
  }
  for (int j = 1; j < kSumAccumulators; ++j) acc[0] = _mm_add_ps(acc[0], acc[j]);
  float lanes[4];
  _mm_storeu_ps(lanes, acc[0]);
  float s = lanes[0] + lanes[1] + lanes[2] + lanes[3];
  for (std::int64_t i = body; i < n; ++i) s += x[i];
  return s;
}

}  // namespace

float sum_floats(Isa isa, const float* x, std::int64_t n, int passes) {
  if (!isa_supported(isa)) {
    throw DeviceError("sum_floats: the cpu." + std::string(isa_name(isa)) +
                      " path is not supported by this CPU");
  }
  switch (isa) {
    case Isa::avx512:
      return sum_avx512(x, n, passes);
    case Isa::avx2:
      return sum_avx2(x, n, passes);
    case Isa::baseline:
      break;
  }
  return sum_baseline(x, n, passes);
}

double fma_peak_loop(Isa isa, std::int64_t iterations) {
  if (!isa_supported(isa)) {
    throw DeviceError("fma_peak_loop: the cpu." + std::string(isa_name(isa)) +
                      " path is not supported by this CPU");
  }
  switch (isa) {
    case Isa::avx512:
      return loop_avx512(iterations);
    case Isa::avx2:
      return loop_avx2(iterations);
    case Isa::baseline:
      break;
  }
  return loop_baseline(iterations);
}

double int8_peak_loop(Isa isa, IgemmUnit unit, std::int64_t iterations) {
  const std::string name = igemm_implementation(isa, unit);
  if (!igemm_unit_supported(isa, unit)) {
    throw DeviceError("int8_peak_loop: this CPU (or its OS) cannot run " + name);
  }
  if (unit == IgemmUnit::amx) return loop_amx(iterations);
  if (unit == IgemmUnit::avx_vnni) return loop_avx_vnni(iterations);
  if (isa != Isa::avx512)
    throw DeviceError("int8_peak_loop: " + name + " has no int8 multiply-add");
  return loop_vnni(iterations);
}

}  // namespace tandem::cpu
