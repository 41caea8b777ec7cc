#include <cpuinfo.h>

#include <tandem/cpu/cpu_info.h>

namespace tandem::cpu {
namespace {

CpuInfo detect() {
  CpuInfo info;
  if (!cpuinfo_initialize()) {
    info.error = "cpuinfo_initialize failed";
    return info;
  }
  info.detected = true;
  if (cpuinfo_get_packages_count() > 0) info.model = cpuinfo_get_package(0)->name;
  info.cores = static_cast<int>(cpuinfo_get_cores_count());
  info.processors = static_cast<int>(cpuinfo_get_processors_count());

  info.sse4_2 = cpuinfo_has_x86_sse4_2();
  info.avx = cpuinfo_has_x86_avx();
  info.avx2 = cpuinfo_has_x86_avx2();
  info.fma3 = cpuinfo_has_x86_fma3();
  info.avx512f = cpuinfo_has_x86_avx512f();
  info.avx512bw = cpuinfo_has_x86_avx512bw();
  info.avx512dq = cpuinfo_has_x86_avx512dq();
  info.avx512vl = cpuinfo_has_x86_avx512vl();
  info.avx512vnni = cpuinfo_has_x86_avx512vnni();

  const auto read = [](std::uint32_t count, const cpuinfo_cache* cache, std::int64_t& bytes,
                       int& shared_by) {
    if (count == 0 || cache == nullptr) return;
    bytes = cache->size;
    shared_by = static_cast<int>(cache->processor_count);
  };
  read(cpuinfo_get_l1d_caches_count(), cpuinfo_get_l1d_cache(0), info.l1d_bytes,
       info.l1d_shared_by);
  read(cpuinfo_get_l2_caches_count(), cpuinfo_get_l2_cache(0), info.l2_bytes, info.l2_shared_by);
  read(cpuinfo_get_l3_caches_count(), cpuinfo_get_l3_cache(0), info.l3_bytes, info.l3_shared_by);
  return info;
}

}  // namespace

const CpuInfo& cpu_info() {
  static const CpuInfo info = detect();
  return info;
}

}  // namespace tandem::cpu
