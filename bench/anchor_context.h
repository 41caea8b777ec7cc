// The anchors' kernels, recorded in the benchmark context, and OpenBLAS on the best
// core it has for this CPU.
//
// Debian's OpenBLAS (0.3.21, DYNAMIC_ARCH) picks its core once, in a constructor run
// when the library is loaded: from the CPU's vendor, family and model, and from its
// instruction sets for models it does not know. Where that goes wrong (reported: the
// generic Prescott kernels on a Sapphire Rapids machine; a third of the speed of the
// AVX-512 ones: 31 against 94 GFLOP/s, 1024^3 on one Zen 4 core), every ratio to the
// anchor goes wrong with it. Its only control is OPENBLAS_CORETYPE, read by that constructor: too
// late to set in main, so select_openblas_core re-executes the binary with it set.
#pragma once

namespace tandem::bench {

// Called first in main with main's own argv. When the user has not set
// OPENBLAS_CORETYPE and OpenBLAS's own pick is weaker than the best core it has for
// this CPU's instruction sets, sets the variable and re-executes /proc/self/exe with
// the same arguments (does not return then). Never re-executes twice.
void select_openblas_core(char** argv);

// Adds each anchor's kernel to the context: OpenBLAS's library, core, configuration
// and who chose the core; oneDNN's version and the instruction set it runs; BLIS's
// version and sub-configuration. False, after saying why on stderr, when the OpenBLAS
// anchor's cblas_sgemm is not OpenBLAS's.
bool add_anchor_context();

}  // namespace tandem::bench
