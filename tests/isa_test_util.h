// Runs a test once per CPU path (as Highway's tests do): a parameterised suite over
// every path, skipped visibly where this CPU lacks the path.
#pragma once

#include <string>

#include <gtest/gtest.h>

#include <tandem/cpu/cache_sizes.h>
#include <tandem/cpu/isa.h>
#include <tandem/cpu/kernels.h>

namespace tandem::testing {

class PerIsa : public ::testing::TestWithParam<cpu::Isa> {
 protected:
  void SetUp() override {
    if (!cpu::isa_supported(isa())) {
      GTEST_SKIP() << "cpu." << cpu::isa_name(isa()) << " is not supported by this CPU";
    }
  }
  cpu::Isa isa() const { return GetParam(); }
  cpu::RunOptions run(int threads = 0) const { return {isa(), threads, unit_}; }
  // Runs body on the path's vectors and again on each integer GEMM unit of the path
  // that this CPU has: cpu.amx on avx512, cpu.avx2_vnni on avx2 (run() says which).
  template <typename Body>
  void for_each_unit(Body body) {
    unit_ = cpu::IgemmUnit::vectors;
    body();
    for (const cpu::IgemmUnit unit : {cpu::IgemmUnit::amx, cpu::IgemmUnit::avx_vnni}) {
      if (cpu::igemm_unit_path(unit) != isa() || !cpu::igemm_unit_supported(isa(), unit)) continue;
      SCOPED_TRACE("on " + cpu::igemm_implementation(isa(), unit));
      unit_ = unit;
      body();
    }
    unit_ = cpu::IgemmUnit::vectors;
  }
  cpu::IgemmUnit unit() const { return unit_; }
  // Fails the test unless the last integer GEMM on this thread ran on the unit under
  // test (a 16-bit one asked for on AMX runs on the vectors: AMX has no int16).
  void expect_unit(int bits) const {
    const cpu::IgemmUnit want =
        unit_ == cpu::IgemmUnit::amx && bits == 16 ? cpu::IgemmUnit::vectors : unit_;
    EXPECT_EQ(cpu::last_igemm_unit(), want)
        << "ran on " << cpu::igemm_implementation(isa(), cpu::last_igemm_unit()) << ", not "
        << cpu::igemm_implementation(isa(), want);
  }
  // Fails the test unless the last kernel on this thread ran on the path under test.
  void expect_ran_on_path() const {
    ASSERT_TRUE(cpu::last_isa().has_value()) << "no kernel recorded its path";
    EXPECT_EQ(*cpu::last_isa(), isa()) << "ran on cpu." << cpu::isa_name(*cpu::last_isa());
  }

 private:
  cpu::IgemmUnit unit_ = cpu::IgemmUnit::vectors;
};

// The last-level cache in use is `bytes` while this lives: outputs above it take the
// streaming stores on every machine, whatever the L3 its cpuinfo reports (8 MiB on one,
// a host's 260 MiB on a VM), so a test of those stores tests them everywhere.
class ScopedLastLevelCache {
 public:
  explicit ScopedLastLevelCache(std::int64_t bytes) {
    cpu::CacheSizes sizes = cpu::effective_cache_sizes();
    sizes.l3_bytes = bytes;
    sizes.source = "test";
    cpu::set_measured_cache_sizes(sizes);
  }
  ~ScopedLastLevelCache() { cpu::clear_measured_cache_sizes(); }
  ScopedLastLevelCache(const ScopedLastLevelCache&) = delete;
  ScopedLastLevelCache& operator=(const ScopedLastLevelCache&) = delete;
};

inline std::string isa_param_name(const ::testing::TestParamInfo<cpu::Isa>& info) {
  return std::string(cpu::isa_name(info.param));
}

}  // namespace tandem::testing

// Every path of TANDEM_CPU_ISA_LIST (cpu::all_isas()).
#define TANDEM_INSTANTIATE_PER_ISA(suite)                                                      \
  INSTANTIATE_TEST_SUITE_P(                                                                    \
      Isa, suite,                                                                              \
      ::testing::ValuesIn(::tandem::cpu::all_isas().begin(), ::tandem::cpu::all_isas().end()), \
      ::tandem::testing::isa_param_name)
