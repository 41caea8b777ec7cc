// Whether a GEMM operand is used as stored or transposed (BLAS's 'N' and 'T').
#pragma once

namespace tandem {

enum class Transpose : bool { no = false, yes = true };

}  // namespace tandem
