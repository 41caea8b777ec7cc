#include "arrays.h"

// NumPy's C API, for making result arrays directly (numpy.asarray on an exported
// object, nanobind's way, costs three times as much per call).
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>

#include <cstdint>
#include <string>
#include <string_view>
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

DTypeError refused_dtype(const char* op, const char* name, const std::string& described) {
  return DTypeError(
      std::string(op) + ": " + name + " is a " + described +
      " array; Tandem takes float32, int8, int16, int32 or uint8 (convert it explicitly, "
      "for example x.astype(numpy.float32))");
}

// The dtypes a Tensor holds, as DLPack names them.
struct DTypeRow {
  DType dtype;
  nb::dlpack::dtype dlpack;
};
const DTypeRow kDTypes[] = {
    {DType::f32, nb::dtype<float>()},        {DType::i8, nb::dtype<std::int8_t>()},
    {DType::i16, nb::dtype<std::int16_t>()}, {DType::i32, nb::dtype<std::int32_t>()},
    {DType::u8, nb::dtype<std::uint8_t>()},
};

DType tandem_dtype(const char* op, const char* name, nb::dlpack::dtype t) {
  for (const DTypeRow& row : kDTypes) {
    if (row.dlpack == t) return row.dtype;
  }
  throw refused_dtype(op, name, dlpack_name(t));
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

// Row-major with no gaps (strides in elements); dimensions of extent 1 may have any
// stride (NumPy gives them arbitrary ones), and an empty array is contiguous whatever its
// strides.
void require_c_contiguous(const char* op, const char* name, const std::vector<std::int64_t>& dims,
                          const std::vector<std::int64_t>& strides) {
  for (const std::int64_t extent : dims) {
    if (extent == 0) return;
  }
  std::int64_t expected = 1;
  for (std::size_t i = dims.size(); i-- > 0;) {
    if (dims[i] != 1 && strides[i] != expected) {
      throw ArgumentError(std::string(op) + ": " + name + " " + shape_string(dims) +
                          " is not C-contiguous (strides " + shape_string(strides) +
                          " elements); pass numpy.ascontiguousarray(" + name +
                          ") (a copy) or a contiguous array");
    }
    expected *= dims[i];
  }
}

// The buffer protocol's struct format of one element ("f", "<h", ...) as a DType.
DType buffer_dtype(const char* op, const char* name, const Py_buffer& view) {
  std::string_view format = view.format != nullptr ? view.format : "B";
  // Native (or little-endian on this little-endian host) byte order only.
  if (!format.empty() && (format[0] == '@' || format[0] == '=' || format[0] == '<')) {
    format.remove_prefix(1);
  }
  struct Row {
    std::string_view format;
    DType dtype;
  };
  constexpr Row rows[] = {
      {"f", DType::f32}, {"b", DType::i8}, {"h", DType::i16}, {"i", DType::i32}, {"B", DType::u8}};
  for (const Row& row : rows) {
    if (format == row.format && view.itemsize == static_cast<Py_ssize_t>(dtype_size(row.dtype))) {
      return row.dtype;
    }
  }
  // NumPy's names for the formats users meet, for the message.
  struct Name {
    std::string_view format;
    const char* name;
  };
  constexpr Name names[] = {{"d", "float64"},    {"e", "float16"},    {"l", "int64"},
                            {"q", "int64"},      {"H", "uint16"},     {"I", "uint32"},
                            {"L", "uint64"},     {"Q", "uint64"},     {"?", "bool"},
                            {"Zf", "complex64"}, {"Zd", "complex128"}};
  std::string described = "buffer format '" + std::string(view.format ? view.format : "B") + "'";
  for (const Name& n : names) {
    if (format == n.format) described = n.name;
  }
  throw refused_dtype(op, name, described);
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

Borrowed::Borrowed(Borrowed&& other) noexcept
    : tensor(std::move(other.tensor)),
      framework(other.framework),
      buffer_(other.buffer_),
      has_buffer_(std::exchange(other.has_buffer_, false)),
      dlpack_(std::move(other.dlpack_)) {}

Borrowed::~Borrowed() {
  tensor = Tensor();  // before what keeps its memory alive
  if (has_buffer_) PyBuffer_Release(&buffer_);
}

Borrowed borrow(const char* op, const char* name, nb::handle object, bool writable) {
  const auto refuse_non_array = [&] {
    return DTypeError(std::string(op) + ": " + name +
                      " must be an array (NumPy, the buffer protocol or DLPack), got " +
                      python_type(object));
  };
  Borrowed b;
  // The buffer protocol first: NumPy arrays export it without allocating, where a
  // DLPack import costs a capsule and a call (a third of a tiny call's overhead).
  if (PyObject_CheckBuffer(object.ptr())) {
    const int flags = PyBUF_RECORDS_RO | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(object.ptr(), &b.buffer_, flags) != 0) {
      PyErr_Clear();
      if (writable && PyObject_CheckBuffer(object.ptr())) {
        throw ArgumentError(std::string(op) + ": " + name + " is read-only");
      }
      throw refuse_non_array();
    }
    b.has_buffer_ = true;
    const Py_buffer& view = b.buffer_;
    const DType dtype = buffer_dtype(op, name, view);
    std::vector<std::int64_t> dims(view.shape, view.shape + view.ndim);
    std::vector<std::int64_t> strides(view.strides, view.strides + view.ndim);
    for (auto& stride : strides) stride /= static_cast<std::int64_t>(view.itemsize);
    require_c_contiguous(op, name, dims, strides);
    b.tensor = Tensor::wrap(view.buf, Shape(std::move(dims)), dtype, Device::cpu());
    return b;
  }
  // DLPack: PyTorch (CPU and CUDA), and other producers.
  nb::ndarray<nb::ro> read_only;
  if (!nb::try_cast(object, read_only, false)) throw refuse_non_array();
  if (writable) {
    nb::ndarray<> array;
    if (!nb::try_cast(object, array, false)) {
      throw ArgumentError(std::string(op) + ": " + name + " is read-only");
    }
  }
  b.dlpack_ = nb::ndarray<>(read_only);
  const nb::ndarray<>& a = b.dlpack_;
  const DType dtype = tandem_dtype(op, name, a.dtype());
  std::vector<std::int64_t> dims(a.ndim()), strides(a.ndim());
  for (std::size_t i = 0; i < a.ndim(); ++i) {
    dims[i] = static_cast<std::int64_t>(a.shape(i));
    strides[i] = a.stride(i);
  }
  require_c_contiguous(op, name, dims, strides);
  const Device device = tandem_device(op, name, a.device_type(), a.device_id());
  b.tensor = Tensor::wrap(a.data(), Shape(std::move(dims)), dtype, device);
  b.framework = framework_of(object);
  return b;
}

void init_arrays() {
  if (_import_array() < 0) throw nb::python_error();
}

namespace {

int numpy_typenum(DType dtype) {
  switch (dtype) {
    case DType::f32:
      return NPY_FLOAT32;
    case DType::i8:
      return NPY_INT8;
    case DType::i16:
      return NPY_INT16;
    case DType::i32:
      return NPY_INT32;
    case DType::u8:
      return NPY_UINT8;
  }
  throw DTypeError("tandem: no NumPy type for " + std::string(dtype_name(dtype)));
}

// A NumPy array over the tensor's host storage, whose base object owns the tensor.
nb::object numpy_array(const Tensor& tensor, nb::capsule owner) {
  std::vector<npy_intp> dims(static_cast<std::size_t>(tensor.rank()));
  for (std::size_t i = 0; i < dims.size(); ++i) {
    dims[i] = static_cast<npy_intp>(tensor.dim(static_cast<std::int64_t>(i)));
  }
  PyObject* array = PyArray_New(&PyArray_Type, static_cast<int>(dims.size()), dims.data(),
                                numpy_typenum(tensor.dtype()), nullptr,
                                const_cast<void*>(tensor.raw_data()), 0, NPY_ARRAY_CARRAY, nullptr);
  if (array == nullptr) throw nb::python_error();
  nb::object result = nb::steal(array);
  if (PyArray_SetBaseObject(reinterpret_cast<PyArrayObject*>(array), owner.release().ptr()) < 0) {
    throw nb::python_error();
  }
  return result;
}

}  // namespace

nb::object to_array(const Tensor& tensor, Framework framework) {
  // The array owns a copy of the Tensor handle: the storage lives as long as the array.
  nb::capsule owner(new Tensor(tensor), [](void* p) noexcept { delete static_cast<Tensor*>(p); });
  const bool gpu = tensor.device().is_cuda();
  if (framework == Framework::numpy && !gpu) return numpy_array(tensor, std::move(owner));

  // DLPack: PyTorch tensors for PyTorch inputs, a DLPack array for other GPU inputs.
  std::vector<std::size_t> shape(static_cast<std::size_t>(tensor.rank()));
  for (std::size_t i = 0; i < shape.size(); ++i) {
    shape[i] = static_cast<std::size_t>(tensor.dim(static_cast<std::int64_t>(i)));
  }
  const int device_type = gpu ? nb::device::cuda::value : nb::device::cpu::value;
  void* data = const_cast<void*>(tensor.raw_data());
  const nb::dlpack::dtype dtype = dlpack_dtype(tensor.dtype());
  if (framework == Framework::torch) {
    return nb::ndarray<nb::pytorch>(data, shape.size(), shape.data(), owner, nullptr, dtype,
                                    device_type, tensor.device().index)
        .cast();
  }
  return nb::ndarray<nb::array_api>(data, shape.size(), shape.data(), owner, nullptr, dtype,
                                    device_type, tensor.device().index)
      .cast();
}

}  // namespace tandem::python
