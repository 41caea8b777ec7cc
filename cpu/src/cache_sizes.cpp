#include <atomic>
#include <mutex>

#include <tandem/cpu/cache_sizes.h>
#include <tandem/cpu/cpu_info.h>

namespace tandem::cpu {
namespace {

// For a level cpuinfo cannot read (containers without sysfs, unknown CPUs).
constexpr std::int64_t kDefaultL1 = 32 << 10, kDefaultL2 = 256 << 10, kDefaultL3 = 4 << 20;

CacheSizes from_cpuinfo() {
  const CpuInfo& info = cpu_info();
  CacheSizes s{info.l1d_bytes, info.l2_bytes, info.l3_bytes, "cpuinfo"};
  if (s.l1d_bytes <= 0) s.l1d_bytes = kDefaultL1;
  if (s.l2_bytes <= 0) s.l2_bytes = kDefaultL2;
  if (s.l3_bytes <= 0) s.l3_bytes = kDefaultL3;
  if (info.l1d_bytes <= 0 || info.l2_bytes <= 0 || info.l3_bytes <= 0) s.source += " and defaults";
  return s;
}

// The sizes in use. Read on every kernel call (the streaming-store test of every
// element-wise op), so the sizes are atomics; the source, read rarely, is under a lock.
struct Current {
  std::atomic<std::int64_t> l1d, l2, l3;
  std::mutex mutex;
  std::string source;

  explicit Current(const CacheSizes& s)
      : l1d(s.l1d_bytes), l2(s.l2_bytes), l3(s.l3_bytes), source(s.source) {}
  void set(const CacheSizes& s) {
    const std::lock_guard lock(mutex);
    l1d.store(s.l1d_bytes, std::memory_order_relaxed);
    l2.store(s.l2_bytes, std::memory_order_relaxed);
    l3.store(s.l3_bytes, std::memory_order_relaxed);
    source = s.source;
  }
};

Current& current() {
  static Current sizes(from_cpuinfo());
  return sizes;
}

}  // namespace

CacheSizes effective_cache_sizes() {
  Current& c = current();
  const std::lock_guard lock(c.mutex);
  return {c.l1d.load(std::memory_order_relaxed), c.l2.load(std::memory_order_relaxed),
          c.l3.load(std::memory_order_relaxed), c.source};
}

void set_measured_cache_sizes(const CacheSizes& measured) {
  CacheSizes s = from_cpuinfo();
  if (measured.l1d_bytes > 0) s.l1d_bytes = measured.l1d_bytes;
  if (measured.l2_bytes > 0) s.l2_bytes = measured.l2_bytes;
  if (measured.l3_bytes > 0) s.l3_bytes = measured.l3_bytes;
  s.source = measured.source.empty() ? "measured" : measured.source;
  current().set(s);
}

void clear_measured_cache_sizes() { current().set(from_cpuinfo()); }

std::int64_t streaming_store_min_bytes() { return current().l3.load(std::memory_order_relaxed); }

}  // namespace tandem::cpu
