// A tensor's dimensions. Negative dimensions and element counts that overflow
// int64 are ShapeErrors when the shape is made, so every Shape has a valid numel().
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <vector>

namespace tandem {

class Shape {
 public:
  Shape() = default;  // rank 0: a scalar, one element
  Shape(std::initializer_list<std::int64_t> dims);
  explicit Shape(std::vector<std::int64_t> dims);

  std::int64_t rank() const { return static_cast<std::int64_t>(dims_.size()); }
  std::int64_t numel() const { return numel_; }
  // Dimension i; negative i counts from the end. Out of range is a ShapeError.
  std::int64_t operator[](std::int64_t i) const;
  std::span<const std::int64_t> dims() const { return dims_; }
  std::string str() const;  // "[128, 64]"

  friend bool operator==(const Shape& a, const Shape& b) { return a.dims_ == b.dims_; }

 private:
  std::vector<std::int64_t> dims_;
  std::int64_t numel_ = 1;
};

}  // namespace tandem
