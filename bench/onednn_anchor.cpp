#include "onednn_anchor.h"

#include <omp.h>

#include <unordered_map>

namespace tandem::bench {

OnednnThreads::OnednnThreads(int threads) : saved_(omp_get_max_threads()) {
  omp_set_num_threads(threads);
}
OnednnThreads::~OnednnThreads() { omp_set_num_threads(saved_); }

OnednnMatmul::OnednnMatmul(std::int64_t m, std::int64_t n, std::int64_t k, DataType a, DataType b,
                           DataType c, const OnednnLayer& layer)
    : engine_(dnnl::engine::kind::cpu, 0), stream_(engine_) {
  using tag = dnnl::memory::format_tag;
  const dnnl::memory::desc a_md({m, k}, a, tag::ab);
  const dnnl::memory::desc b_md({k, n}, b, tag::ab);
  const dnnl::memory::desc c_md({m, n}, c, tag::ab);
  const dnnl::memory::desc bias_md({1, n}, DataType::f32, tag::ab);
  const dnnl::memory::desc b_any({k, n}, b, layer.weights_reordered_once ? tag::any : tag::ab);
  dnnl::primitive_attr attr;
  if (!layer.output_scales.empty()) {
    // mask 0: one scale; 1 << 1: one per column (dimension 1 of C).
    attr.set_output_scales(layer.output_scales.size() == 1 ? 0 : 1 << 1, layer.output_scales);
  }
  if (layer.relu) {
    dnnl::post_ops ops;
    ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
    attr.set_post_ops(ops);
  }
  const auto desc = layer.bias ? dnnl::matmul::desc(a_md, b_any, bias_md, c_md)
                               : dnnl::matmul::desc(a_md, b_any, c_md);
  const dnnl::matmul::primitive_desc pd(desc, attr, engine_);
  matmul_ = dnnl::matmul(pd);
  implementation_ = pd.impl_info_str();
  weights_bytes_ = pd.weights_desc().get_size();
  a_ = dnnl::memory(a_md, engine_, DNNL_MEMORY_NONE);
  b_ = dnnl::memory(b_md, engine_, DNNL_MEMORY_NONE);
  c_ = dnnl::memory(c_md, engine_, DNNL_MEMORY_NONE);
  if (layer.bias) bias_ = dnnl::memory(bias_md, engine_, DNNL_MEMORY_NONE);
  if (layer.weights_reordered_once) packed_b_ = dnnl::memory(pd.weights_desc(), engine_);
}

void OnednnMatmul::prepare_weights(const void* b) {
  b_.set_data_handle(const_cast<void*>(b));
  dnnl::reorder(b_, packed_b_).execute(stream_, b_, packed_b_);
  stream_.wait();
  prepared_ = true;
}

void OnednnMatmul::run(const void* a, const void* b, void* c, const float* bias) {
  // oneDNN takes non-const handles; it does not write the inputs.
  a_.set_data_handle(const_cast<void*>(a));
  if (!prepared_) b_.set_data_handle(const_cast<void*>(b));
  c_.set_data_handle(c);
  std::unordered_map<int, dnnl::memory> args{
      {DNNL_ARG_SRC, a_}, {DNNL_ARG_WEIGHTS, prepared_ ? packed_b_ : b_}, {DNNL_ARG_DST, c_}};
  if (bias != nullptr) {
    bias_.set_data_handle(const_cast<float*>(bias));
    args.insert({DNNL_ARG_BIAS, bias_});
  }
  matmul_.execute(stream_, args);
  stream_.wait();
}

OnednnRelu::OnednnRelu(std::int64_t n) : engine_(dnnl::engine::kind::cpu, 0), stream_(engine_) {
  const dnnl::memory::desc md({n}, dnnl::memory::data_type::f32, dnnl::memory::format_tag::a);
  const dnnl::eltwise_forward::primitive_desc pd(
      dnnl::eltwise_forward::desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::eltwise_relu,
                                  md, 0.0f, 0.0f),
      engine_);
  relu_ = dnnl::eltwise_forward(pd);
  implementation_ = pd.impl_info_str();
  x_ = dnnl::memory(md, engine_, DNNL_MEMORY_NONE);
  y_ = dnnl::memory(md, engine_, DNNL_MEMORY_NONE);
}

void OnednnRelu::run(const float* x, float* y) {
  x_.set_data_handle(const_cast<float*>(x));
  y_.set_data_handle(y);
  relu_.execute(stream_, {{DNNL_ARG_SRC, x_}, {DNNL_ARG_DST, y_}});
  stream_.wait();
}

}  // namespace tandem::bench
