#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include <tandem/cuda/kernels.h>
#include <tandem/cuda/memory.h>
#include <tandem/error.h>

#include "cuda_test_util.h"

namespace cuda = tandem::cuda;

TEST(CudaMemory, WithoutAGpuBuffersAndKernelsAreDeviceErrors) {
  if (cuda::device_count() > 0) GTEST_SKIP() << "a GPU is present";
  EXPECT_THROW(cuda::DeviceBuffer(0, 64), tandem::DeviceError);
  const cuda::DeviceBuffer empty;
  EXPECT_EQ(empty.get(), nullptr);
  EXPECT_EQ(empty.bytes(), 0u);
  EXPECT_STREQ(cuda::sgemm_impl_name(cuda::SgemmImpl::cublas), "cuda.cublas");
  EXPECT_STREQ(cuda::sgemm_impl_name(cuda::SgemmImpl::tiled_basic), "cuda.tiled_basic");
}

TEST(CudaMemoryGpu, BuffersMoveAndRoundTrip) {
  TANDEM_REQUIRE_GPU();
  const std::vector<std::int32_t> host = {1, -2, 3, 1 << 30};
  cuda::DeviceBuffer a = tandem::testing::upload(host);
  EXPECT_EQ(a.bytes(), 16u);
  cuda::DeviceBuffer b = std::move(a);
  EXPECT_EQ(a.get(), nullptr);
  EXPECT_EQ(tandem::testing::download<std::int32_t>(b, 4), host);
  cuda::PinnedBuffer pinned(1 << 20);
  EXPECT_NE(pinned.get(), nullptr);
  EXPECT_THROW(cuda::DeviceBuffer(0, std::size_t{1} << 50), tandem::DeviceError);
}
