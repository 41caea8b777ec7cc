#include <limits>

#include <tandem/error.h>
#include <tandem/shape.h>

namespace tandem {

Shape::Shape(std::initializer_list<std::int64_t> dims) : Shape(std::vector<std::int64_t>(dims)) {}

Shape::Shape(std::vector<std::int64_t> dims) : dims_(std::move(dims)) {
  for (const std::int64_t d : dims_) {
    if (d < 0) throw ShapeError("shape: negative dimension in " + str());
  }
  for (const std::int64_t d : dims_) {
    if (d != 0 && numel_ > std::numeric_limits<std::int64_t>::max() / d) {
      throw ShapeError("shape: element count of " + str() + " overflows int64");
    }
    numel_ *= d;
  }
}

std::int64_t Shape::operator[](std::int64_t i) const {
  const std::int64_t at = i < 0 ? i + rank() : i;
  if (at < 0 || at >= rank()) {
    throw ShapeError("shape: dimension " + std::to_string(i) + " out of range for " + str());
  }
  return dims_[static_cast<std::size_t>(at)];
}

std::string Shape::str() const { return shape_string(dims_); }

}  // namespace tandem
