// NumPy, buffer-protocol and DLPack arrays seen as Tensors without a copy, and Tensors
// handed back to Python as arrays that own them (again without a copy).
//
// Inputs must be C-contiguous and of a dtype Tandem holds (float32, int8, int16,
// int32): anything else is refused with an error naming the operation and the
// argument, never converted silently (tandem.seed converts, explicitly).
#pragma once

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>

#include <tandem/tensor.h>

namespace tandem::python {

namespace nb = nanobind;

// The array library an argument came from, so that results go back in the same kind.
enum class Framework { numpy, torch };

// An argument's array and the Tensor over its memory. The Tensor borrows: what is held
// here (a buffer-protocol view, or a DLPack import) keeps the memory alive, so a
// Borrowed must outlive every use of tensor, and must be destroyed with the GIL held.
class Borrowed {
 public:
  Tensor tensor;
  Framework framework = Framework::numpy;

  Borrowed() = default;
  Borrowed(Borrowed&& other) noexcept;
  Borrowed& operator=(Borrowed&&) = delete;
  ~Borrowed();

 private:
  friend Borrowed borrow(const char* op, const char* name, nb::handle object, bool writable);
  Py_buffer buffer_{};       // the buffer protocol's view (NumPy, memoryview, array.array)
  bool has_buffer_ = false;  // ... when buffer_ holds one
  nb::ndarray<> dlpack_;     // or a DLPack import (PyTorch, and other DLPack producers)
};

// `object` as a Tensor over its memory: `op` and `name` name the call in errors.
// writable: the array is an output that the op writes (read-only arrays are refused).
Borrowed borrow(const char* op, const char* name, nb::handle object, bool writable = false);

// Loads NumPy's C API; called once, when the module is imported.
void init_arrays();

// The tensor as an array of `framework` that owns it (shares its storage): NumPy or
// PyTorch for host memory, PyTorch (or a DLPack array when torch is absent) for GPU.
nb::object to_array(const Tensor& tensor, Framework framework);

}  // namespace tandem::python
