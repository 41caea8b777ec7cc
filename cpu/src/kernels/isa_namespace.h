// Kernel family sources are compiled once per CPU path (cmake/TandemIsa.cmake) with
// TANDEM_CPU_ISA set to the path's name, and put everything they define inside
// `namespace TANDEM_ISA_NAMESPACE`, i.e. tandem::cpu::avx512, ::avx2 or ::baseline.
//
// The rule that keeps the copies apart: a kernel source defines nothing with
// external linkage outside that namespace, and instantiates no standard-library
// template or inline function that could be emitted out of line (<algorithm>,
// <vector>, <cmath>, ...). Otherwise the linker could keep the AVX-512 copy of, say,
// std::min<float> and call it from the baseline path on a CPU without AVX-512.
// Kernel sources include only this header, simd.h, tables.h and C headers.
#pragma once

#ifndef TANDEM_CPU_ISA
#error "kernel sources are compiled through tandem_cpu_kernel_family(), which sets TANDEM_CPU_ISA"
#endif

#define TANDEM_ISA_NAMESPACE tandem::cpu::TANDEM_CPU_ISA
