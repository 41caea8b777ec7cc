// The registry: one table of rows, one per implementation of an op (a CPU row once
// per path), in order of preference per op and device kind. A row names its
// implementation, says what it is, and holds the adapter that calls its kernel.
// Adding an implementation is adding a row; adding an op is its row in op.cpp and its
// rows here.
#include "registry.h"

#include <array>
#include <memory>
#include <utility>
#include <vector>

#include <tandem/cpu/reference.h>
#include <tandem/cuda/runtime.h>
#include <tandem/error.h>
#include <tandem/quantization_rules.h>

#include "quantized_weights.h"

namespace tandem::detail {
namespace {
namespace ref = cpu::reference;

// ---- The Call's operands, typed ------------------------------------------------------
const float* x_of(const Call& c) { return static_cast<const float*>(c.in[0]); }
const float* y_of(const Call& c) { return static_cast<const float*>(c.in[1]); }
float* out_of(const Call& c) { return static_cast<float*>(c.out); }
template <typename Q>
Q* q_out(const Call& c) {
  return static_cast<Q*>(c.out);
}
template <typename Q>
const Q* q_in(const Call& c) {
  return static_cast<const Q*>(c.in[0]);
}
// f(Q) with Q = int8_t or int16_t as c.bits says (validated before dispatch).
template <typename F>
void by_width(const Call& c, F&& f) {
  if (c.bits == 8) {
    f(std::int8_t{});
  } else {
    f(std::int16_t{});
  }
}

// The asymmetric quantizer's results, as the call returns them.
void set_asymmetric(Call& c, quant::AsymmetricParams params) {
  c.scale = params.scale;
  c.zero_point = params.zero_point;
}

// The GPU kernels have no uint8 form yet: a call forced there is refused, not converted.
void refuse_u8_on_gpu(const Call& c) {
  if (c.in_u8 || c.out_u8) {
    throw ArgumentError(std::string(op_name(c.op)) + ": " + c.shapes() +
                        " uint8 data runs on the host only so far (no GPU kernel)");
  }
}

// linear's bias and activation (none for matmul and gemm, whose in[2] is null).
Epilogue epilogue_of(const Call& c) { return {static_cast<const float*>(c.in[2]), c.activation}; }

// ---- Adapters used by more than one row ----------------------------------------------
void reference_gemm(Call& c, const Context&) {
  ref::gemm(c.trans_a, c.trans_b, c.m, c.n, c.k, c.alpha, x_of(c), c.lda, y_of(c), c.ldb, c.beta,
            out_of(c), c.ldc, epilogue_of(c));
}
void cpu_gemm(Call& c, const Context& w) {
  cpu::sgemm(c.trans_a, c.trans_b, c.m, c.n, c.k, c.alpha, x_of(c), c.lda, y_of(c), c.ldb, c.beta,
             out_of(c), c.ldc, w.run, c.blocking, epilogue_of(c));
}
template <cuda::SgemmImpl impl>
void cuda_gemm(Call& c, const Context& w) {
  cuda::sgemm(impl, c.trans_a, c.trans_b, c.m, c.n, c.k, c.alpha, x_of(c), c.lda, y_of(c), c.ldb,
              c.beta, out_of(c), c.ldc, *w.stream, epilogue_of(c));
}

// ---- quantized_linear: the weights' layout decides the implementation -------------------
const QuantizedWeights::Data& weights_of(const Call& c) {
  return *static_cast<const QuantizedWeights::Data*>(c.prepared);
}

// x_scale * w_scale per column (or one), refused where the product overflows.
std::vector<float> combined_scales(const QuantizedWeights::Data& w, float x_scale) {
  std::vector<float> scales(w.scales.size());
  for (std::size_t j = 0; j < scales.size(); ++j) {
    scales[j] = quant::dequantization_scale("quantized_linear", x_scale, w.scales[j]);
  }
  return scales;
}

// x as Q: the caller's quantized values, or x quantized here by `quantize` (which
// returns the scale) into `own`.
template <typename Q, typename Quantize>
const Q* quantized_x(const Call& c, float& x_scale, std::vector<Q>& own, Quantize&& quantize) {
  x_scale = c.scale;
  if (c.quantized_in) return q_in<Q>(c);
  own.resize(static_cast<std::size_t>(c.m * c.k));
  try {
    x_scale = quantize(x_of(c), c.m * c.k, own.data());
  } catch (const ArgumentError& e) {  // NaN or Inf in x, worded by the quantizer
    throw ArgumentError("quantized_linear: x [" + std::to_string(c.m) + ", " + std::to_string(c.k) +
                        "]: " + e.what());
  }
  return own.data();
}

void cpu_quantized_linear(Call& c, const Context& w) {
  const QuantizedWeights::Data& d = weights_of(c);
  by_width(c, [&]<typename Q>(Q) {
    float x_scale = 0.0f;
    std::vector<Q> own;
    const Q* x = quantized_x<Q>(c, x_scale, own, [&](const float* in, std::int64_t n, Q* q) {
      return cpu::quantize(in, n, q, w.run);
    });
    const std::vector<float> scales = combined_scales(d, x_scale);
    const cpu::QuantizedEpilogue e{
        scales.data(), scales.size() > 1, static_cast<const float*>(c.in[2]),
        c.activation,  c.in_u8,           c.zero_point};
    if (c.out_u8) {
      cpu::quantized_linear(c.m, x, c.k, *d.packed, e, c.out_scale, c.out_zero_point,
                            q_out<std::uint8_t>(c), c.n, w.run, c.blocking);
    } else if (c.out_scale > 0.0f) {
      cpu::quantized_linear(c.m, x, c.k, *d.packed, e, c.out_scale, q_out<std::int8_t>(c), c.n,
                            w.run, c.blocking);
    } else {
      cpu::quantized_linear(c.m, x, c.k, *d.packed, e, out_of(c), c.n, w.run, c.blocking);
    }
  });
}

// The GPU layer: int8 W on the device since prepare, x there too (the dispatcher moved
// host operands), quantized there when it is f32; the scales of the call (x's times
// W's) copied up; everything else in the dp4a GEMM's store.
void cuda_quantized_linear(Call& c, const Context& w) {
  const QuantizedWeights::Data& d = weights_of(c);
  const int device = w.stream->device();
  float x_scale = c.scale;
  const std::int8_t* x = q_in<std::int8_t>(c);
  cuda::DeviceBuffer own;
  if (!c.quantized_in) {
    try {
      x_scale = cuda::quantize_scale(x_of(c), c.m * c.k, 8, *w.stream);
    } catch (const ArgumentError& e) {  // NaN or Inf in x
      throw ArgumentError("quantized_linear: x [" + std::to_string(c.m) + ", " +
                          std::to_string(c.k) + "]: " + e.what());
    }
    own = cuda::DeviceBuffer(device, static_cast<std::size_t>(c.m * c.k));
    cuda::quantize(x_of(c), c.m * c.k, x_scale, own.as<std::int8_t>(), *w.stream);
    x = own.as<std::int8_t>();
  }
  const std::vector<float> scales = combined_scales(d, x_scale);
  cuda::DeviceBuffer scales_on_device(device, scales.size() * sizeof(float));
  cuda::copy_host_to_device(device, scales_on_device.get(), scales.data(),
                            scales.size() * sizeof(float));
  cuda::QuantizedLayerStore store;
  store.scales = scales_on_device.as<float>();
  store.per_column = scales.size() > 1;
  store.bias = static_cast<const float*>(c.in[2]);
  store.activation = c.activation;
  store.inverse_out_scale = c.out_scale > 0.0f ? 1.0f / c.out_scale : 0.0f;
  cuda::quantized_linear_s8(c.m, c.n, c.k, x, c.k, d.device_values.as<std::int8_t>(), c.n, store,
                            c.out, c.n, *w.stream);
  w.stream->synchronize();  // before own and the scales are freed
}

void reference_quantized_linear(Call& c, const Context&) {
  const QuantizedWeights::Data& d = weights_of(c);
  by_width(c, [&]<typename Q>(Q) {
    float x_scale = 0.0f;
    std::vector<Q> own;
    const Q* x = quantized_x<Q>(c, x_scale, own, [&](const float* in, std::int64_t n, Q* q) {
      const float scale = ref::quantize_scale(in, n, c.bits);
      ref::quantize(in, n, scale, q);
      return scale;
    });
    const std::vector<float> scales = combined_scales(d, x_scale);
    const float* bias = static_cast<const float*>(c.in[2]);
    const bool per_column = scales.size() > 1;
    if constexpr (sizeof(Q) == 1) {
      const std::int8_t* values = d.values_i8.data();
      const auto* x_u8 = reinterpret_cast<const std::uint8_t*>(x);
      const ref::U8Output u8_out{c.out_scale, c.out_zero_point, q_out<std::uint8_t>(c)};
      if (c.in_u8 && c.out_u8) {
        ref::quantized_linear(c.m, c.n, c.k, x_u8, c.zero_point, values, scales.data(), per_column,
                              bias, c.activation, u8_out);
      } else if (c.in_u8) {
        ref::quantized_linear(c.m, c.n, c.k, x_u8, c.zero_point, values, scales.data(), per_column,
                              bias, c.activation, out_of(c), c.out_scale, q_out<std::int8_t>(c));
      } else if (c.out_u8) {
        ref::quantized_linear(c.m, c.n, c.k, x, values, scales.data(), per_column, bias,
                              c.activation, u8_out);
      } else {
        ref::quantized_linear(c.m, c.n, c.k, x, values, scales.data(), per_column, bias,
                              c.activation, out_of(c), c.out_scale, q_out<std::int8_t>(c));
      }
    } else {
      ref::quantized_linear(c.m, c.n, c.k, x, d.values_i16.data(), scales.data(), per_column, bias,
                            c.activation, out_of(c), c.out_scale, q_out<std::int8_t>(c));
    }
  });
}

// Which implementations a row stands for.
enum class Paths : std::uint8_t {
  cpu_isas,   // one per CPU path, best first: "cpu.avx512", "cpu.avx2", "cpu.baseline"
  cpu_one,    // one CPU implementation, named by the row
  reference,  // "reference"
  cuda,       // one GPU implementation, named by the row
};

struct Row {
  Op op;
  Paths paths;
  const char* implementation;  // nullptr for Paths::cpu_isas
  const char* summary;
  Adapter adapter;
  // Runs the integer GEMM: its avx512 path needs AVX-512 VNNI, and each path's units
  // (cpu::IgemmUnit) are entries of their own, before the path's vectors: "cpu.amx"
  // (avx512, int8 on AMX tiles), "cpu.avx2_vnni" (avx2 on AVX-VNNI).
  bool integer_gemm = false;
};

constexpr const char* kSgemmCpu = "packed SGEMM, register microkernel";
constexpr const char* kCublas = "cublasSgemm, pedantic FP32";
constexpr const char* kTiled = "register-blocked tiles, cp.async pipeline";
constexpr const char* kTiledBasic = "one-level shared-memory tiles (teaching baseline)";

// clang-format off
constexpr Row kRows[] = {
  // matmul: gemm with alpha = 1, beta = 0; both run the same kernels.
  {Op::matmul, Paths::cpu_isas, nullptr, kSgemmCpu, cpu_gemm},
  {Op::matmul, Paths::reference, "reference", "triple loop, double accumulation", reference_gemm},
  {Op::matmul, Paths::cuda, "cuda.cublas", kCublas, cuda_gemm<cuda::SgemmImpl::cublas>},
  {Op::matmul, Paths::cuda, "cuda.tiled", kTiled, cuda_gemm<cuda::SgemmImpl::tiled>},
  {Op::matmul, Paths::cuda, "cuda.tiled_basic", kTiledBasic, cuda_gemm<cuda::SgemmImpl::tiled_basic>},

  {Op::gemm, Paths::cpu_isas, nullptr, kSgemmCpu, cpu_gemm},
  {Op::gemm, Paths::reference, "reference", "BLAS semantics, double accumulation", reference_gemm},
  {Op::gemm, Paths::cuda, "cuda.cublas", kCublas, cuda_gemm<cuda::SgemmImpl::cublas>},
  {Op::gemm, Paths::cuda, "cuda.tiled", kTiled, cuda_gemm<cuda::SgemmImpl::tiled>},
  {Op::gemm, Paths::cuda, "cuda.tiled_basic", kTiledBasic, cuda_gemm<cuda::SgemmImpl::tiled_basic>},

  // linear: matmul with the bias and activation applied by the GEMM's store.
  {Op::linear, Paths::cpu_isas, nullptr, "packed SGEMM, bias and activation in its store", cpu_gemm},
  {Op::linear, Paths::reference, "reference", "triple loop, double accumulation, then the epilogue",
   reference_gemm},
  {Op::linear, Paths::cuda, "cuda.cublas", "cublasSgemm, then one bias and activation pass",
   cuda_gemm<cuda::SgemmImpl::cublas>},
  {Op::linear, Paths::cuda, "cuda.tiled", "register-blocked tiles, bias and activation in the store",
   cuda_gemm<cuda::SgemmImpl::tiled>},
  {Op::linear, Paths::cuda, "cuda.tiled_basic", "one-level tiles, bias and activation in the store",
   cuda_gemm<cuda::SgemmImpl::tiled_basic>},

  {Op::relu, Paths::cpu_isas, nullptr, "vector max, NaN propagates",
   [](Call& c, const Context& w) { cpu::relu(x_of(c), out_of(c), c.count, w.run); }},
  {Op::relu, Paths::reference, "reference", "scalar loop, NaN propagates",
   [](Call& c, const Context&) { ref::relu(x_of(c), out_of(c), c.count); }},
  {Op::relu, Paths::cuda, "cuda", "grid-stride float4",
   [](Call& c, const Context& w) { cuda::relu(x_of(c), out_of(c), c.count, *w.stream); }},

  {Op::add, Paths::cpu_isas, nullptr, "vector add",
   [](Call& c, const Context& w) { cpu::add(x_of(c), y_of(c), out_of(c), c.count, w.run); }},
  {Op::add, Paths::reference, "reference", "scalar loop",
   [](Call& c, const Context&) { ref::add(x_of(c), y_of(c), out_of(c), c.count); }},
  {Op::add, Paths::cuda, "cuda", "grid-stride float4",
   [](Call& c, const Context& w) { cuda::add(x_of(c), y_of(c), out_of(c), c.count, *w.stream); }},

  {Op::multiply, Paths::cpu_isas, nullptr, "vector multiply",
   [](Call& c, const Context& w) { cpu::multiply(x_of(c), y_of(c), out_of(c), c.count, w.run); }},
  {Op::multiply, Paths::reference, "reference", "scalar loop",
   [](Call& c, const Context&) { ref::multiply(x_of(c), y_of(c), out_of(c), c.count); }},
  {Op::multiply, Paths::cuda, "cuda", "grid-stride float4",
   [](Call& c, const Context& w) { cuda::multiply(x_of(c), y_of(c), out_of(c), c.count, *w.stream); }},

  {Op::squared_difference, Paths::cpu_isas, nullptr, "vector (x - y)^2",
   [](Call& c, const Context& w) {
     cpu::squared_difference(x_of(c), y_of(c), out_of(c), c.count, w.run);
   }},
  {Op::squared_difference, Paths::reference, "reference", "scalar loop",
   [](Call& c, const Context&) { ref::squared_difference(x_of(c), y_of(c), out_of(c), c.count); }},
  {Op::squared_difference, Paths::cuda, "cuda", "grid-stride float4",
   [](Call& c, const Context& w) {
     cuda::squared_difference(x_of(c), y_of(c), out_of(c), c.count, *w.stream);
   }},

  {Op::dot, Paths::cpu_isas, nullptr, "vector accumulators, double flush",
   [](Call& c, const Context& w) { c.result = cpu::dot(x_of(c), y_of(c), c.count, w.run); }},
  {Op::dot, Paths::reference, "reference", "double accumulation",
   [](Call& c, const Context&) { c.result = ref::dot(x_of(c), y_of(c), c.count); }},
  {Op::dot, Paths::cuda, "cuda", "CUB reduction in double",
   [](Call& c, const Context& w) { c.result = cuda::dot(x_of(c), y_of(c), c.count, *w.stream); }},

  {Op::euclidean_distance, Paths::cpu_isas, nullptr, "vector accumulators, double flush",
   [](Call& c, const Context& w) {
     c.result = cpu::euclidean_distance(x_of(c), y_of(c), c.count, w.run);
   }},
  {Op::euclidean_distance, Paths::reference, "reference", "double accumulation",
   [](Call& c, const Context&) { c.result = ref::euclidean_distance(x_of(c), y_of(c), c.count); }},
  {Op::euclidean_distance, Paths::cuda, "cuda", "CUB reduction in double",
   [](Call& c, const Context& w) {
     c.result = cuda::euclidean_distance(x_of(c), y_of(c), c.count, *w.stream);
   }},

  {Op::cosine_similarity, Paths::cpu_isas, nullptr, "one pass, three accumulators",
   [](Call& c, const Context& w) {
     c.result = cpu::cosine_similarity(x_of(c), y_of(c), c.count, w.run);
   }},
  {Op::cosine_similarity, Paths::reference, "reference", "double accumulation, eps 1e-8",
   [](Call& c, const Context&) { c.result = ref::cosine_similarity(x_of(c), y_of(c), c.count); }},
  {Op::cosine_similarity, Paths::cuda, "cuda", "CUB reduction in double",
   [](Call& c, const Context& w) {
     c.result = cuda::cosine_similarity(x_of(c), y_of(c), c.count, *w.stream);
   }},

  {Op::quantize, Paths::cpu_isas, nullptr, "max|x| (or min, max) scan, then vector rounding",
   [](Call& c, const Context& w) {
     if (c.out_u8) {
       set_asymmetric(c, cpu::quantize_asymmetric(x_of(c), c.count, q_out<std::uint8_t>(c), w.run));
       return;
     }
     by_width(c, [&]<typename Q>(Q) { c.scale = cpu::quantize(x_of(c), c.count, q_out<Q>(c), w.run); });
   }},
  {Op::quantize, Paths::reference, "reference", "per tensor, round half to even",
   [](Call& c, const Context&) {
     if (c.out_u8) {
       set_asymmetric(c, ref::quantize_asymmetric(x_of(c), c.count, q_out<std::uint8_t>(c)));
       return;
     }
     c.scale = ref::quantize_scale(x_of(c), c.count, c.bits);
     by_width(c, [&]<typename Q>(Q) { ref::quantize(x_of(c), c.count, c.scale, q_out<Q>(c)); });
   }},
  {Op::quantize, Paths::cuda, "cuda", "CUB max|x|, then rounding",
   [](Call& c, const Context& w) {
     refuse_u8_on_gpu(c);
     c.scale = cuda::quantize_scale(x_of(c), c.count, c.bits, *w.stream);
     by_width(c, [&]<typename Q>(Q) {
       cuda::quantize(x_of(c), c.count, c.scale, q_out<Q>(c), *w.stream);
     });
   }},

  {Op::dequantize, Paths::cpu_isas, nullptr, "vector convert and scale",
   [](Call& c, const Context& w) {
     if (c.in_u8) {
       cpu::dequantize(q_in<std::uint8_t>(c), c.count, c.scale, c.zero_point, out_of(c), w.run);
       return;
     }
     by_width(c, [&]<typename Q>(Q) { cpu::dequantize(q_in<Q>(c), c.count, c.scale, out_of(c), w.run); });
   }},
  {Op::dequantize, Paths::reference, "reference", "(q - zero_point) * scale",
   [](Call& c, const Context&) {
     if (c.in_u8) {
       ref::dequantize(q_in<std::uint8_t>(c), c.count, c.scale, c.zero_point, out_of(c));
       return;
     }
     by_width(c, [&]<typename Q>(Q) { ref::dequantize(q_in<Q>(c), c.count, c.scale, out_of(c)); });
   }},
  {Op::dequantize, Paths::cuda, "cuda", "convert and scale",
   [](Call& c, const Context& w) {
     refuse_u8_on_gpu(c);
     by_width(c, [&]<typename Q>(Q) {
       cuda::dequantize(q_in<Q>(c), c.count, c.scale, out_of(c), *w.stream);
     });
   }},

  {Op::quantized_matmul, Paths::cpu_isas, nullptr, "integer GEMM, dequantizing store",
   [](Call& c, const Context& w) {
     cpu::quantized_matmul(x_of(c), y_of(c), out_of(c), c.m, c.n, c.k, c.bits, w.run);
   }, /*integer_gemm=*/true},
  {Op::quantized_matmul, Paths::reference, "reference", "quantize, int32 GEMM, dequantize",
   [](Call& c, const Context&) {
     ref::quantized_matmul(x_of(c), y_of(c), out_of(c), c.m, c.n, c.k, c.bits);
   }},
  {Op::quantized_matmul, Paths::cuda, "cuda", "dp4a / int16 GEMM, dequantizing store",
   [](Call& c, const Context& w) {
     cuda::quantized_matmul(x_of(c), y_of(c), out_of(c), c.m, c.n, c.k, c.bits, *w.stream);
   }},

  // quantized_relu: f32 in and out, or quantized in and out (Call::quantized_in).
  {Op::quantized_relu, Paths::cpu_isas, nullptr, "fused quantize, max, dequantize; or max(q, 0)",
   [](Call& c, const Context& w) {
     if (c.in_u8) {
       cpu::relu_u8(q_in<std::uint8_t>(c), q_out<std::uint8_t>(c), c.count, c.zero_point, w.run);
     } else if (c.quantized_in) {
       if (c.bits == 8) {
         cpu::relu_s8(q_in<std::int8_t>(c), q_out<std::int8_t>(c), c.count, w.run);
       } else {
         cpu::relu_s16(q_in<std::int16_t>(c), q_out<std::int16_t>(c), c.count, w.run);
       }
     } else {
       cpu::quantized_relu(x_of(c), out_of(c), c.count, c.bits, w.run);
     }
   }},
  {Op::quantized_relu, Paths::reference, "reference", "max(q, 0) in the integer domain",
   [](Call& c, const Context&) {
     if (c.in_u8) {
       ref::relu_u8(q_in<std::uint8_t>(c), q_out<std::uint8_t>(c), c.count, c.zero_point);
     } else if (c.quantized_in) {
       if (c.bits == 8) {
         ref::relu_s8(q_in<std::int8_t>(c), q_out<std::int8_t>(c), c.count);
       } else {
         ref::relu_s16(q_in<std::int16_t>(c), q_out<std::int16_t>(c), c.count);
       }
     } else {
       ref::quantized_relu(x_of(c), out_of(c), c.count, c.bits);
     }
   }},
  {Op::quantized_relu, Paths::cuda, "cuda", "fused quantize, max, dequantize; or max(q, 0)",
   [](Call& c, const Context& w) {
     refuse_u8_on_gpu(c);
     if (c.quantized_in) {
       if (c.bits == 8) {
         cuda::relu_s8(q_in<std::int8_t>(c), q_out<std::int8_t>(c), c.count, *w.stream);
       } else {
         cuda::relu_s16(q_in<std::int16_t>(c), q_out<std::int16_t>(c), c.count, *w.stream);
       }
       return;
     }
     cuda::quantized_relu(x_of(c), out_of(c), c.count, c.bits, *w.stream);
   }},

  // quantized_linear: prepared weights, packed for one CPU path (or plain for the
  // reference); QuantizedWeights::prepare picks the row, the call runs it.
  {Op::quantized_linear, Paths::cpu_isas, nullptr,
   "weights packed once, integer GEMM, scales, bias, relu, requantize in its store",
   cpu_quantized_linear, /*integer_gemm=*/true},
  {Op::quantized_linear, Paths::reference, "reference", "int64 sums, then the epilogue",
   reference_quantized_linear},
  {Op::quantized_linear, Paths::cuda, "cuda",
   "int8 weights on the GPU, dp4a GEMM, scales, bias, relu, requantize in its store",
   cuda_quantized_linear},

  // batch_apply runs the caller's function: no SIMD paths and no GPU kernel.
  {Op::batch_apply, Paths::cpu_one, "cpu.openmp", "row blocks on an OpenMP team",
   [](Call& c, const Context&) {
     cpu::batch_apply(*c.row_function, x_of(c), out_of(c), c.rows, c.cols, c.workers);
   }},
  {Op::batch_apply, Paths::reference, "reference", "row blocks on std::threads",
   [](Call& c, const Context&) {
     ref::batch_apply(*c.row_function, x_of(c), out_of(c), c.rows, c.cols, c.workers);
   }},
};
// clang-format on

// The integer GEMM's units beyond the vectors, and what their entries add to a row's summary.
constexpr std::pair<cpu::IgemmUnit, const char*> kUnits[] = {
    {cpu::IgemmUnit::amx, "; int8 products on AMX tiles (int16 on AVX-512 VNNI)"},
    {cpu::IgemmUnit::avx_vnni, "; int8 and int16 products on AVX-VNNI"},
};

// The rows as entries: a Paths::cpu_isas row once per path (and unit).
std::vector<KernelEntry> build_table() {
  std::vector<KernelEntry> table;
  for (const Row& row : kRows) {
    const auto add = [&](DeviceKind device, Backend backend, std::string name) -> KernelEntry& {
      table.push_back({row.op, device, backend, std::move(name), row.summary, row.adapter});
      return table.back();
    };
    switch (row.paths) {
      case Paths::cpu_isas:
        for (const cpu::Isa isa : cpu::all_isas()) {
          for (const auto& [unit, what] : kUnits) {
            if (!row.integer_gemm || cpu::igemm_unit_path(unit) != isa) continue;
            KernelEntry& e =
                add(DeviceKind::cpu, Backend::cpu, cpu::igemm_implementation(isa, unit));
            e.summary += what;
            e.isa = isa;
            e.integer_gemm = true;
            e.unit = unit;
          }
          KernelEntry& e =
              add(DeviceKind::cpu, Backend::cpu, "cpu." + std::string(cpu::isa_name(isa)));
          e.isa = isa;
          e.integer_gemm = row.integer_gemm;
        }
        break;
      case Paths::cpu_one:
        add(DeviceKind::cpu, Backend::cpu, row.implementation);
        break;
      case Paths::reference:
        add(DeviceKind::cpu, Backend::reference, row.implementation);
        break;
      case Paths::cuda:
        add(DeviceKind::cuda, Backend::cuda, row.implementation);
        break;
    }
  }
  return table;
}

// One stream per thread and device: concurrent callers do not serialise on a stream,
// and a call waits only for its own work.
const cuda::Stream& thread_stream(int device) {
  thread_local std::vector<std::unique_ptr<cuda::Stream>> streams;
  if (streams.size() <= static_cast<std::size_t>(device)) {
    streams.resize(static_cast<std::size_t>(device) + 1);
  }
  auto& stream = streams[static_cast<std::size_t>(device)];
  if (!stream) stream = std::make_unique<cuda::Stream>(device);
  return *stream;
}

struct Registry {
  std::vector<KernelEntry> table;
  std::vector<std::array<std::vector<const KernelEntry*>, 2>> by_op;

