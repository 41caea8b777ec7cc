// Tandem's exceptions as Python classes: tandem.Error, and below it ShapeError and
// ArgumentError (also ValueError), DTypeError (also TypeError), DeviceError (also
// RuntimeError), as Python code expects to catch them.
#pragma once

#include <nanobind/nanobind.h>

namespace tandem::python {

void bind_errors(nanobind::module_& m);

}  // namespace tandem::python
