// tandem._tandem: the Python extension over Tandem's dispatcher (nanobind). The
// Python package `tandem` re-exports it and adds tandem.seed.
#include <nanobind/nanobind.h>

#include "arrays.h"
#include "bindings.h"
#include "errors.h"

NB_MODULE(_tandem, m) {
  m.doc() = "Tandem's operations on NumPy, buffer-protocol and DLPack arrays, without copies";
  tandem::python::init_arrays();
  tandem::python::bind_errors(m);
  tandem::python::bind_ops(m);
  tandem::python::bind_quantization(m);
  tandem::python::bind_tools(m);
}
