#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <utility>

#include <tandem/checked.h>
#include <tandem/cpu/random.h>
#include <tandem/cuda/runtime.h>
#include <tandem/error.h>
#include <tandem/tensor.h>

namespace tandem {
namespace {

// Host storage is aligned for the widest SIMD load (a 64-byte cache line, one zmm).
constexpr std::size_t kHostAlignment = 64;

std::string describe(const Shape& shape, DType dtype, Device device) {
  return shape.str() + " " + std::string(dtype_name(dtype)) + " on " + device.str();
}

}  // namespace

Tensor::Storage::Storage(std::size_t size, Device where) : bytes(size), device(where) {
  if (device.is_cuda()) {
    ptr = cuda::device_malloc(device.index, bytes);
    return;
  }
  // Tensor() checked that the rounding cannot overflow.
  const auto rounded = static_cast<std::size_t>(
      *buffer_bytes(static_cast<std::int64_t>(bytes), 1, std::int64_t{kHostAlignment}));
  if (rounded == 0) return;
  ptr = std::aligned_alloc(kHostAlignment, rounded);
  if (ptr == nullptr) {
    throw DeviceError("tensor: cannot allocate " + std::to_string(bytes) + " bytes on the host");
  }
}

Tensor::Storage::Storage(void* borrowed, std::size_t size, Device where,
                         std::shared_ptr<const void> keep_alive)
    : ptr(borrowed), bytes(size), device(where), owner(std::move(keep_alive)), owned(false) {}

Tensor::Storage::~Storage() {
  if (!owned) return;
  if (device.is_cuda()) {
    cuda::device_free(device.index, ptr);
  } else {
    std::free(ptr);
  }
}

Tensor::Tensor(const Shape& shape, DType dtype, Device device)
    : shape_(shape), dtype_(dtype), device_(device) {
  const auto element_bytes = static_cast<std::int64_t>(dtype_size(dtype));
  const auto bytes = buffer_bytes(shape.numel(), element_bytes, std::int64_t{kHostAlignment});
  if (!bytes) {
    throw ShapeError("tensor: " + describe(shape, dtype, device) + " needs more than " +
                     std::to_string(kMaxBufferBytes) + " bytes, the most one buffer can span");
  }
  if (device.is_cuda()) cuda::require_device("tensor", device.index);
  storage_ =
      std::make_shared<Storage>(static_cast<std::size_t>(shape.numel() * element_bytes), device);
}

Tensor Tensor::wrap(void* data, const Shape& shape, DType dtype, Device device,
                    std::shared_ptr<const void> owner) {
  const auto element_bytes = dtype_size(dtype);
  if (!buffer_bytes(shape.numel(), static_cast<std::int64_t>(element_bytes),
                    std::int64_t{kHostAlignment})) {
    throw ShapeError("tensor: cannot wrap " + describe(shape, dtype, device) + ": more than " +
                     std::to_string(kMaxBufferBytes) + " bytes");
  }
  if (data == nullptr && shape.numel() > 0) {
    throw ArgumentError("tensor: cannot wrap a null pointer as " + describe(shape, dtype, device));
  }
  if (reinterpret_cast<std::uintptr_t>(data) % element_bytes != 0) {
    throw ArgumentError("tensor: cannot wrap " + describe(shape, dtype, device) +
                        ": the data is not aligned to its " + std::to_string(element_bytes) +
                        "-byte elements");
  }
  if (device.is_cuda()) cuda::require_device("tensor", device.index);
  Tensor t;
  t.shape_ = shape;
  t.dtype_ = dtype;
  t.device_ = device;
  t.storage_ = std::make_shared<Storage>(
      data, static_cast<std::size_t>(shape.numel()) * element_bytes, device, std::move(owner));
  return t;
}

std::size_t Tensor::nbytes() const {
  return static_cast<std::size_t>(numel()) * dtype_size(dtype_);
}

Tensor Tensor::empty(const Shape& shape, DType dtype, Device device) {
  return Tensor(shape, dtype, device);
}

Tensor Tensor::zeros(const Shape& shape, DType dtype, Device device) {
  Tensor t(shape, dtype, device);
  if (device.is_cuda()) {
    cuda::memset_zero(device.index, t.raw_data(), t.nbytes());
  } else if (t.nbytes() > 0) {
    std::memset(t.raw_data(), 0, t.nbytes());
  }
  return t;
}

template <Element T>
Tensor Tensor::from(std::span<const T> values, const Shape& shape, Device device) {
  if (static_cast<std::int64_t>(values.size()) != shape.numel()) {
    throw ShapeError("tensor: " + std::to_string(values.size()) + " values cannot fill shape " +
                     shape.str() + " (" + std::to_string(shape.numel()) + " elements)");
  }
  Tensor t(shape, dtype_of<T>(), device);
  t.copy_from_host(values.data());
  return t;
}

Tensor Tensor::randn(const Shape& shape, std::uint64_t seed, Device device, float mean,
                     float stddev) {
  Tensor host(shape, DType::f32, Device::cpu());
  cpu::fill_normal(host.data<float>(), host.numel(), seed, mean, stddev);
  return host.to(device);
}

void Tensor::copy_from_host(const void* src) {
  if (nbytes() == 0) return;
  if (device_.is_cuda()) {
    cuda::copy_host_to_device(device_.index, raw_data(), src, nbytes());
  } else {
    std::memcpy(raw_data(), src, nbytes());
  }
}

void Tensor::check_host_access(DType requested) const {
  if (!defined()) throw ArgumentError("tensor: access to an undefined tensor");
  if (requested != dtype_) {
    throw DTypeError("tensor: " + describe(shape_, dtype_, device_) + " read as " +
                     std::string(dtype_name(requested)));
  }
  if (!device_.is_cpu()) {
    throw DeviceError("tensor: host access to " + describe(shape_, dtype_, device_) +
                      " (copy it with to(Device::cpu()) or to_vector())");
  }
}

template <Element T>
T* Tensor::data() {
  check_host_access(dtype_of<T>());
  return static_cast<T*>(raw_data());
}

template <Element T>
const T* Tensor::data() const {
  check_host_access(dtype_of<T>());
  return static_cast<const T*>(raw_data());
}

template <Element T>
T Tensor::at(std::initializer_list<std::int64_t> index) const {
  const T* values = data<T>();
  const std::vector<std::int64_t> idx(index);
  if (static_cast<std::int64_t>(idx.size()) != rank()) {
    throw ShapeError("tensor: index " + shape_string(idx) + " has the wrong rank for " +
                     shape_.str());
  }
  std::int64_t offset = 0;
  for (std::int64_t d = 0; d < rank(); ++d) {
    const std::int64_t i = idx[static_cast<std::size_t>(d)];
    if (i < 0 || i >= shape_[d]) {
      throw ShapeError("tensor: index " + shape_string(idx) + " out of range for " + shape_.str());
    }
    offset = offset * shape_[d] + i;
  }
  return values[offset];
}

template <Element T>
std::vector<T> Tensor::to_vector() const {
  if (!defined()) throw ArgumentError("tensor: access to an undefined tensor");
  if (dtype_of<T>() != dtype_) {
    throw DTypeError("tensor: " + describe(shape_, dtype_, device_) + " read as " +
                     std::string(dtype_name(dtype_of<T>())));
  }
  std::vector<T> out(static_cast<std::size_t>(numel()));
  if (nbytes() == 0) return out;
  if (device_.is_cuda()) {
    cuda::copy_device_to_host(device_.index, out.data(), raw_data(), nbytes());
  } else {
    std::memcpy(out.data(), raw_data(), nbytes());
  }
  return out;
}

Tensor Tensor::to(Device device) const {
  if (!defined()) throw ArgumentError("tensor: to(" + device.str() + ") of an undefined tensor");
  if (device == device_) return *this;
  Tensor out(shape_, dtype_, device);
  if (nbytes() == 0) return out;
  if (device_.is_cpu()) {
    out.copy_from_host(raw_data());
  } else if (device.is_cpu()) {
    cuda::copy_device_to_host(device_.index, out.raw_data(), raw_data(), nbytes());
  } else {
    // Between two GPUs: through the host, which needs no peer access.
    return to(Device::cpu()).to(device);
  }
  return out;
}

Tensor Tensor::clone() const {
  if (!defined()) return {};
  Tensor out(shape_, dtype_, device_);
  if (nbytes() == 0) return out;
  if (device_.is_cuda()) {
    cuda::copy_device_to_device(device_.index, out.raw_data(), raw_data(), nbytes());
  } else {
    std::memcpy(out.raw_data(), raw_data(), nbytes());
  }
  return out;
}

Tensor Tensor::reshape(const Shape& shape) const {
  if (shape.numel() != numel()) {
    throw ShapeError("reshape: " + shape_.str() + " has " + std::to_string(numel()) +
                     " elements, " + shape.str() + " has " + std::to_string(shape.numel()));
  }
  Tensor out = *this;
  out.shape_ = shape;
  return out;
}

#define TANDEM_INSTANTIATE(T)                                                \
  template Tensor Tensor::from<T>(std::span<const T>, const Shape&, Device); \
  template T* Tensor::data<T>();                                             \
  template const T* Tensor::data<T>() const;                                 \
  template T Tensor::at<T>(std::initializer_list<std::int64_t>) const;       \
  template std::vector<T> Tensor::to_vector<T>() const;
TANDEM_INSTANTIATE(float)
TANDEM_INSTANTIATE(std::int8_t)
TANDEM_INSTANTIATE(std::int16_t)
TANDEM_INSTANTIATE(std::int32_t)
TANDEM_INSTANTIATE(std::uint8_t)
#undef TANDEM_INSTANTIATE

}  // namespace tandem
