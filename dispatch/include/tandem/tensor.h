// Tensor: an owning, contiguous, row-major array of any rank, on the host or on a
// GPU. Copies share storage (as in PyTorch); clone() makes an independent copy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <vector>

#include <tandem/device.h>
#include <tandem/dtype.h>
#include <tandem/shape.h>

namespace tandem {

class Tensor {
 public:
  Tensor() = default;  // undefined: no storage; defined() is false

  // ---- Factories ----------------------------------------------------------------
  // Uninitialised storage.
  static Tensor empty(const Shape& shape, DType dtype, Device device = Device::cpu());
  static Tensor zeros(const Shape& shape, DType dtype, Device device = Device::cpu());
  // A copy of `values`, whose size must equal shape.numel().
  template <Element T>
  static Tensor from(std::span<const T> values, const Shape& shape, Device device = Device::cpu());
  template <Element T>
  static Tensor from(const std::vector<T>& values, const Shape& shape,
                     Device device = Device::cpu()) {
    return from(std::span<const T>(values), shape, device);
  }
  // A 1-D tensor holding `values`.
  template <Element T>
  static Tensor from(const std::vector<T>& values, Device device = Device::cpu()) {
    return from(values, Shape{static_cast<std::int64_t>(values.size())}, device);
  }
  // f32 samples of N(mean, stddev^2). The same seed gives the same values on every
  // platform and device (the generator is Tandem's own, not the standard library's).
  static Tensor randn(const Shape& shape, std::uint64_t seed, Device device = Device::cpu(),
                      float mean = 0.0f, float stddev = 1.0f);
  // A tensor over memory it does not own: another library's array (a NumPy array, a
  // DLPack tensor) seen without a copy. `data` holds shape.numel() contiguous row-major
  // elements of `dtype` on `device`, aligned to the element size. Every copy of the
  // tensor holds `owner`, and the memory must stay valid while owner lives (nullptr:
  // the caller keeps it valid for as long as the tensor is used). Nothing is freed but
  // owner. A null or misaligned data pointer is an ArgumentError.
  static Tensor wrap(void* data, const Shape& shape, DType dtype, Device device,
                     std::shared_ptr<const void> owner = nullptr);

  // ---- Properties ---------------------------------------------------------------
  bool defined() const { return storage_ != nullptr; }
  const Shape& shape() const { return shape_; }
  std::int64_t rank() const { return shape_.rank(); }
  std::int64_t dim(std::int64_t i) const { return shape_[i]; }
  std::int64_t numel() const { return shape_.numel(); }
  DType dtype() const { return dtype_; }
  Device device() const { return device_; }
  std::size_t nbytes() const;

  // ---- Data ---------------------------------------------------------------------
  // Host pointers, typed: a DTypeError if T is not dtype(), a DeviceError if the
  // tensor is not on the CPU.
  template <Element T>
  T* data();
  template <Element T>
  const T* data() const;
  // The storage on whatever device holds it.
  void* raw_data() { return storage_ ? storage_->ptr : nullptr; }
  const void* raw_data() const { return storage_ ? storage_->ptr : nullptr; }

  // Element at a full index (host tensors only); out-of-range is a ShapeError.
  template <Element T>
  T at(std::initializer_list<std::int64_t> index) const;

  // The elements in row-major order, copied out from any device.
  template <Element T>
  std::vector<T> to_vector() const;

  // ---- Movement -----------------------------------------------------------------
  // This tensor on `device`: itself (shared) when already there, else a copy.
  Tensor to(Device device) const;
  // An independent copy on the same device.
  Tensor clone() const;
  // The same storage seen with another shape of the same numel.
  Tensor reshape(const Shape& shape) const;

 private:
  struct Storage {
    void* ptr = nullptr;
    std::size_t bytes = 0;
    Device device;
    std::shared_ptr<const void> owner;  // wrap(): what keeps ptr valid
    bool owned = true;                  // false for wrap(): ~Storage frees nothing
    Storage(std::size_t bytes, Device device);
    Storage(void* borrowed, std::size_t bytes, Device device, std::shared_ptr<const void> owner);
    ~Storage();
    Storage(const Storage&) = delete;
    Storage& operator=(const Storage&) = delete;
  };

  Tensor(const Shape& shape, DType dtype, Device device);
  void check_host_access(DType requested) const;
  void copy_from_host(const void* src);

  std::shared_ptr<Storage> storage_;
  Shape shape_;
  DType dtype_ = DType::f32;
  Device device_ = Device::cpu();
};

}  // namespace tandem
