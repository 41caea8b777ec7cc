// The parts of the _tandem extension module, one file each.
#pragma once

#include <string>

#include <nanobind/nanobind.h>

#include <tandem/epilogue.h>

namespace tandem::python {

void bind_ops(nanobind::module_& m);           // ops.cpp: f32 ops
void bind_quantization(nanobind::module_& m);  // quantization.cpp: quantize ... quantized_linear
void bind_tools(nanobind::module_& m);         // tools.cpp: info, verbose, timing, batch_apply

// "none" / "relu" as an Activation; anything else is an ArgumentError naming op.
Activation activation_from(const char* op, const std::string& name);

}  // namespace tandem::python
