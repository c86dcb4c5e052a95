#include "ops/dnnl/dnnl_common.h"

#include <cstdlib>
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

dnnl::memory::desc plain_desc(const Shape& shape) {
  dnnl::memory::dims dims(shape.begin(), shape.end());
  dnnl::memory::dims strides(shape.size(), 1);
  for (int i = static_cast<int>(shape.size()) - 2; i >= 0; --i) strides[i] = strides[i + 1] * shape[i + 1];
  return dnnl::memory::desc(dims, dnnl::memory::data_type::f32, strides);
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
