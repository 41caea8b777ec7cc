#include <cstdint>
#include <limits>

#include <gtest/gtest.h>

#include <tandem/device.h>
#include <tandem/dtype.h>
#include <tandem/error.h>
#include <tandem/shape.h>

using tandem::Device;
using tandem::Shape;

TEST(Shape, RankNumelAndString) {
  const Shape s{2, 3, 4};
  EXPECT_EQ(s.rank(), 3);
  EXPECT_EQ(s.numel(), 24);
  EXPECT_EQ(s[0], 2);
  EXPECT_EQ(s[-1], 4);
  EXPECT_EQ(s.str(), "[2, 3, 4]");
  EXPECT_EQ(Shape{}.numel(), 1);
  EXPECT_EQ(Shape{}.str(), "[]");
  EXPECT_EQ((Shape{5, 0}.numel()), 0);
}

TEST(Shape, RejectsNegativeDimensionsOverflowAndBadIndices) {
  EXPECT_THROW((Shape{2, -1}), tandem::ShapeError);
  const std::int64_t big = std::int64_t{1} << 32;
  EXPECT_THROW((Shape{big, big}), tandem::ShapeError);
  EXPECT_THROW((Shape{2, 3}[2]), tandem::ShapeError);
  EXPECT_THROW((Shape{2, 3}[-3]), tandem::ShapeError);
}

TEST(Device, ParseAndPrint) {
  EXPECT_EQ(Device::parse("cpu"), Device::cpu());
  EXPECT_EQ(Device::parse("cuda"), Device::cuda(0));
  EXPECT_EQ(Device::parse("cuda:3"), Device::cuda(3));
  EXPECT_EQ(Device::cuda(2).str(), "cuda:2");
  EXPECT_EQ(Device::cpu().str(), "cpu");
  for (const char* bad : {"", "gpu", "cuda:", "cuda:-1", "cuda:1x", "CPU"}) {
    EXPECT_THROW(Device::parse(bad), tandem::ArgumentError) << bad;
  }
}

TEST(DType, NamesAndSizes) {
  using tandem::DType;
  EXPECT_EQ(tandem::dtype_name(DType::f32), "f32");
  EXPECT_EQ(tandem::dtype_name(DType::i16), "i16");
  EXPECT_EQ(tandem::dtype_size(DType::f32), 4u);
  EXPECT_EQ(tandem::dtype_size(DType::i8), 1u);
  EXPECT_EQ(tandem::dtype_size(DType::i16), 2u);
  EXPECT_EQ(tandem::dtype_size(DType::i32), 4u);
  static_assert(tandem::dtype_of<std::int16_t>() == DType::i16);
}