  Registry() : table(build_table()), by_op(all_ops().size()) {
    table.shrink_to_fit();
    for (const KernelEntry& e : table) {
      by_op[static_cast<std::size_t>(e.op)][static_cast<std::size_t>(e.device)].push_back(&e);
    }
  }
};

const Registry& registry() {
  static const Registry r;  // built once, read-only after: safe for concurrent callers
  return r;
}

}  // namespace

bool KernelEntry::available() const {
  switch (backend) {
    case Backend::reference:
      return true;
    case Backend::cpu:
      // best_isa(): the best supported path under the cap, fixed at first use.
      // The cap names paths; a path's units come with it.
      return isa <= cpu::best_isa() &&
             (integer_gemm ? cpu::igemm_unit_supported(isa, unit) : cpu::isa_supported(isa));
    case Backend::cuda:
      return cuda::device_count() > 0;
  }
  return false;
}

std::string KernelEntry::unavailable_reason() const {
  if (available()) return {};
  if (backend == Backend::cuda) {
    return cuda::built_with_cuda() ? "no GPU: " + cuda::unavailable_reason()
                                   : std::string("no GPU: Tandem was built without CUDA");
  }
  const std::string path(cpu::isa_name(isa));
  if (!cpu::isa_supported(isa)) return "this CPU does not support " + path;
  if (isa > cpu::best_isa()) {
    return path + " is above the cap " + std::string(cpu::isa_name(cpu::max_isa())) +
           " (TANDEM_MAX_CPU_ISA)";
  }
  if (isa == cpu::Isa::avx512 && !cpu::has_avx512_vnni()) return "this CPU has no AVX-512 VNNI";
  if (unit == cpu::IgemmUnit::avx_vnni) return "this CPU has no AVX-VNNI";
  return "this CPU (or its OS) offers no AMX-INT8 tiles";
}

void KernelEntry::run(Call& call) const {
  if (backend != Backend::cuda) {
    adapter(call, Context{cpu::RunOptions{isa, call.threads, unit}});
    return;
  }
  const cuda::Stream& stream = thread_stream(call.cuda_device);
  adapter(call, Context{cpu::RunOptions{}, &stream});
  stream.synchronize();  // errors of the kernels surface here, before the call returns
}

std::span<const KernelEntry* const> candidates(Op op, DeviceKind device) {
  return registry().by_op[static_cast<std::size_t>(op)][static_cast<std::size_t>(device)];
}

const KernelEntry* find_kernel(Op op, std::string_view implementation) {
  for (const DeviceKind device : {DeviceKind::cpu, DeviceKind::cuda}) {
    for (const KernelEntry* e : candidates(op, device)) {
      if (e->implementation == implementation) return e;
    }
  }
  return nullptr;
}

std::span<const KernelEntry> all_kernels() { return registry().table; }

}  // namespace tandem::detail
