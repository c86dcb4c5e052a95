#include "ops/x86/conv1x1_int8.h"

#include <cstdint>

#include "ops/x86/conv1x1_int8_kernels.h"
#include "ops/x86/cpu_features.h"

namespace ez::ops::conv1x1_int8 {

bool supported(const Problem& p) {
  // in_c <= 1024: a tile's last rows are copied to a fixed buffer of 16 rows.
  return x86::has_avx512_vnni() && p.pixels > 0 && p.in_c > 0 && p.in_c % 4 == 0 && p.in_c <= 1024 && p.out_c > 0;
}

Conv1x1Int8::Conv1x1Int8(const Problem& p, const int8_t* weights, const int32_t* bias, const float* mult,
                         const float* channel_mult, const ActivationSpec& act)
    : p_(p), act_(act) {
  const int64_t IC = p.in_c, OC = p.out_c;
  ocp_ = (OC + 15) / 16 * 16;
  w_.assign(ocp_ * IC, 0);
  for (int64_t oc = 0; oc < OC; ++oc)
    for (int64_t ic = 0; ic < IC; ++ic) w_[((oc / 16) * (IC / 4) + ic / 4) * 64 + (oc % 16) * 4 + ic % 4] = weights[oc * IC + ic];
  bias_.assign(ocp_, 0);
  mult_.assign(ocp_, 0.0f);
  if (channel_mult) channel_mult_.assign(ocp_, 1.0f);
  ok_ = true;
  for (int64_t oc = 0; oc < OC; ++oc) {
    int64_t sum = 0;
    for (int64_t ic = 0; ic < IC; ++ic) sum += weights[oc * IC + ic];
    const int64_t b = (bias ? bias[oc] : 0) - static_cast<int64_t>(p.x_zp) * sum;
    ok_ = ok_ && b >= INT32_MIN && b <= INT32_MAX;
    bias_[oc] = static_cast<int32_t>(b);
    mult_[oc] = mult[oc];
    if (channel_mult) channel_mult_[oc] = channel_mult[oc];
  }
}

void Conv1x1Int8::run(const uint8_t* x, void* y, const ThreadPool* pool) const {
  vnni::GemmArgs a;
  a.x = x;
  a.y = y;
  a.w = w_.data();
  a.bias = bias_.data();
  a.mult = mult_.data();
  a.channel_mult = channel_mult_.empty() ? nullptr : channel_mult_.data();
  a.in_c = p_.in_c, a.out_c = p_.out_c;
  a.float_out = p_.float_out, a.y_signed = p_.y_signed;
  a.y_inv_scale = 1.0f / p_.y_scale;
  a.y_zp = p_.y_zp;
  a.epilogue = x86::make_epilogue(act_, false);
  auto body = [&](int64_t b, int64_t e) {
#ifdef EDGEZOO_X86
    vnni::run_rows(a, b, e);
#else
    (void)b, (void)e;
#endif
  };
  // Rows split on multiples of 16 (tiles are 4, 8 or 16 rows high, or 5 for 48 channels).
  const int64_t groups = (p_.pixels + 15) / 16;
  auto rows = [&](int64_t g0, int64_t g1) { body(g0 * 16, g1 * 16 < p_.pixels ? g1 * 16 : p_.pixels); };
  if (pool && p_.pixels * p_.out_c * p_.in_c >= (1 << 16)) pool->parallel_for(groups, 1, rows);
  else rows(0, groups);
}

}  // namespace ez::ops::conv1x1_int8
