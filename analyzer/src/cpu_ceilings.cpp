#include "cpu_ceilings.h"

#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>

#include <fmt/format.h>

#include <tandem/cpu/ceilings.h>
#include <tandem/cpu/cpu_info.h>
#include <tandem/cpu/isa.h>
#include <tandem/error.h>

namespace tandem::analyzer {
namespace {

using nlohmann::json;

std::string mib(std::int64_t bytes) {
  return bytes >= (1 << 20) ? fmt::format("{:g} MiB", static_cast<double>(bytes) / (1 << 20))
                            : fmt::format("{:g} KiB", static_cast<double>(bytes) / 1024);
}

// Read and copy bandwidth with `threads` threads, each on its own array of
// per_thread_bytes, enough times over to run about a millisecond: a sum of the array,
// and a copy of its first half onto its second (bytes read and written counted): the
// faster of memcpy and, beyond L2, a copy with streaming stores (as the element-wise
// kernels write large outputs).
std::pair<Measurement, Measurement> level_bandwidth(std::int64_t per_thread_bytes, int threads,
                                                    bool quick) {
  const std::int64_t n = std::max<std::int64_t>(per_thread_bytes / 4, 64);
  const int passes = static_cast<int>(std::max<std::int64_t>(1, (std::int64_t{1} << 21) / n));
  // 64-byte aligned (no load splits a cache line), first touched by its thread.
  struct Free {
    void operator()(float* p) const { std::free(p); }
  };
  std::vector<std::unique_ptr<float[], Free>> arrays(static_cast<std::size_t>(threads));
  const auto padded = static_cast<std::size_t>((n * 4 + 63) / 64 * 64);
#pragma omp parallel num_threads(threads)
  {
    auto& a = arrays[static_cast<std::size_t>(omp_get_thread_num())];
    a.reset(static_cast<float*>(std::aligned_alloc(64, padded)));
    if (a) std::fill(a.get(), a.get() + n, 1.0f);
  }
  for (const auto& a : arrays) {
    if (!a) throw DeviceError(fmt::format("analyze: cannot allocate {} for the sweep", mib(n * 4)));
  }
  const cpu::Isa isa = cpu::best_isa();
  volatile float sink = 0.0f;
  const Measurement read = measure_us(
      [&] {
#pragma omp parallel num_threads(threads)
        {
          const float* a = arrays[static_cast<std::size_t>(omp_get_thread_num())].get();
          const float s = cpu::sum_floats(isa, a, n, passes);
          if (s == -1.0f) sink = s;
        }
      },
      quick);
  const std::int64_t half = n / 2 / 16 * 16;  // 64-byte aligned halves
  Measurement copy = measure_us(
      [&] {
#pragma omp parallel num_threads(threads)
        {
          float* a = arrays[static_cast<std::size_t>(omp_get_thread_num())].get();
          for (int p = 0; p < passes; ++p) {
            std::memcpy(a + half, a, static_cast<std::size_t>(half) * sizeof(float));
            asm volatile("" : : "r"(a) : "memory");  // every pass is a real copy
          }
        }
      },
      quick);
  if (per_thread_bytes > cpu::cpu_info().l2_bytes) {
    const Measurement streamed = measure_us(
        [&] {
#pragma omp parallel num_threads(threads)
          {
            float* a = arrays[static_cast<std::size_t>(omp_get_thread_num())].get();
            cpu::stream_copy_floats(isa, a, a + half, half, passes);
          }
        },
        quick);
    if (streamed.median < copy.median) copy = streamed;
  }
  const double bytes = static_cast<double>(n) * 4.0 * passes * threads * 1e-3;
  return {read.rate(bytes), copy.rate(static_cast<double>(half) * 8.0 * passes * threads * 1e-3)};
}

std::map<std::pair<std::string, int>, Measurement> fma_peaks(bool quick) {
  std::map<std::pair<std::string, int>, Measurement> out;
  const std::int64_t iterations = quick ? (1 << 18) : (1 << 20);
  for (const cpu::Isa isa : cpu::all_isas()) {
    if (isa > cpu::best_isa() || !cpu::isa_supported(isa)) continue;
    for (const int threads : ceiling_thread_counts()) {
      const double flops = cpu::fma_peak_loop(isa, iterations) * threads;
      const Measurement m = measure_us(
          [&] {
#pragma omp parallel num_threads(threads)
            cpu::fma_peak_loop(isa, iterations);
          },
          quick);
      out[{"cpu." + std::string(cpu::isa_name(isa)), threads}] = m.rate(flops * 1e-3);
    }
  }
  return out;
}

// cpu::int8_peak_loop per integer GEMM unit with an int8 multiply-add, under the cap.
std::map<std::pair<std::string, int>, Measurement> int8_peaks(bool quick) {
  std::map<std::pair<std::string, int>, Measurement> out;
  const std::pair<cpu::Isa, cpu::IgemmUnit> units[] = {{cpu::Isa::avx512, cpu::IgemmUnit::amx},
                                                       {cpu::Isa::avx512, cpu::IgemmUnit::vectors},
                                                       {cpu::Isa::avx2, cpu::IgemmUnit::avx_vnni}};
  for (const auto& path_unit : units) {
    // Named, not a structured binding: clang 14 cannot capture those in the lambda below.
    const cpu::Isa isa = path_unit.first;
    const cpu::IgemmUnit unit = path_unit.second;
    if (isa > cpu::best_isa() || !cpu::igemm_unit_supported(isa, unit)) continue;
    // AMX does 64x the work of a vector instruction per iteration.
    const std::int64_t iterations =
        (quick ? (1 << 18) : (1 << 20)) / (unit == cpu::IgemmUnit::amx ? 64 : 1);
    for (const int threads : ceiling_thread_counts()) {
      const double ops = cpu::int8_peak_loop(isa, unit, iterations) * threads;
      const Measurement m = measure_us(
          [&] {
#pragma omp parallel num_threads(threads)
            cpu::int8_peak_loop(isa, unit, iterations);
          },
          quick);
      out[{cpu::igemm_implementation(isa, unit), threads}] = m.rate(ops * 1e-3);
    }
  }
  return out;
}

// Keeps the faster run per row, and the best sample of either (a bound on what runs).
void keep_faster(std::map<std::pair<std::string, int>, Measurement>& kept_rows,
                 const std::map<std::pair<std::string, int>, Measurement>& again) {
  for (const auto& [key, m] : again) {
    Measurement& kept = kept_rows.at(key);
    const double best = std::max(kept.max, m.max);
    if (m.median > kept.median) kept = m;
    kept.max = best;
  }
}

template <typename Map>
const typename Map::mapped_type& at_or_below(const Map& map, int threads) {
  auto it = map.upper_bound(threads);
  if (it != map.begin()) --it;
  return it->second;
}

}  // namespace

std::vector<int> ceiling_thread_counts() {
  const int all = std::max(1, cpu::cpu_info().processors);
  return all == 1 ? std::vector<int>{1} : std::vector<int>{1, all};
}

Sweep bandwidth_sweep(int threads, bool quick) {
  // Far enough past cpuinfo's last level to see memory, even where cpuinfo reports a
  // host's cache larger than this machine has.
  const std::int64_t l3 = std::max<std::int64_t>(cpu::cpu_info().l3_bytes, 4 << 20);
  const std::int64_t largest = std::clamp<std::int64_t>(
      8 * l3, std::int64_t{quick ? 64 : 128} << 20, std::int64_t{quick ? 256 : 1024} << 20);
  Sweep out;
  for (std::int64_t bytes = 4 << 10; bytes * threads <= largest; bytes *= 2) {
    const auto [read, copy] = level_bandwidth(bytes, threads, quick);
    out.push_back({bytes, read, copy});
  }
  return out;
}

std::vector<SweepPoint> sweep_points(const Sweep& sweep) {
  std::vector<SweepPoint> out;
  for (const SweepRow& r : sweep) {
    out.push_back(
        {r.bytes, r.read.median, r.read.max, std::max(r.read.max, r.copy.max), r.copy.median});
  }
  return out;
}

ReportedCaches cpuinfo_caches() {
  const cpu::CpuInfo& c = cpu::cpu_info();
  return {c.l1d_bytes, c.l2_bytes, c.l3_bytes};
}

MeasuredCaches measured_caches(const std::vector<MemoryLevel>& levels) {
  const ReportedCaches reported = cpuinfo_caches();
  MeasuredCaches out;
  out.sizes = cpu::CacheSizes{reported.l1d_bytes, reported.l2_bytes, reported.l3_bytes,
                              "measured (tandem analyze's bandwidth sweep)"};
  const std::pair<const char*, std::int64_t*> slots[] = {
      {"L1", &out.sizes.l1d_bytes}, {"L2", &out.sizes.l2_bytes}, {"L3", &out.sizes.l3_bytes}};
  for (const auto& [name, slot] : slots) {
    const std::string_view level = name;  // a plain local: lambdas cannot capture bindings
    const auto it = std::find_if(levels.begin(), levels.end(),
                                 [level](const MemoryLevel& l) { return l.name == level; });
    if (it == levels.end()) {
      if (*slot > 0) {
        out.notes.push_back(fmt::format(
            "{}: cpuinfo reports {}; the sweep shows no plateau of its own (it reads as "
            "fast as a neighbouring level): cpuinfo's size is used",
            name, mib(*slot)));
      }
      continue;
    }
    if (!it->agrees_with_cpuinfo) {
      out.notes.push_back(fmt::format(
          "{}: cpuinfo reports {}, the sweep's plateau runs from {} to {} per thread: {} is used",
          name, it->cpuinfo_bytes > 0 ? mib(it->cpuinfo_bytes) : std::string("nothing"),
          mib(it->from_bytes), mib(it->to_bytes), mib(it->effective_bytes)));
    }
    *slot = it->effective_bytes;
  }
  return out;
}

const Measurement& CpuCeilings::compute(const std::string& implementation, int threads,
                                        std::string* peak_of) const {
  int t = 1;  // the largest measured thread count not above `threads`
  for (const auto& [key, m] : fma) {
    if (key.second <= threads) t = std::max(t, key.second);
  }
  auto chosen = fma.find({implementation, t});
  if (chosen == fma.end()) {
    for (auto it = fma.begin(); it != fma.end(); ++it) {
      if (it->first.second != t) continue;
      if (chosen == fma.end() || it->second.median > chosen->second.median) chosen = it;
    }
  }
  if (chosen == fma.end()) throw DeviceError("analyze: no FMA peak was measured on this CPU");
  if (peak_of != nullptr) *peak_of = chosen->first.first;
  return chosen->second;
}

const std::vector<MemoryLevel>& CpuCeilings::levels_at(int threads) const {
  return at_or_below(levels, threads);
}

json CpuCeilings::to_json() const {
  json fma_rows = json::array();
  double compute_all = 0;
  const int all = ceiling_thread_counts().back();
  for (const auto& [key, m] : fma) {
    fma_rows.push_back(
        {{"implementation", key.first}, {"threads", key.second}, {"gflops", analyzer::to_json(m)}});
    if (key.second == all) compute_all = std::max(compute_all, m.median);
  }
  json int8_rows = json::array();
  for (const auto& [key, m] : int8) {
    int8_rows.push_back(
        {{"implementation", key.first}, {"threads", key.second}, {"gops", analyzer::to_json(m)}});
  }
  json sweep_rows = json::array();
  for (const auto& [threads, points] : sweep) {
    for (const SweepRow& r : points) {
      sweep_rows.push_back({{"working_set_bytes", r.bytes},
                            {"threads", threads},
                            {"gbps", analyzer::to_json(r.read)},
                            {"copy_gbps", analyzer::to_json(r.copy)}});
    }
  }
  json level_rows = json::array();
  for (const auto& [threads, found] : levels) {
    for (const MemoryLevel& l : found) {
      json row = {{"level", l.name},
                  {"threads", threads},
                  {"gbps", l.gbps},
                  {"copy_gbps", l.copy_gbps},
                  {"roof_gbps", l.roof_gbps()},
                  {"max_gbps", l.max_gbps},
                  {"from_bytes", l.from_bytes},
                  {"to_bytes", l.to_bytes}};
      if (l.name != "memory") {
        row["cpuinfo_bytes"] = l.cpuinfo_bytes > 0 ? json(l.cpuinfo_bytes) : json(nullptr);
        row["agrees_with_cpuinfo"] = l.agrees_with_cpuinfo;
        row["effective_bytes"] = l.effective_bytes;
      }
      level_rows.push_back(row);
    }
  }
  const auto level_gbps = [&](const char* name, bool first) {
    const std::vector<MemoryLevel>& found = levels_at(all);
    if (found.empty()) return 0.0;
    if (first) return found.front().roof_gbps();
    const auto it = std::find_if(found.begin(), found.end(),
                                 [&](const MemoryLevel& l) { return l.name == name; });
    return it == found.end() ? 0.0 : it->roof_gbps();
  };
  const ReportedCaches reported = cpuinfo_caches();
  const cpu::CacheSizes in_use = cpu::effective_cache_sizes();
  return {{"fma_peak", fma_rows},
          {"int8_peak", int8_rows},
          {"bandwidth_sweep", sweep_rows},
          {"bandwidth_levels", level_rows},
          {"caches",
           {{"effective",
             {{"l1d_bytes", caches.sizes.l1d_bytes},
              {"l2_bytes", caches.sizes.l2_bytes},
              {"l3_bytes", caches.sizes.l3_bytes}}},
            {"cpuinfo",
             {{"l1d_bytes", reported.l1d_bytes},
              {"l2_bytes", reported.l2_bytes},
              {"l3_bytes", reported.l3_bytes}}},
            {"notes", caches.notes},
            {"in_use",
             {{"l1d_bytes", in_use.l1d_bytes},
              {"l2_bytes", in_use.l2_bytes},
              {"l3_bytes", in_use.l3_bytes},
              {"source", in_use.source}}}}},
          {"compute_gflops", compute_all},
          {"memory_gbps", level_gbps("memory", false)},
          {"top_bandwidth_gbps", level_gbps("L1", true)}};
}

CpuCeilings measure_fma_and_bandwidth(bool quick) {
  CpuCeilings c;
  c.fma = fma_peaks(quick);
  c.int8 = int8_peaks(quick);
  for (const int threads : ceiling_thread_counts()) {
    c.sweep[threads] = bandwidth_sweep(threads, quick);
    c.levels[threads] = find_levels(sweep_points(c.sweep[threads]), threads, cpuinfo_caches());
  }
  c.caches = measured_caches(c.levels.at(1));
  return c;
}

void remeasure_fma(CpuCeilings& c, bool quick) {
  keep_faster(c.fma, fma_peaks(quick));
  keep_faster(c.int8, int8_peaks(quick));
}

}  // namespace tandem::analyzer
