#include <cmath>
#include <cstdint>
#include <memory>
#include <numeric>
#include <vector>

#include <gtest/gtest.h>

#include <tandem/error.h>
#include <tandem/ops.h>
#include <tandem/tensor.h>

#include "gpu_test.h"

using tandem::Device;
using tandem::DType;
using tandem::Shape;
using tandem::Tensor;

TEST(Tensor, FromVectorHoldsTheValuesRowMajor) {
  const Tensor t = Tensor::from(std::vector<float>{1, 2, 3, 4, 5, 6}, Shape{2, 3});
  EXPECT_TRUE(t.defined());
  EXPECT_EQ(t.shape(), (Shape{2, 3}));
  EXPECT_EQ(t.dtype(), DType::f32);
  EXPECT_EQ(t.device(), Device::cpu());
  EXPECT_EQ(t.nbytes(), 24u);
  EXPECT_EQ(t.at<float>({0, 0}), 1.0f);
  EXPECT_EQ(t.at<float>({1, 0}), 4.0f);
  EXPECT_EQ(t.at<float>({1, 2}), 6.0f);
  EXPECT_EQ(t.to_vector<float>(), (std::vector<float>{1, 2, 3, 4, 5, 6}));
}

TEST(Tensor, IntegerTypes) {
  const Tensor i8 = Tensor::from(std::vector<std::int8_t>{-128, 127});
  EXPECT_EQ(i8.dtype(), DType::i8);
  EXPECT_EQ(i8.at<std::int8_t>({0}), -128);
  const Tensor i32 = Tensor::from(std::vector<std::int32_t>{1 << 30});
  EXPECT_EQ(i32.dtype(), DType::i32);
  EXPECT_EQ(i32.data<std::int32_t>()[0], 1 << 30);
}

TEST(Tensor, ZerosAndEmpty) {
  const Tensor z = Tensor::zeros({3, 5}, DType::i16);
  EXPECT_EQ(z.to_vector<std::int16_t>(), std::vector<std::int16_t>(15, 0));
  const Tensor e = Tensor::empty({0, 4}, DType::f32);
  EXPECT_EQ(e.numel(), 0);
  EXPECT_TRUE(e.to_vector<float>().empty());
}

TEST(Tensor, HostStorageIsAlignedForSimd) {
  const Tensor t = Tensor::empty({7}, DType::f32);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(t.raw_data()) % 64, 0u);
}

TEST(Tensor, RandnIsReproducibleAndStandardNormal) {
  const Tensor a = Tensor::randn({100000}, 42);
  const Tensor b = Tensor::randn({100000}, 42);
  const Tensor c = Tensor::randn({100000}, 43);
  EXPECT_EQ(a.to_vector<float>(), b.to_vector<float>());
  EXPECT_NE(a.to_vector<float>(), c.to_vector<float>());
  const auto v = a.to_vector<float>();
  const double mean = std::accumulate(v.begin(), v.end(), 0.0) / 1e5;
  double var = 0;
  for (const float x : v) var += (x - mean) * (x - mean);
  var /= 1e5;
  EXPECT_NEAR(mean, 0.0, 0.02);
  EXPECT_NEAR(var, 1.0, 0.02);
  const Tensor shifted = Tensor::randn({4}, 42, Device::cpu(), 10.0f, 0.0f);
  EXPECT_EQ(shifted.to_vector<float>(), std::vector<float>(4, 10.0f));
}

TEST(Tensor, CopiesShareStorageCloneDoesNot) {
  Tensor a = Tensor::from(std::vector<float>{1, 2});
  Tensor shared = a;
  Tensor copy = a.clone();
  a.data<float>()[0] = 9;
  EXPECT_EQ(shared.at<float>({0}), 9.0f);
  EXPECT_EQ(copy.at<float>({0}), 1.0f);
  EXPECT_EQ(a.to(Device::cpu()).raw_data(), a.raw_data());
}

TEST(Tensor, WrapSeesTheCallersMemoryAndFreesOnlyTheOwner) {
  // Offset by one float, so the data is not 64-byte aligned as Tensor's own storage is:
  // every kernel must take any element-aligned pointer (NumPy gives 16-byte alignment).
  auto buffer = std::make_shared<std::vector<float>>(1 + 2 * 3 + 3 * 2);
  float* a_data = buffer->data() + 1;
  float* b_data = a_data + 6;
  std::iota(a_data, a_data + 12, 1.0f);
  std::weak_ptr<std::vector<float>> watch = buffer;
  {
    const Tensor a = Tensor::wrap(a_data, {2, 3}, DType::f32, Device::cpu(), buffer);
    const Tensor b = Tensor::wrap(b_data, {3, 2}, DType::f32, Device::cpu(), buffer);
    buffer.reset();
    EXPECT_FALSE(watch.expired()) << "the tensors hold their owner";
    EXPECT_EQ(a.raw_data(), a_data);
    a_data[0] = 10.0f;  // a view, not a copy
    EXPECT_EQ(a.at<float>({0, 0}), 10.0f);
    const Tensor c = tandem::matmul(a, b);  // [10 2 3; 4 5 6] x [7 8; 9 10; 11 12]
    EXPECT_EQ(c.to_vector<float>(), (std::vector<float>{121, 136, 139, 154}));
  }
  EXPECT_TRUE(watch.expired()) << "the owner is released with the last tensor";
}

