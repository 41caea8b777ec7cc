#include <gtest/gtest.h>

#include <tandem/cpu/cpu_info.h>

TEST(CpuInfo, DetectsThisCpu) {
  const auto& info = tandem::cpu::cpu_info();
  ASSERT_TRUE(info.detected) << info.error;
  EXPECT_GT(info.cores, 0);
  EXPECT_GE(info.processors, info.cores);
  EXPECT_GT(info.l1d_bytes, 0);
  EXPECT_GT(info.l2_bytes, 0);
  EXPECT_EQ(&tandem::cpu::cpu_info(), &info);  // detected once
  // Instruction sets imply their predecessors.
  EXPECT_TRUE(!info.avx512f || info.avx2);
  EXPECT_TRUE(!info.avx2 || info.avx);
  EXPECT_TRUE(!info.avx512vnni || info.avx512f);
}
