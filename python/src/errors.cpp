#include "errors.h"

#include <exception>

#include <tandem/error.h>

namespace tandem::python {
namespace {

namespace nb = nanobind;

// The classes, made once at import and kept for the process (the translator uses them).
struct Classes {
  PyObject* error = nullptr;
  PyObject* shape = nullptr;
  PyObject* dtype = nullptr;
  PyObject* device = nullptr;
  PyObject* argument = nullptr;
};
Classes classes;

PyObject* make_class(nb::module_& m, const char* name, nb::handle bases, const char* doc) {
  const std::string qualified = std::string("tandem.") + name;
  PyObject* cls = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, bases.ptr(), nullptr);
  if (cls == nullptr) throw nb::python_error();
  m.attr(name) = nb::handle(cls);
  return cls;
}

}  // namespace

void bind_errors(nb::module_& m) {
  classes.error = make_class(m, "Error", PyExc_Exception,
                             "Every error Tandem raises; the message names the operation and "
                             "the shapes or values it refused.");
  const nb::handle error(classes.error);
  classes.shape = make_class(m, "ShapeError", nb::make_tuple(error, nb::handle(PyExc_ValueError)),
                             "Shapes that do not fit the operation.");
  classes.dtype = make_class(m, "DTypeError", nb::make_tuple(error, nb::handle(PyExc_TypeError)),
                             "An element type (or an object) the operation does not accept.");
  classes.device =
      make_class(m, "DeviceError", nb::make_tuple(error, nb::handle(PyExc_RuntimeError)),
                 "A device that does not exist or cannot be used, or operands on different "
                 "devices.");
  classes.argument =
      make_class(m, "ArgumentError", nb::make_tuple(error, nb::handle(PyExc_ValueError)),
                 "A value the operation cannot accept (NaN where a scale is derived, a bit "
                 "width, a layout).");

  nb::register_exception_translator([](const std::exception_ptr& p, void*) {
    try {
      std::rethrow_exception(p);
    } catch (const ShapeError& e) {
      PyErr_SetString(classes.shape, e.what());
    } catch (const DTypeError& e) {
      PyErr_SetString(classes.dtype, e.what());
    } catch (const DeviceError& e) {
      PyErr_SetString(classes.device, e.what());
    } catch (const ArgumentError& e) {
      PyErr_SetString(classes.argument, e.what());
    } catch (const Error& e) {
      PyErr_SetString(classes.error, e.what());
    }
  });
}

}  // namespace tandem::python
