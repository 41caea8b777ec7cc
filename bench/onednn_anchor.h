// The oneDNN anchor: a dnnl::matmul primitive for one shape and set of data types,
// created once and executed on the caller's buffers.
//
// Debian's libdnnl (2.6) runs its CPU primitives on OpenMP (libgomp, the runtime
// Tandem uses too), so its thread count is OpenMP's: hold a OnednnThreads for the
// life of the primitive (some implementations fix their decomposition when created).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

namespace tandem::bench {

// omp_set_num_threads(threads) for its lifetime; the previous count is restored after.
class OnednnThreads {
 public:
  explicit OnednnThreads(int threads);
  ~OnednnThreads();
  OnednnThreads(const OnednnThreads&) = delete;
  OnednnThreads& operator=(const OnednnThreads&) = delete;

 private:
  int saved_;
};

// What a layer adds to the plain matmul, as a oneDNN user sets it up: a bias (f32, one
// per column), output scales (one, or one per column: dequantization of int8 sums),
// a relu post-op, and weights reordered once into the layout the primitive prefers
// (format_tag::any), as inference engines do with constant weights.
struct OnednnLayer {
  bool bias = false;
  std::vector<float> output_scales;  // empty: none
  bool relu = false;
  bool weights_reordered_once = false;
};

// C (m x n) = A (m x k) * B (k x n), all row-major and contiguous ("ab"), B in plain
// layout (not pre-packed by oneDNN: it is packed inside each call, as Tandem's is)
// unless the layer reorders it once. Data types, e.g. f32/f32/f32 or u8/s8/s32.
class OnednnMatmul {
 public:
  using DataType = dnnl::memory::data_type;
  OnednnMatmul(std::int64_t m, std::int64_t n, std::int64_t k, DataType a, DataType b, DataType c,
               const OnednnLayer& layer = {});
  // With weights_reordered_once: B reordered into the primitive's layout (once).
  void prepare_weights(const void* b);
  // Runs C = A * B (+ bias, scales, relu as the layer says) and waits for it. With
  // prepared weights, b is ignored.
  void run(const void* a, const void* b, void* c, const float* bias = nullptr);
  // oneDNN's name for the implementation it picked (e.g. "brg:avx512_core", "gemm:jit").
  std::string implementation() const { return implementation_; }
  // Bytes of the weights as the primitive reads them (after the reorder, if any).
  std::size_t weights_bytes() const { return weights_bytes_; }

 private:
  dnnl::engine engine_;
  dnnl::stream stream_;
  dnnl::matmul matmul_;
  std::size_t weights_bytes_ = 0;
  dnnl::memory a_, b_, c_, bias_, packed_b_;
  bool prepared_ = false;
  std::string implementation_;
};

// y = relu(x) on n contiguous floats, out of place (oneDNN's eltwise_relu, inference).
class OnednnRelu {
 public:
  explicit OnednnRelu(std::int64_t n);
  void run(const float* x, float* y);
  std::string implementation() const { return implementation_; }

 private:
  dnnl::engine engine_;
  dnnl::stream stream_;
  dnnl::eltwise_forward relu_;
  dnnl::memory x_, y_;
  std::string implementation_;
};

}  // namespace tandem::bench
