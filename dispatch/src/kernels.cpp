#include <tandem/kernels.h>

namespace tandem {

std::vector<KernelInfo> registered_kernels() {
  constexpr auto cpu = DeviceKind::cpu;
  const std::string ref = "reference";
  return {
      {"matmul", cpu, "f32", ref, "triple loop, double accumulation"},
      {"gemm", cpu, "f32", ref, "BLAS semantics: transposes, alpha, beta; double accumulation"},
      {"relu", cpu, "f32", ref, "scalar loop, NaN propagates"},
      {"add", cpu, "f32", ref, "scalar loop"},
      {"multiply", cpu, "f32", ref, "scalar loop"},
      {"squared_difference", cpu, "f32", ref, "scalar loop"},
      {"dot", cpu, "f32", ref, "double accumulation"},
      {"euclidean_distance", cpu, "f32", ref, "double accumulation"},
      {"cosine_similarity", cpu, "f32", ref, "double accumulation, eps 1e-8"},
      {"quantize", cpu, "f32 -> i8/i16", ref, "symmetric per-tensor, round half to even"},
      {"dequantize", cpu, "i8/i16 -> f32", ref, "q * scale"},
      {"quantized_matmul", cpu, "f32 (i8/i16 inside)", ref,
       "quantize, int32-accumulated GEMM, dequantize"},
      {"quantized_relu", cpu, "f32 (i8/i16 inside)", ref, "max(q, 0) in the integer domain"},
      {"batch_apply", cpu, "f32", ref, "row blocks on N std::threads"},
  };
}

}  // namespace tandem
