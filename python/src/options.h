// The keyword arguments every operation takes after its own, as tandem::Options:
//   device="cpu" | "cuda" | "cuda:N" | None (auto), implementation="cpu.avx2" | ... | ""
//   (the dispatcher chooses), threads=0 (OpenMP's default), blocking=(mc, kc, nc) | None.
// An unknown keyword is a TypeError, as for any Python function.
#pragma once

#include <nanobind/nanobind.h>

#include <tandem/options.h>

namespace tandem::python {

Options parse_options(const char* op, const nanobind::kwargs& kwargs);

}  // namespace tandem::python
