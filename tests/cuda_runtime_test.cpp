#include <dlfcn.h>

#include <string>
#include <vector>

#include <cstdlib>

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <tandem/cuda/runtime.h>
#include <tandem/error.h>

#include "gpu_test.h"

namespace cuda = tandem::cuda;

namespace {
void a_gpu_test_body() { TANDEM_REQUIRE_GPU(); }
}  // namespace

// The switch the GPU machine's check runs with: every GPU test's skip becomes a failure,
// so a run on a machine whose GPU cannot be used cannot pass by skipping.
TEST(CudaRuntime, RequireGpuTurnsAMissingGpuIntoAFailure) {
  if (cuda::device_count() > 0) GTEST_SKIP() << "a GPU is present";
  const char* before = std::getenv("TANDEM_REQUIRE_GPU");
  const std::string saved = before != nullptr ? before : "";
  setenv("TANDEM_REQUIRE_GPU", "1", 1);
  EXPECT_FATAL_FAILURE(a_gpu_test_body(), "TANDEM_REQUIRE_GPU=1, but no CUDA GPU");
  if (before != nullptr) {
    setenv("TANDEM_REQUIRE_GPU", saved.c_str(), 1);
  } else {
    unsetenv("TANDEM_REQUIRE_GPU");
  }
}

TEST(CudaRuntime, DeviceDiscoveryNeverThrows) {
  int count = -1;
  EXPECT_NO_THROW(count = cuda::device_count());
  EXPECT_GE(count, 0);
  if (count == 0) {
    EXPECT_FALSE(cuda::unavailable_reason().empty());
  } else {
    EXPECT_TRUE(cuda::unavailable_reason().empty());
  }
}

// Without any NVIDIA driver the reason says so, not the runtime's "driver version is
// insufficient" (which the static runtime also reports when there is no driver).
TEST(CudaRuntime, NoDriverIsSaidPlainly) {
  if (!cuda::built_with_cuda()) GTEST_SKIP() << "built without CUDA";
  if (void* driver = dlopen("libcuda.so.1", RTLD_LAZY)) {
    dlclose(driver);
    GTEST_SKIP() << "an NVIDIA driver is installed here";
  }
  EXPECT_EQ(cuda::unavailable_reason(), "no NVIDIA driver (libcuda.so.1 cannot be loaded)");
}

TEST(CudaRuntime, WithoutAGpuEveryRequestIsADeviceError) {
  if (cuda::device_count() > 0) GTEST_SKIP() << "a GPU is present";
  EXPECT_THROW(cuda::require_device("test", 0), tandem::DeviceError);
  EXPECT_THROW(cuda::device_properties(0), tandem::DeviceError);
  EXPECT_THROW(cuda::device_malloc(0, 16), tandem::DeviceError);
  EXPECT_THROW(cuda::Stream(0), tandem::DeviceError);
  EXPECT_THROW(cuda::EventTimer(0), tandem::DeviceError);
}

TEST(CudaRuntimeGpu, PropertiesOfDeviceZero) {
  TANDEM_REQUIRE_GPU();
  const auto p = cuda::device_properties(0);
  EXPECT_FALSE(p.name.empty());
  EXPECT_GT(p.sm_count, 0);
  EXPECT_EQ(p.warp_size, 32);
  EXPECT_GT(p.clock_khz, 0);
  EXPECT_GT(p.global_memory_bytes, 0);
  EXPECT_GT(p.l2_bytes, 0);
  EXPECT_GT(p.shared_memory_per_sm_bytes, 0);
}

TEST(CudaRuntimeGpu, MemoryRoundTripAndErrors) {
  TANDEM_REQUIRE_GPU();
  const std::vector<int> host = {1, 2, 3, 4};
  void* d = cuda::device_malloc(0, sizeof(int) * 4);
  cuda::copy_host_to_device(0, d, host.data(), sizeof(int) * 4);
  void* d2 = cuda::device_malloc(0, sizeof(int) * 4);
  cuda::copy_device_to_device(0, d2, d, sizeof(int) * 4);
  std::vector<int> back(4);
  cuda::copy_device_to_host(0, back.data(), d2, sizeof(int) * 4);
  EXPECT_EQ(back, host);
  cuda::memset_zero(0, d2, sizeof(int) * 4);
  cuda::copy_device_to_host(0, back.data(), d2, sizeof(int) * 4);
  EXPECT_EQ(back, std::vector<int>(4, 0));
  cuda::device_free(0, d);
  cuda::device_free(0, d2);
  EXPECT_THROW(cuda::require_device("test", cuda::device_count()), tandem::DeviceError);
  // Far more than any GPU has: a clear error, not an abort.
  EXPECT_THROW(cuda::device_malloc(0, std::size_t{1} << 50), tandem::DeviceError);
}