TEST(Tensor, WrapRefusesNullAndMisalignedData) {
  alignas(8) std::int32_t storage[4] = {};
  auto* misaligned = reinterpret_cast<char*>(storage) + 2;
  EXPECT_THROW(Tensor::wrap(misaligned, {1}, DType::i32, Device::cpu()), tandem::ArgumentError);
  EXPECT_THROW(Tensor::wrap(nullptr, {1}, DType::f32, Device::cpu()), tandem::ArgumentError);
  EXPECT_NO_THROW(Tensor::wrap(nullptr, {0}, DType::f32, Device::cpu()));
  EXPECT_THROW(Tensor::wrap(storage, {std::int64_t{1} << 62}, DType::f32, Device::cpu()),
               tandem::ShapeError);
}

TEST(Tensor, Reshape) {
  const Tensor a = Tensor::from(std::vector<float>{1, 2, 3, 4, 5, 6}, Shape{2, 3});
  const Tensor b = a.reshape({3, 2});
  EXPECT_EQ(b.at<float>({2, 0}), 5.0f);
  EXPECT_EQ(b.raw_data(), a.raw_data());
  EXPECT_THROW(a.reshape({4}), tandem::ShapeError);
}

TEST(Tensor, BadAccessIsAnError) {
  const Tensor t = Tensor::from(std::vector<float>{1, 2, 3, 4}, Shape{2, 2});
  EXPECT_THROW(t.data<std::int32_t>(), tandem::DTypeError);
  EXPECT_THROW(t.to_vector<std::int8_t>(), tandem::DTypeError);
  EXPECT_THROW(t.at<float>({2, 0}), tandem::ShapeError);
  EXPECT_THROW(t.at<float>({0, -1}), tandem::ShapeError);
  EXPECT_THROW(t.at<float>({0}), tandem::ShapeError);
  EXPECT_THROW(Tensor::from(std::vector<float>{1, 2, 3}, Shape{2, 2}), tandem::ShapeError);
  const Tensor undefined;
  EXPECT_FALSE(undefined.defined());
  EXPECT_THROW(undefined.data<float>(), tandem::ArgumentError);
  EXPECT_THROW(undefined.to(Device::cpu()), tandem::ArgumentError);
}

TEST(Tensor, TooManyBytesIsAShapeError) {
  const std::int64_t big = std::int64_t{1} << 62;
  EXPECT_THROW(Tensor::empty({big}, DType::f32), tandem::ShapeError);
}

TEST(Tensor, NoGpuMeansADeviceErrorThatSaysWhy) {
  if (tandem::cuda::device_count() > 0) GTEST_SKIP() << "a GPU is present";
  try {
    Tensor::zeros({2}, DType::f32, Device::cuda(0));
    FAIL() << "a tensor was made on a GPU that does not exist";
  } catch (const tandem::DeviceError& e) {
    EXPECT_NE(std::string(e.what()).find("cuda:0"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(tandem::cuda::unavailable_reason()), std::string::npos)
        << e.what();
  }
  const Tensor host = Tensor::from(std::vector<float>{1});
  EXPECT_THROW(host.to(Device::cuda(0)), tandem::DeviceError);
}

TEST(TensorGpu, RoundTripThroughTheGpu) {
  TANDEM_REQUIRE_GPU();
  const Tensor host = Tensor::randn({3, 1001}, 5);
  const Tensor gpu = host.to(Device::cuda(0));
  EXPECT_EQ(gpu.device(), Device::cuda(0));
  EXPECT_THROW(gpu.data<float>(), tandem::DeviceError);
  EXPECT_EQ(gpu.to_vector<float>(), host.to_vector<float>());
  EXPECT_EQ(gpu.clone().to(Device::cpu()).to_vector<float>(), host.to_vector<float>());
  EXPECT_EQ(Tensor::zeros({5}, DType::i32, Device::cuda(0)).to_vector<std::int32_t>(),
            std::vector<std::int32_t>(5, 0));
  EXPECT_EQ(Tensor::randn({64}, 9, Device::cuda(0)).to_vector<float>(),
            Tensor::randn({64}, 9).to_vector<float>());
}

TEST(TensorGpu, NonexistentDeviceIndexIsADeviceError) {
  TANDEM_REQUIRE_GPU();
  EXPECT_THROW(Tensor::zeros({2}, DType::f32, Device::cuda(tandem::cuda::device_count())),
               tandem::DeviceError);
}
