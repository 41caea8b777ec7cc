#include "arrays.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <tandem/error.h>

namespace tandem::python {
namespace {

// "list", "ndarray": the Python type of an object, for messages.
std::string python_type(nb::handle object) {
  return nb::str(object.type().attr("__name__")).c_str();
}

std::string dlpack_name(nb::dlpack::dtype t) {
  using Code = nb::dlpack::dtype_code;
  const std::pair<Code, const char*> kinds[] = {
      {Code::Int, "int"},       {Code::UInt, "uint"},       {Code::Float, "float"},
      {Code::Bfloat, "bfloat"}, {Code::Complex, "complex"}, {Code::Bool, "bool"}};
  for (const auto& [code, kind] : kinds) {
    if (static_cast<Code>(t.code) == code) return kind + std::to_string(t.bits);
  }
  return "DLPack type code " + std::to_string(t.code) + " of " + std::to_string(t.bits) + " bits";
}

// The dtypes a Tensor holds, as DLPack names them.
struct DTypeRow {
  DType dtype;
  nb::dlpack::dtype dlpack;
};
const DTypeRow kDTypes[] = {
    {DType::f32, nb::dtype<float>()},
    {DType::i8, nb::dtype<std::int8_t>()},
    {DType::i16, nb::dtype<std::int16_t>()},
    {DType::i32, nb::dtype<std::int32_t>()},
};

DType tandem_dtype(const char* op, const char* name, nb::dlpack::dtype t) {
  for (const DTypeRow& row : kDTypes) {
    if (row.dlpack == t) return row.dtype;
  }
  throw DTypeError(std::string(op) + ": " + name + " is a " + dlpack_name(t) +
                   " array; Tandem takes float32, int8, int16 or int32 (convert it explicitly, "
                   "for example x.astype(numpy.float32))");
}

nb::dlpack::dtype dlpack_dtype(DType dtype) {
  for (const DTypeRow& row : kDTypes) {
    if (row.dtype == dtype) return row.dlpack;
  }
  throw DTypeError("tandem: no array dtype for " + std::string(dtype_name(dtype)));
}

Device tandem_device(const char* op, const char* name, int type, int index) {
  if (type == nb::device::cpu::value || type == nb::device::cuda_host::value) return Device::cpu();
  if (type == nb::device::cuda::value) return Device::cuda(index);
  throw DeviceError(std::string(op) + ": " + name + " is on DLPack device type " +
                    std::to_string(type) + "; Tandem runs on the CPU and CUDA GPUs");
}

template <typename Array>
Shape shape_of(const Array& a) {
  std::vector<std::int64_t> dims(a.ndim());
  for (std::size_t i = 0; i < a.ndim(); ++i) dims[i] = static_cast<std::int64_t>(a.shape(i));
  return Shape(std::move(dims));
}

// Row-major with no gaps; dimensions of extent 1 may have any stride (NumPy gives them
// arbitrary ones), and an empty array is contiguous whatever its strides.
template <typename Array>
bool c_contiguous(const Array& a) {
  for (std::size_t i = 0; i < a.ndim(); ++i) {
    if (a.shape(i) == 0) return true;
  }
  std::int64_t expected = 1;
  for (std::size_t i = a.ndim(); i-- > 0;) {
    const auto extent = static_cast<std::int64_t>(a.shape(i));
    if (extent != 1 && a.stride(i) != expected) return false;
    expected *= extent;
  }
  return true;
}

Framework framework_of(nb::handle object) {
  // torch.Tensor, once torch has been imported (before that, nothing is a torch tensor).
  static PyObject* torch_tensor = nullptr;
  if (torch_tensor == nullptr) {
    PyObject* torch = PyDict_GetItemString(PyImport_GetModuleDict(), "torch");
    if (torch == nullptr) return Framework::numpy;
    torch_tensor = PyObject_GetAttrString(torch, "Tensor");  // kept for the process
    if (torch_tensor == nullptr) {
      PyErr_Clear();
      return Framework::numpy;
    }
  }
  return PyObject_IsInstance(object.ptr(), torch_tensor) == 1 ? Framework::torch : Framework::numpy;
}

}  // namespace

Borrowed borrow(const char* op, const char* name, nb::handle object, bool writable) {
  Borrowed b;
  if (writable) {
    nb::ndarray<> array;
    if (!nb::try_cast(object, array, false)) {
      nb::ndarray<nb::ro> read_only;
      if (nb::try_cast(object, read_only, false)) {
        throw ArgumentError(std::string(op) + ": " + name + " is read-only");
      }
      throw DTypeError(std::string(op) + ": " + name +
                       " must be an array (NumPy, the buffer protocol or DLPack), got " +
                       python_type(object));
    }
    b.array = nb::ndarray<>(array);
  } else {
    nb::ndarray<nb::ro> array;
    if (!nb::try_cast(object, array, false)) {
      throw DTypeError(std::string(op) + ": " + name +
                       " must be an array (NumPy, the buffer protocol or DLPack), got " +
                       python_type(object));
    }
    b.array = nb::ndarray<>(array);
  }
  const nb::ndarray<>& a = b.array;
  const DType dtype = tandem_dtype(op, name, a.dtype());
  const Shape shape = shape_of(a);
  if (!c_contiguous(a)) {
    std::vector<std::int64_t> strides(a.ndim());
    for (std::size_t i = 0; i < a.ndim(); ++i) strides[i] = a.stride(i);
    throw ArgumentError(std::string(op) + ": " + name + " " + shape.str() +
                        " is not C-contiguous (strides " + shape_string(strides) +
                        " elements); pass numpy.ascontiguousarray(" + name +
                        ") (a copy) or a contiguous array");
  }
  const Device device = tandem_device(op, name, a.device_type(), a.device_id());
  b.tensor = Tensor::wrap(a.data(), shape, dtype, device);
  b.framework = framework_of(object);
  return b;
}

nb::object to_array(const Tensor& tensor, Framework framework) {
  std::vector<std::size_t> shape(static_cast<std::size_t>(tensor.rank()));
  for (std::size_t i = 0; i < shape.size(); ++i) {
    shape[i] = static_cast<std::size_t>(tensor.dim(static_cast<std::int64_t>(i)));
  }
  // The array owns a copy of the Tensor handle: the storage lives as long as the array.
  auto* keep = new Tensor(tensor);
  nb::capsule owner(keep, [](void* p) noexcept { delete static_cast<Tensor*>(p); });
  const bool gpu = tensor.device().is_cuda();
  const int device_type = gpu ? nb::device::cuda::value : nb::device::cpu::value;
  void* data = const_cast<void*>(tensor.raw_data());
  const nb::dlpack::dtype dtype = dlpack_dtype(tensor.dtype());
  if (framework == Framework::torch) {
    return nb::ndarray<nb::pytorch>(data, shape.size(), shape.data(), owner, nullptr, dtype,
                                    device_type, tensor.device().index)
        .cast();
  }
  if (gpu) {
    return nb::ndarray<nb::array_api>(data, shape.size(), shape.data(), owner, nullptr, dtype,
                                      device_type, tensor.device().index)
        .cast();
  }
  return nb::ndarray<nb::numpy>(data, shape.size(), shape.data(), owner, nullptr, dtype,
                                device_type, 0)
      .cast();
}

}  // namespace tandem::python
