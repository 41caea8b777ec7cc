// Kernels run without the GIL, so that other Python threads go on meanwhile. The
// arguments' arrays stay referenced by the caller (Borrowed) throughout.
#pragma once

#include <nanobind/nanobind.h>

namespace tandem::python {

template <typename F>
auto without_gil(F&& f) {
  nanobind::gil_scoped_release release;
  return f();
}

}  // namespace tandem::python
