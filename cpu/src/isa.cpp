#include <cpuid.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <mutex>
#include <string>

#include <tandem/cpu/cpu_info.h>
#include <tandem/cpu/isa.h>
#include <tandem/error.h>

namespace tandem::cpu {
namespace {

#define TANDEM_ISA_VALUE(isa) Isa::isa,
constexpr Isa kIsas[] = {TANDEM_CPU_ISA_LIST(TANDEM_ISA_VALUE)};
#undef TANDEM_ISA_VALUE

struct IsaState {
  std::mutex mutex;
  std::optional<Isa> cap;          // read from the environment on first use
  std::optional<Isa> best;         // fixed on first use
  std::atomic<int> best_fast{-1};  // best, readable without the mutex once fixed
};

IsaState& state() {
  static IsaState s;
  return s;
}

Isa cap_from_environment() {
  const char* env = std::getenv("TANDEM_MAX_CPU_ISA");
  if (env == nullptr || *env == '\0') return Isa::avx512;
  if (const auto isa = parse_isa(env)) return *isa;
  throw ArgumentError(std::string("TANDEM_MAX_CPU_ISA = '") + env +
                      "' is not an ISA (avx512, avx2 or baseline, in any case)");
}

Isa cap_locked(IsaState& s) {
  if (!s.cap) s.cap = cap_from_environment();
  return *s.cap;
}

thread_local std::optional<Isa> t_last_isa;
thread_local IgemmUnit t_last_igemm_unit = IgemmUnit::vectors;

}  // namespace

std::span<const Isa> all_isas() { return kIsas; }

std::string_view isa_name(Isa isa) {
#define TANDEM_ISA_NAME(name) \
  if (isa == Isa::name) return #name;
  TANDEM_CPU_ISA_LIST(TANDEM_ISA_NAME)
#undef TANDEM_ISA_NAME
  return "?";
}

std::optional<Isa> parse_isa(std::string_view name) {
  const auto same = [](std::string_view a, std::string_view b) {
    return std::ranges::equal(a, b, [](char x, char y) {
      return std::tolower(static_cast<unsigned char>(x)) ==
             std::tolower(static_cast<unsigned char>(y));
    });
  };
  for (const Isa isa : kIsas) {
    if (same(isa_name(isa), name)) return isa;
  }
  return std::nullopt;
}

bool isa_supported(Isa isa) {
  const CpuInfo& c = cpu_info();
  switch (isa) {
    case Isa::avx512:
      return c.avx512f && c.avx512bw && c.avx512dq && c.avx512vl;
    case Isa::avx2:
      return c.avx2 && c.fma3;
    case Isa::baseline:
      return true;
  }
  return false;
}

bool has_avx512_vnni() { return isa_supported(Isa::avx512) && cpu_info().avx512vnni; }

bool has_amx_int8() {
  static const bool usable = [] {
    if (!has_avx512_vnni()) return false;
#if defined(__x86_64__) && defined(__linux__)
    // cpuinfo does not report AMX: CPUID leaf 7 EDX bits 24 (AMX-TILE), 25 (AMX-INT8).
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) == 0) return false;
    if (((edx >> 24) & 1u) == 0 || ((edx >> 25) & 1u) == 0) return false;
    // XCR0 bits 17 and 18: the OS saves and restores the tile configuration and data.
    unsigned xcr0_low = 0, xcr0_high = 0;
    __asm__ volatile("xgetbv" : "=a"(xcr0_low), "=d"(xcr0_high) : "c"(0));
    if (((xcr0_low >> 17) & 3u) != 3u) return false;
    // The 8 KiB of tile data per thread is granted per process on request.
    constexpr long kRequestPermission = 0x1023;  // ARCH_REQ_XCOMP_PERM
    constexpr long kTileData = 18;               // XFEATURE_XTILEDATA
    return syscall(SYS_arch_prctl, kRequestPermission, kTileData) == 0;
#else
    return false;
#endif
  }();
  return usable;
}

bool has_avx_vnni() {
  static const bool present = [] {
    if (!isa_supported(Isa::avx2)) return false;  // also: the OS saves the ymm registers
#if defined(__x86_64__)
    // CPUID leaf 7, sub-leaf 1, EAX bit 4.
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (__get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx) == 0) return false;
    return ((eax >> 4) & 1u) != 0;
#else
    return false;
#endif
  }();
  return present;
}

std::optional<Isa> igemm_unit_path(IgemmUnit unit) {
  switch (unit) {
    case IgemmUnit::vectors:
      break;
    case IgemmUnit::avx_vnni:
      return Isa::avx2;
    case IgemmUnit::amx:
      return Isa::avx512;
  }
  return std::nullopt;
}

bool igemm_unit_supported(Isa isa, IgemmUnit unit) {
  if (!isa_supported(isa) || (isa == Isa::avx512 && !has_avx512_vnni())) return false;
  switch (unit) {
    case IgemmUnit::vectors:
      return true;
    case IgemmUnit::avx_vnni:
      return isa == Isa::avx2 && has_avx_vnni();
    case IgemmUnit::amx:
      return isa == Isa::avx512 && has_amx_int8();
  }
  return false;
}

std::string igemm_implementation(Isa isa, IgemmUnit unit) {
  switch (unit) {
    case IgemmUnit::vectors:
      break;
    case IgemmUnit::avx_vnni:
      return "cpu.avx2_vnni";
    case IgemmUnit::amx:
      return "cpu.amx";
  }
  return "cpu." + std::string(isa_name(isa));
}

Isa max_isa() {
  IsaState& s = state();
  const std::lock_guard lock(s.mutex);
  return cap_locked(s);
}

void set_max_isa(Isa cap) {
  IsaState& s = state();
  const std::lock_guard lock(s.mutex);
  if (s.best) {
    throw ArgumentError(std::string("set_max_isa: the CPU path is fixed already (") +
                        std::string(isa_name(*s.best)) +
                        "); set the cap before the first kernel runs");
  }
  s.cap = cap;
}

Isa best_isa() {
  IsaState& s = state();
  if (const int fixed = s.best_fast.load(std::memory_order_acquire); fixed >= 0) {
    return static_cast<Isa>(fixed);
  }
  const std::lock_guard lock(s.mutex);
  if (!s.best) {
    const Isa cap = cap_locked(s);
    for (const Isa isa : kIsas) {
      if (isa <= cap && isa_supported(isa)) {
        s.best = isa;
        s.best_fast.store(static_cast<int>(isa), std::memory_order_release);
        break;
      }
    }
  }
  return *s.best;
}

std::optional<Isa> last_isa() { return t_last_isa; }

void detail::set_last_isa(Isa isa) { t_last_isa = isa; }

IgemmUnit last_igemm_unit() { return t_last_igemm_unit; }

void detail::set_last_igemm_unit(IgemmUnit unit) { t_last_igemm_unit = unit; }

}  // namespace tandem::cpu
