// The registry's table and the three backends' entry points: one switch over the
// operations per backend, so that adding an operation touches one place each.
#include "registry.h"

#include <array>
#include <memory>
#include <vector>

#include <tandem/cpu/reference.h>
#include <tandem/cuda/runtime.h>
#include <tandem/error.h>

namespace tandem::detail {
namespace {
namespace ref = cpu::reference;

constexpr std::size_t kOpCount = static_cast<std::size_t>(Op::batch_apply) + 1;

template <typename T>
T* out_as(const Call& c) {
  return static_cast<T*>(c.out);
}
template <typename T>
const T* in_as(const Call& c, int i) {
  return static_cast<const T*>(c.in[i]);
}

// ---- The reference kernels ---------------------------------------------------------
void run_reference(Call& c) {
  const float* x = in_as<float>(c, 0);
  const float* y = in_as<float>(c, 1);
  switch (c.op) {
    case Op::matmul:
    case Op::gemm:
      ref::gemm(c.trans_a, c.trans_b, c.m, c.n, c.k, c.alpha, x, c.lda, y, c.ldb, c.beta,
                out_as<float>(c), c.ldc);
      return;
    case Op::relu:
      ref::relu(x, out_as<float>(c), c.count);
      return;
    case Op::add:
      ref::add(x, y, out_as<float>(c), c.count);
      return;
    case Op::multiply:
      ref::multiply(x, y, out_as<float>(c), c.count);
      return;
    case Op::squared_difference:
      ref::squared_difference(x, y, out_as<float>(c), c.count);
      return;
    case Op::dot:
      c.result = ref::dot(x, y, c.count);
      return;
    case Op::euclidean_distance:
      c.result = ref::euclidean_distance(x, y, c.count);
      return;
    case Op::cosine_similarity:
      c.result = ref::cosine_similarity(x, y, c.count);
      return;
    case Op::quantize:
      c.scale = ref::quantize_scale(x, c.count, c.bits);
      if (c.bits == 8) {
        ref::quantize(x, c.count, c.scale, out_as<std::int8_t>(c));
      } else {
        ref::quantize(x, c.count, c.scale, out_as<std::int16_t>(c));
      }
      return;
    case Op::dequantize:
      if (c.bits == 8) {
        ref::dequantize(in_as<std::int8_t>(c, 0), c.count, c.scale, out_as<float>(c));
      } else {
        ref::dequantize(in_as<std::int16_t>(c, 0), c.count, c.scale, out_as<float>(c));
      }
      return;
    case Op::quantized_matmul:
      ref::quantized_matmul(x, y, out_as<float>(c), c.m, c.n, c.k, c.bits);
      return;
    case Op::quantized_relu:
      ref::quantized_relu(x, out_as<float>(c), c.count, c.bits);
      return;
    case Op::batch_apply:
      ref::batch_apply(*c.row_function, x, out_as<float>(c), c.rows, c.cols, c.workers);
      return;
  }
}

// ---- The CPU paths ------------------------------------------------------------------
void run_cpu(const KernelEntry& e, Call& c) {
  const cpu::RunOptions run{e.isa, c.threads};
  const float* x = in_as<float>(c, 0);
  const float* y = in_as<float>(c, 1);
  switch (c.op) {
    case Op::matmul:
    case Op::gemm:
      cpu::sgemm(c.trans_a, c.trans_b, c.m, c.n, c.k, c.alpha, x, c.lda, y, c.ldb, c.beta,
                 out_as<float>(c), c.ldc, run, c.blocking);
      return;
    case Op::relu:
      cpu::relu(x, out_as<float>(c), c.count, run);
      return;
    case Op::add:
      cpu::add(x, y, out_as<float>(c), c.count, run);
      return;
    case Op::multiply:
      cpu::multiply(x, y, out_as<float>(c), c.count, run);
      return;
    case Op::squared_difference:
      cpu::squared_difference(x, y, out_as<float>(c), c.count, run);
      return;
    case Op::dot:
      c.result = cpu::dot(x, y, c.count, run);
      return;
    case Op::euclidean_distance:
      c.result = cpu::euclidean_distance(x, y, c.count, run);
      return;
    case Op::cosine_similarity:
      c.result = cpu::cosine_similarity(x, y, c.count, run);
      return;
    case Op::quantize:
      c.scale = c.bits == 8 ? cpu::quantize(x, c.count, out_as<std::int8_t>(c), run)
                            : cpu::quantize(x, c.count, out_as<std::int16_t>(c), run);
      return;
    case Op::dequantize:
      if (c.bits == 8) {
        cpu::dequantize(in_as<std::int8_t>(c, 0), c.count, c.scale, out_as<float>(c), run);
      } else {
        cpu::dequantize(in_as<std::int16_t>(c, 0), c.count, c.scale, out_as<float>(c), run);
      }
      return;
    case Op::quantized_matmul:
      cpu::quantized_matmul(x, y, out_as<float>(c), c.m, c.n, c.k, c.bits, run);
      return;
    case Op::quantized_relu:
      cpu::quantized_relu(x, out_as<float>(c), c.count, c.bits, run);
      return;
    case Op::batch_apply:
      cpu::batch_apply(*c.row_function, x, out_as<float>(c), c.rows, c.cols, c.workers);
      return;
  }
}

// ---- The GPU kernels -----------------------------------------------------------------
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

void run_cuda(const KernelEntry& e, Call& c) {
  const cuda::Stream& s = thread_stream(c.cuda_device);
  const float* x = in_as<float>(c, 0);
  const float* y = in_as<float>(c, 1);
  switch (c.op) {
    case Op::matmul:
    case Op::gemm:
      cuda::sgemm(e.sgemm, c.trans_a, c.trans_b, c.m, c.n, c.k, c.alpha, x, c.lda, y, c.ldb, c.beta,
                  out_as<float>(c), c.ldc, s);
      break;
    case Op::relu:
      cuda::relu(x, out_as<float>(c), c.count, s);
      break;
    case Op::add:
      cuda::add(x, y, out_as<float>(c), c.count, s);
      break;
    case Op::multiply:
      cuda::multiply(x, y, out_as<float>(c), c.count, s);
      break;
    case Op::squared_difference:
      cuda::squared_difference(x, y, out_as<float>(c), c.count, s);
      break;
    case Op::dot:
      c.result = cuda::dot(x, y, c.count, s);
      break;
    case Op::euclidean_distance:
      c.result = cuda::euclidean_distance(x, y, c.count, s);
      break;
    case Op::cosine_similarity:
      c.result = cuda::cosine_similarity(x, y, c.count, s);
      break;
    case Op::quantize:
      c.scale = cuda::quantize_scale(x, c.count, c.bits, s);
      if (c.bits == 8) {
        cuda::quantize(x, c.count, c.scale, out_as<std::int8_t>(c), s);
      } else {
        cuda::quantize(x, c.count, c.scale, out_as<std::int16_t>(c), s);
      }
      break;
    case Op::dequantize:
      if (c.bits == 8) {
        cuda::dequantize(in_as<std::int8_t>(c, 0), c.count, c.scale, out_as<float>(c), s);
      } else {
        cuda::dequantize(in_as<std::int16_t>(c, 0), c.count, c.scale, out_as<float>(c), s);
      }
      break;
    case Op::quantized_matmul:
      cuda::quantized_matmul(x, y, out_as<float>(c), c.m, c.n, c.k, c.bits, s);
      break;
    case Op::quantized_relu:
      cuda::quantized_relu(x, out_as<float>(c), c.count, c.bits, s);
      break;
    case Op::batch_apply:
      throw DeviceError("batch_apply: runs a host function; there is no GPU kernel");
  }
  s.synchronize();  // errors of the kernels surface here, before the call returns
}

// ---- The table -------------------------------------------------------------------------
struct OpText {
  Op op;
  const char* dtypes;
  const char* reference;  // what the reference does
  const char* cpu;        // what the SIMD paths do
  const char* cuda;       // what the GPU kernel does; nullptr: none
};

constexpr OpText kOpTexts[] = {
    {Op::matmul, "f32", "triple loop, double accumulation", "packed SGEMM, register microkernel",
     nullptr},
    {Op::gemm, "f32", "BLAS semantics, double accumulation", "packed SGEMM, register microkernel",
     nullptr},
    {Op::relu, "f32", "scalar loop, NaN propagates", "vector max, NaN propagates",
     "grid-stride float4"},
    {Op::add, "f32", "scalar loop", "vector add", "grid-stride float4"},
    {Op::multiply, "f32", "scalar loop", "vector multiply", "grid-stride float4"},
    {Op::squared_difference, "f32", "scalar loop", "vector (x - y)^2", "grid-stride float4"},
    {Op::dot, "f32", "double accumulation", "vector accumulators, double flush",
     "CUB reduction in double"},
    {Op::euclidean_distance, "f32", "double accumulation", "vector accumulators, double flush",
     "CUB reduction in double"},
    {Op::cosine_similarity, "f32", "double accumulation, eps 1e-8", "one pass, three accumulators",
     "CUB reduction in double"},
    {Op::quantize, "f32 -> i8/i16", "symmetric per tensor, round half to even",
     "max|x| scan, then vector rounding", "CUB max|x|, then rounding"},
    {Op::dequantize, "i8/i16 -> f32", "q * scale", "vector convert and scale", "convert and scale"},
    {Op::quantized_matmul, "f32 (i8/i16 inside)", "quantize, int32 GEMM, dequantize",
     "integer GEMM, dequantizing store", "dp4a / int16 GEMM, dequantizing store"},
    {Op::quantized_relu, "f32 (i8/i16 inside)", "max(q, 0) in the integer domain",
     "fused quantize, max, dequantize", "fused quantize, max, dequantize"},
    {Op::batch_apply, "f32", "row blocks on std::threads", "row blocks on an OpenMP team", nullptr},
};

bool is_sgemm(Op op) { return op == Op::matmul || op == Op::gemm; }

std::vector<KernelEntry> build_table() {
  std::vector<KernelEntry> table;
  for (const OpText& t : kOpTexts) {
    const auto add = [&](DeviceKind device, Backend backend, std::string name,
                         std::string summary) {
      KernelEntry e{t.op, device, backend, std::move(name), t.dtypes, std::move(summary)};
      table.push_back(std::move(e));
      return &table.back();
    };
    // The CPU: the SIMD paths best first, then the reference (batch_apply has one
    // OpenMP implementation, its work being the caller's function).
    if (t.op == Op::batch_apply) {
      add(DeviceKind::cpu, Backend::cpu, "cpu.openmp", t.cpu);
    } else {
      for (const cpu::Isa isa : cpu::all_isas()) {
        KernelEntry* e =
            add(DeviceKind::cpu, Backend::cpu, "cpu." + std::string(cpu::isa_name(isa)), t.cpu);
        e->isa = isa;
        e->needs_vnni = t.op == Op::quantized_matmul && isa == cpu::Isa::avx512;
      }
    }
    add(DeviceKind::cpu, Backend::reference, "reference", t.reference);
    // The GPU: cuBLAS first for the SGEMMs (until a profile says otherwise).
    if (is_sgemm(t.op)) {
      for (const cuda::SgemmImpl impl :
           {cuda::SgemmImpl::cublas, cuda::SgemmImpl::tiled, cuda::SgemmImpl::tiled_basic}) {
        KernelEntry* e = add(DeviceKind::cuda, Backend::cuda, cuda::sgemm_impl_name(impl),
                             impl == cuda::SgemmImpl::cublas ? "cublasSgemm, pedantic FP32"
                             : impl == cuda::SgemmImpl::tiled
                                 ? "register-blocked tiles, cp.async pipeline"
                                 : "one-level shared-memory tiles (teaching baseline)");
        e->sgemm = impl;
      }
    } else if (t.cuda != nullptr) {
      add(DeviceKind::cuda, Backend::cuda, "cuda", t.cuda);
    }
  }
  return table;
}

struct Registry {
  std::vector<KernelEntry> table;
  std::array<std::array<std::vector<const KernelEntry*>, 2>, kOpCount> by_op;

  Registry() : table(build_table()) {
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
      return isa <= cpu::best_isa() && cpu::isa_supported(isa) &&
             (!needs_vnni || cpu::has_avx512_vnni());
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
  return "this CPU has no AVX-512 VNNI";
}

void KernelEntry::run(Call& call) const {
  switch (backend) {
    case Backend::reference:
      run_reference(call);
      return;
    case Backend::cpu:
      run_cpu(*this, call);
      return;
    case Backend::cuda:
      run_cuda(*this, call);
      return;
  }
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
