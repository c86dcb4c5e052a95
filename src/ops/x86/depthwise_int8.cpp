#include "ops/x86/depthwise_int8.h"

#include <algorithm>
#include <cstdlib>

#include "ops/x86/cpu_features.h"
#include "ops/x86/depthwise_int8_kernels.h"

namespace ez::ops::depthwise_int8 {

bool supported(const Problem& p) {
  if (!x86::has_avx512f() || p.c <= 0 || p.c % 16 != 0 || (p.stride != 1 && p.stride != 2)) return false;
  if (p.pad_top < 0 || p.pad_top > 1 || p.pad_left < 0 || p.pad_left > 1 || p.out_h <= 0 || p.out_w <= 0) return false;
  // The last window may reach one row / column past the image (padding), no further: the ring
  // rows hold columns -1 .. in_w.
  return (p.out_h - 1) * p.stride - p.pad_top + 2 <= p.in_h && (p.out_w - 1) * p.stride - p.pad_left + 2 <= p.in_w;
}

DepthwiseInt8::DepthwiseInt8(const Problem& p, const int32_t* weights, const int32_t* bias, const float* mult,
                             const float* channel_mult, const ActivationSpec& act)
    : p_(p), act_(act) {
  const int64_t C = p.c;
  w_.resize(9 * C);
  bias_.assign(C, 0.0f);
  mult_.assign(mult, mult + C);
  if (channel_mult) channel_mult_.assign(channel_mult, channel_mult + C);
  ok_ = true;
  for (int64_t c = 0; c < C; ++c) {
    int64_t bound = bias ? std::abs(static_cast<int64_t>(bias[c])) : 0;
    for (int t = 0; t < 9; ++t) {
      w_[t * C + c] = static_cast<float>(weights[c * 9 + t]);
      bound += 255 * std::abs(static_cast<int64_t>(weights[c * 9 + t]));  // |x - x_zp| <= 255
    }
    if (bias) bias_[c] = static_cast<float>(bias[c]);
    ok_ = ok_ && bound < (int64_t{1} << 24);
  }
}

void DepthwiseInt8::run(const void* x, void* y, const ThreadPool* pool) const {
  avx512::RowArgs a;
  a.x = x;
  a.y = y;
  a.w = w_.data();
  a.bias = bias_.data();
  a.mult = mult_.data();
  a.channel_mult = channel_mult_.empty() ? nullptr : channel_mult_.data();
  a.n = p_.n, a.in_h = p_.in_h, a.in_w = p_.in_w, a.c = p_.c, a.out_h = p_.out_h, a.out_w = p_.out_w;
  a.stride = p_.stride, a.pad_top = p_.pad_top, a.pad_left = p_.pad_left;
  a.x_zp = static_cast<float>(p_.x_zp);
  a.x_signed = p_.x_signed, a.y_signed = p_.y_signed;
  a.y_inv_scale = 1.0f / p_.y_scale;
  a.y_zp = p_.y_zp;
  a.epilogue = x86::make_epilogue(act_, false);
  const size_t scratch = static_cast<size_t>(3 * (p_.in_w + 2) * p_.c);
  auto body = [&](int64_t r0, int64_t r1) {
#ifdef EDGEZOO_X86
    thread_local std::vector<float> ring;  // the three widened input rows of this thread
    if (ring.size() < scratch) ring.resize(scratch);
    avx512::run_rows(a, r0, r1, ring.data());
#else
    (void)r0, (void)r1;
#endif
  };
  const int64_t rows = p_.n * p_.out_h;
  // Each chunk widens up to two rows its neighbour also widens: chunks of at least 4 rows.
  if (pool && rows * p_.out_w * p_.c >= (1 << 14)) pool->parallel_for(rows, 4, body);
  else body(0, rows);
}

}  // namespace ez::ops::depthwise_int8
