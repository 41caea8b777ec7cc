// The cache sizes the kernels are sized from: cpuinfo's until a profile with measured
// caches is loaded, then the measured ones (GEMM blocking, streaming-store threshold).
#include <string>

#include <gtest/gtest.h>

#include <tandem/cost_model.h>
#include <tandem/cpu/cache_sizes.h>
#include <tandem/cpu/cpu_info.h>
#include <tandem/cpu/isa.h>
#include <tandem/cpu/kernels.h>
#include <tandem/error.h>

namespace {

using tandem::cpu::CacheSizes;

struct ModelReset {
  ~ModelReset() { tandem::set_cost_model(tandem::CostModel()); }
};

TEST(CacheSizes, CpuinfosUntilAProfileMeasuresThem) {
  const ModelReset reset;
  tandem::set_cost_model(tandem::CostModel());
  const CacheSizes from_cpuinfo = tandem::cpu::effective_cache_sizes();
  EXPECT_GT(from_cpuinfo.l1d_bytes, 0);
  EXPECT_GT(from_cpuinfo.l3_bytes, 0);
  EXPECT_EQ(from_cpuinfo.source.rfind("cpuinfo", 0), 0u) << from_cpuinfo.source;
  if (tandem::cpu::cpu_info().l3_bytes > 0) {
    EXPECT_EQ(from_cpuinfo.l3_bytes, tandem::cpu::cpu_info().l3_bytes);
  }
  const tandem::cpu::Isa isa = tandem::cpu::best_isa();
  const tandem::cpu::GemmBlocking before = tandem::cpu::gemm_blocking(isa);

  // A profile measured on a VM whose last level is a quarter of what it would derive.
  const std::int64_t l3 = 1 << 20;
  tandem::set_cost_model(tandem::CostModel::parse(
      R"({"schema": "tandem-profile", "version": 1, "kernels": [],
          "caches": {"l1d_bytes": 32768, "l2_bytes": 524288, "l3_bytes": 1048576}})",
      "vm.json"));
  const CacheSizes measured = tandem::cpu::effective_cache_sizes();
  EXPECT_EQ(measured.l1d_bytes, 32768);
  EXPECT_EQ(measured.l2_bytes, 524288);
  EXPECT_EQ(measured.l3_bytes, l3);
  EXPECT_NE(measured.source.find("measured (vm.json)"), std::string::npos) << measured.source;
  EXPECT_EQ(tandem::cpu::streaming_store_min_bytes(), l3);
  const tandem::cpu::GemmBlocking after = tandem::cpu::gemm_blocking(isa);
  // The packed B panel (kc x nc floats) takes half of the last level in use.
  EXPECT_LE(after.kc * after.nc * 4, l3 / 2);
  EXPECT_GE(before.kc * before.nc * 4 * 2, after.kc * after.nc * 4 * 2);

  tandem::set_cost_model(tandem::CostModel());  // no caches in it: cpuinfo's again
  EXPECT_EQ(tandem::cpu::effective_cache_sizes().l3_bytes, from_cpuinfo.l3_bytes);
}

TEST(CacheSizes, AMalformedCachesEntryIsNamed) {
  for (const char* caches : {R"("caches": 3)", R"("caches": {"l1d_bytes": 32768})",
                             R"("caches": {"l1d_bytes": -1, "l2_bytes": 1, "l3_bytes": 1})",
                             R"("caches": {"l1d_bytes": 1.5, "l2_bytes": 1, "l3_bytes": 1})"}) {
    const std::string text =
        std::string(R"({"schema": "tandem-profile", "version": 1, )") + caches + "}";
    try {
      (void)tandem::CostModel::parse(text, "p.json");
      ADD_FAILURE() << "accepted: " << text;
    } catch (const tandem::ArgumentError& e) {
      EXPECT_NE(std::string(e.what()).find("caches"), std::string::npos) << e.what();
    }
  }
}

// The blocks the driver runs: clamped to the problem, mc shrunk to share A among threads.
TEST(CacheSizes, TheBlockingThatRunsIsClampedToTheProblem) {
  const tandem::cpu::Isa isa = tandem::cpu::best_isa();
  const auto used = tandem::cpu::sgemm_blocking_used(isa, 100, 70, 50, 2, {4096, 4096, 4096});
  EXPECT_LE(used.kc, 50);
  EXPECT_GE(used.mc, 1);
  EXPECT_LT(used.mc, 100 + 64);  // at most m rounded up to the register block
  EXPECT_LT(used.nc, 70 + 64);
  const auto split = tandem::cpu::sgemm_blocking_used(isa, 1000, 1000, 1000, 1, {0, 300, 0});
  EXPECT_EQ(split.kc, 250);  // 1000 in 4 equal blocks, not 300 + 300 + 300 + 100
}

}  // namespace
