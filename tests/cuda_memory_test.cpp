#include <algorithm>
#include <cstdint>
#include <cstring>
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

// Sizes around the staging thresholds (1 MiB direct, 4 MiB chunks), from pageable
// memory at an odd address and from pinned memory; every byte checked both ways.
TEST(CudaMemoryGpu, StagedCopiesRoundTripAcrossChunkBoundaries) {
  TANDEM_REQUIRE_GPU();
  constexpr std::size_t kMiB = std::size_t{1} << 20;
  for (const std::size_t bytes :
       {kMiB - 1, kMiB, 4 * kMiB, 4 * kMiB + 1, 8 * kMiB, 9 * kMiB + 13}) {
    SCOPED_TRACE(bytes);
    std::vector<unsigned char> source(bytes + 1);
    for (std::size_t i = 0; i < source.size(); ++i) source[i] = static_cast<unsigned char>(i * 131);
    const unsigned char* src = source.data() + 1;  // not even 2-byte aligned
    const cuda::DeviceBuffer device(0, bytes);
    cuda::copy_host_to_device(0, device.get(), src, bytes);
    std::vector<unsigned char> back(bytes + 1, 0);
    cuda::copy_device_to_host(0, back.data() + 1, device.get(), bytes);
    EXPECT_TRUE(std::equal(src, src + bytes, back.data() + 1));
    cuda::PinnedBuffer pinned(bytes);
    cuda::copy_device_to_host(0, pinned.get(), device.get(), bytes);
    EXPECT_EQ(std::memcmp(pinned.get(), src, bytes), 0);
  }
}
