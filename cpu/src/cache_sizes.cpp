#include <mutex>

#include <tandem/cpu/cache_sizes.h>
#include <tandem/cpu/cpu_info.h>

namespace tandem::cpu {
namespace {

// For a level cpuinfo cannot read (containers without sysfs, unknown CPUs).
constexpr CacheSizes kDefaults{32 << 10, 256 << 10, 4 << 20, "defaults"};

CacheSizes from_cpuinfo() {
  const CpuInfo& info = cpu_info();
  CacheSizes s{info.l1d_bytes, info.l2_bytes, info.l3_bytes, "cpuinfo"};
  if (s.l1d_bytes <= 0) s.l1d_bytes = kDefaults.l1d_bytes;
  if (s.l2_bytes <= 0) s.l2_bytes = kDefaults.l2_bytes;
  if (s.l3_bytes <= 0) s.l3_bytes = kDefaults.l3_bytes;
  if (info.l1d_bytes <= 0 || info.l2_bytes <= 0 || info.l3_bytes <= 0) s.source += " and defaults";
  return s;
}

std::mutex g_mutex;
CacheSizes& current() {
  static CacheSizes sizes = from_cpuinfo();
  return sizes;
}

}  // namespace

CacheSizes effective_cache_sizes() {
  const std::lock_guard lock(g_mutex);
  return current();
}

void set_measured_cache_sizes(const CacheSizes& measured) {
  CacheSizes s = from_cpuinfo();
  if (measured.l1d_bytes > 0) s.l1d_bytes = measured.l1d_bytes;
  if (measured.l2_bytes > 0) s.l2_bytes = measured.l2_bytes;
  if (measured.l3_bytes > 0) s.l3_bytes = measured.l3_bytes;
  s.source = measured.source.empty() ? "measured" : measured.source;
  const std::lock_guard lock(g_mutex);
  current() = s;
}

void clear_measured_cache_sizes() {
  const CacheSizes s = from_cpuinfo();
  const std::lock_guard lock(g_mutex);
  current() = s;
}

std::int64_t streaming_store_min_bytes() { return effective_cache_sizes().l3_bytes; }

}  // namespace tandem::cpu
