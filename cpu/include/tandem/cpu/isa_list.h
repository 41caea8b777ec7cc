// The CPU paths Tandem compiles its kernels for, best first: the one list that the
// Isa enum, the names, the kernel tables, the table selection, the tests and
// cmake/TandemIsa.cmake (which reads this line) all follow. A path's compiler flags
// are in cmake/TandemIsa.cmake, what it needs of the CPU in isa.cpp.
#pragma once

// clang-format off
#define TANDEM_CPU_ISA_LIST(X) X(avx512) X(avx2) X(baseline)
// clang-format on
