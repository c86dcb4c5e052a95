#include "ops/dnnl/dnnl_common.h"

#include <cstdlib>
#include <cstring>
#include <set>

namespace ez::ops::dnnl_util {

dnnl::engine& engine() {
  static dnnl::engine eng = [] {
    // No VTune/perf JIT annotations: they cost ~6% of model load and nobody here reads them
    // (ONEDNN_JIT_PROFILE in the environment still overrides this).
    if (!std::getenv("ONEDNN_JIT_PROFILE") && !std::getenv("DNNL_JIT_PROFILE")) dnnl::set_jit_profiling_flags(0);
    return dnnl::engine(dnnl::engine::kind::cpu, 0);
  }();
  return eng;
}

dnnl::memory::desc plain_desc(const Shape& shape) { return plain_desc(shape, dnnl::memory::data_type::f32); }

dnnl::memory::desc plain_desc(const Shape& shape, dnnl::memory::data_type t) {
  dnnl::memory::dims dims(shape.begin(), shape.end());
  dnnl::memory::dims strides(shape.size(), 1);
  for (int i = static_cast<int>(shape.size()) - 2; i >= 0; --i) strides[i] = strides[i + 1] * shape[i + 1];
  return dnnl::memory::desc(dims, t, strides);
}

void append_activation(dnnl::post_ops& ops, const ActivationSpec& act) {
  using A = dnnl::algorithm;
  const float a = act.alpha, b = act.beta;
  switch (act.kind) {
    case Activation::kNone: break;
    case Activation::kRelu: ops.append_eltwise(1.0f, A::eltwise_relu, 0.0f, 0.0f); break;
    case Activation::kLeakyRelu: ops.append_eltwise(1.0f, A::eltwise_relu, a, 0.0f); break;
    case Activation::kClip: ops.append_eltwise(1.0f, A::eltwise_clip, a, b); break;
    case Activation::kSigmoid: ops.append_eltwise(1.0f, A::eltwise_logistic, 0.0f, 0.0f); break;
    case Activation::kSilu: ops.append_eltwise(1.0f, A::eltwise_swish, 1.0f, 0.0f); break;
    case Activation::kHardSwish: ops.append_eltwise(1.0f, A::eltwise_hardswish, 0.0f, 0.0f); break;
    case Activation::kHardSigmoid:  // clip(a*x + b, 0, 1)
      ops.append_eltwise(1.0f, A::eltwise_linear, a, b);
      ops.append_eltwise(1.0f, A::eltwise_clip, 0.0f, 1.0f);
      break;
    case Activation::kTanh: ops.append_eltwise(1.0f, A::eltwise_tanh, 0.0f, 0.0f); break;
  }
  if (act.has_output_affine()) ops.append_eltwise(1.0f, A::eltwise_linear, act.out_scale, act.out_shift);
}

dnnl::memory::dims grouped_weight_dims(const Shape& w, int64_t group) {
  dnnl::memory::dims d;
  if (group > 1) d = {group, w[0] / group, w[1]};
  else d = {w[0], w[1]};
  d.insert(d.end(), w.begin() + 2, w.end());
  return d;
}

bool int8_products_exact(const Tensor& w_s8, DType x_type) {
  const int isa = static_cast<int>(dnnl::get_effective_cpu_isa());
  auto has = [isa](dnnl::cpu_isa f) { return (isa & static_cast<int>(f)) == static_cast<int>(f); };
  if (has(dnnl::cpu_isa::avx512_core_vnni) || has(dnnl::cpu_isa::avx2_vnni)) return true;
  if (x_type != DType::kUInt8) return false;
  const int64_t M = w_s8.dim(0), K = w_s8.numel() / M;
  for (int64_t m = 0; m < M; ++m) {  // the two largest |w| of a channel may meet in one pair
    int first = 0, second = 0;
    for (int64_t k = 0; k < K; ++k) {
      const int a = std::abs(static_cast<int>(w_s8.data<int8_t>()[m * K + k]));
      if (a > first) second = first, first = a;
      else if (a > second) second = a;
    }
    if (255 * (first + second) > 32767) return false;
  }
  return true;
}

bool cpu_has_amx_int8() {
  const int isa = static_cast<int>(dnnl::get_effective_cpu_isa()), amx = static_cast<int>(dnnl::cpu_isa::avx512_core_amx);
  return (isa & amx) == amx;
}

void skip_amx_for_short_reductions(dnnl::convolution_forward::primitive_desc& pd, int64_t reduction) {
  if (reduction >= kAmxMinReduction) return;
  while (std::strstr(pd.impl_info_str(), "amx") && pd.next_impl()) {
  }
}

void RunArgs::make(const dnnl::memory::desc& src, const dnnl::memory::desc& dst, const dnnl::memory& weights,
                   const dnnl::memory* src_buf, const dnnl::memory* dst_buf) {
  stream = dnnl::stream(engine());
  user_src = dnnl::memory(src, engine(), nullptr);
  user_dst = dnnl::memory(dst, engine(), nullptr);
  map = {{DNNL_ARG_SRC, src_buf ? *src_buf : user_src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, dst_buf ? *dst_buf : user_dst}};
}

bool env_equals(const char* var, const char* value) {
  const char* e = std::getenv(var);
  return e && std::strcmp(e, value) == 0;
}

bool has_repeated_eltwise(const dnnl::post_ops& ops) {
  std::set<int> seen;
  for (int i = 0; i < ops.len(); ++i) {
    if (ops.kind(i) != dnnl::primitive::kind::eltwise) continue;
    float scale, alpha, beta;
    dnnl::algorithm alg;
    ops.get_params_eltwise(i, scale, alg, alpha, beta);
    if (!seen.insert(static_cast<int>(alg)).second) return true;
  }
  return false;
}

}  // namespace ez::ops::dnnl_util
