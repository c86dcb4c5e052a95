#include "ops/x86/conv1x1.h"

#include <algorithm>

#include "ops/x86/conv1x1_kernels.h"

namespace ez::ops::conv1x1 {

bool worthwhile(const Shape1x1& s) { return s.in_c >= 8 && s.out_c >= 8 && s.pixels >= 64; }

Conv1x1::Conv1x1(const Shape1x1& shape, const float* weights, const float* bias, const ActivationSpec& act,
                 bool has_residual, bool sum_first)
    : s_(shape), act_(act), has_residual_(has_residual), sum_first_(sum_first) {
  ocp_ = (s_.out_c + 15) / 16 * 16;
  w_.assign(ocp_ * s_.in_c, 0.0f);
  for (int64_t oc = 0; oc < s_.out_c; ++oc)
    for (int64_t ic = 0; ic < s_.in_c; ++ic) w_[((oc / 16) * s_.in_c + ic) * 16 + oc % 16] = weights[oc * s_.in_c + ic];
  bias_.assign(ocp_, 0.0f);
  if (bias) std::copy(bias, bias + s_.out_c, bias_.begin());
}

void Conv1x1::run(const float* x, const float* residual, float* y, const ThreadPool* pool) const {
  avx2::GemmArgs a;
  a.x = x;
  a.residual = has_residual_ ? residual : nullptr;
  a.y = y;
  a.w = w_.data();
  a.bias = bias_.data();
  a.in_c = s_.in_c, a.out_c = s_.out_c, a.ocp = ocp_;
  // Rows per block: their inputs (~96 KiB) stay in L2 while every output channel block uses them.
  a.row_block = std::max<int64_t>(6, std::min<int64_t>(240, 24576 / std::max<int64_t>(s_.in_c, 1)) / 6 * 6);
  a.epilogue = x86::make_epilogue(act_, sum_first_);
  const int64_t tiles = (s_.pixels + 5) / 6;  // split on whole 6-row tiles
  auto body = [&](int64_t t0, int64_t t1) {
#ifdef EDGEZOO_X86
    avx2::run_rows(a, t0 * 6, std::min(s_.pixels, t1 * 6));
#else
    (void)t0, (void)t1;
#endif
  };
  if (pool) pool->parallel_for(tiles, 8, body);
  else body(0, tiles);
}

}  // namespace ez::ops::conv1x1
