#include "ops/x86/conv_int8.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "ops/x86/conv_int8_kernels.h"
#include "ops/x86/cpu_features.h"

namespace ez::ops::conv_int8 {

bool supported(const Problem& p) {
  if (!x86::has_avx512_vnni() || p.n <= 0 || p.in_c <= 0 || p.out_c <= 0 || p.out_h <= 0 || p.out_w <= 0) return false;
  if (!p.extras.empty() && (!p.float_out || p.extras.size() > static_cast<size_t>(vnni::kMaxExtraOutputs))) return false;
  // Channels in whole groups of four: with 3 (a YOLOv8 stem at 640x640, stride 2) rounding up
  // to 4 in the padded copy cost more than the epilogue saved (743 us against oneDNN's 578).
  if (p.in_c % 4 != 0) return false;
  // in_c <= 1024: a tile's last pixels are copied to a fixed buffer of 16 rows.
  if (p.pointwise()) return p.in_c <= 1024;
  return p.kernel_h >= 1 && p.kernel_w >= 1 && p.stride_h >= 1 && p.stride_w >= 1 && p.pad_top >= 0 && p.pad_left >= 0;
}

ConvInt8::ConvInt8(const Problem& p, const int8_t* weights, const int32_t* bias, const float* mult, const float* channel_mult,
                   const ActivationSpec& act)
    : p_(p), act_(act) {
  const int64_t IC = p.in_c, OC = p.out_c, KH = p.kernel_h, KW = p.kernel_w, taps = KH * KW;
  ocp_ = (OC + 15) / 16 * 16;
  const int64_t k_steps = IC / 4;
  w_.assign(ocp_ * taps * IC, 0);
  bias_.assign(ocp_, 0);
  mult_.assign(ocp_, 0.0f);
  if (channel_mult) channel_mult_.assign(ocp_, 1.0f);
  ok_ = true;
  for (int64_t oc = 0; oc < OC; ++oc) {
    int64_t sum = 0;
    for (int64_t ic = 0; ic < IC; ++ic)
      for (int64_t t = 0; t < taps; ++t) {
        const int8_t v = weights[(oc * IC + ic) * taps + t];
        w_[(((oc / 16) * taps + t) * k_steps + ic / 4) * 64 + (oc % 16) * 4 + ic % 4] = v;
        sum += v;
      }
    // Padding reads as x_zp, so sum((x - x_zp) w) = sum(x w) - x_zp sum(w) at every pixel.
    const int64_t b = (bias ? bias[oc] : 0) - static_cast<int64_t>(p.x_zp) * sum;
    ok_ = ok_ && b >= INT32_MIN && b <= INT32_MAX;
    bias_[oc] = static_cast<int32_t>(b);
    mult_[oc] = mult[oc];
    if (channel_mult) channel_mult_[oc] = channel_mult[oc];
  }
  const x86::Fold fold = p.float_out ? x86::kFoldNone : x86::fold_of(x86::make_epilogue(act, false));
  if (fold != x86::kFoldNone) {
    const bool silu = fold == x86::kFoldSilu;
    const float inv = 1.0f / p.y_scale;
    fold_u_.assign(ocp_, 0.0f);
    fold_y_.assign(ocp_, 0.0f);
    for (int64_t oc = 0; oc < OC; ++oc) {
      const float cm = channel_mult ? channel_mult[oc] : 1.0f;
      fold_u_[oc] = mult[oc] * x86::kMinusLog2e;
      fold_y_[oc] = (silu ? mult[oc] * cm : cm) * inv;
    }
  }
  for (const Problem::Extra& e : p.extras) {
    extra_mult_.emplace_back();
    if (e.channel_mult) {
      extra_mult_.back().assign(ocp_, 1.0f);
      std::copy(e.channel_mult, e.channel_mult + OC, extra_mult_.back().begin());
    }
  }
  if (p.pointwise()) {
    tap_offsets_ = {0};
    return;
  }
  padded_h_ = (p.out_h - 1) * p.stride_h + KH;
  padded_w_ = (p.out_w - 1) * p.stride_w + KW;
  for (int64_t ky = 0; ky < KH; ++ky)
    for (int64_t kx = 0; kx < KW; ++kx) tap_offsets_.push_back((ky * padded_w_ + kx) * IC);
  // The borders keep x_zp for good (runs overwrite the image part only); the room past the end
  // is for the over-read of a last tile (conv_int8_kernels.h).
  const int64_t room = 16 * p.stride_w * IC;
  padded_.assign(static_cast<size_t>(p.n * padded_h_ * padded_w_ * IC + room), static_cast<uint8_t>(p.x_zp));
}

namespace {

vnni::Epilogue make_epilogue(const Problem& p, const std::vector<int32_t>& bias, const std::vector<float>& mult,
                             const std::vector<float>& channel_mult, const std::vector<std::vector<float>>& extra_mult,
                             const std::vector<float>& fold_u, const std::vector<float>& fold_y, const ActivationSpec& act) {
  vnni::Epilogue e;
  e.fold_u = fold_u.empty() ? nullptr : fold_u.data();
  e.fold_y = fold_y.empty() ? nullptr : fold_y.data();
  e.bias = bias.data();
  e.mult = mult.data();
  e.channel_mult = channel_mult.empty() ? nullptr : channel_mult.data();
  e.float_out = p.float_out, e.y_signed = p.y_signed;
  e.float_unused = p.float_out && p.float_unused && !p.extras.empty();
  e.y_inv_scale = 1.0f / p.y_scale;
  e.y_zp = p.y_zp;
  e.act = x86::make_epilogue(act, false);
  e.extra_outputs = static_cast<int>(p.extras.size());
  for (size_t k = 0; k < p.extras.size(); ++k) {
    e.extra_scale[k] = p.extras[k].scale;
    e.extra_zp[k] = p.extras[k].zp;
    e.extra_signed[k] = p.extras[k].is_signed;
    e.extra_mult[k] = extra_mult[k].empty() ? nullptr : extra_mult[k].data();
  }
  return e;
}

}  // namespace

void ConvInt8::pad_input(const uint8_t* x, const ThreadPool* pool) const {
  const int64_t IC = p_.in_c, W = std::min(p_.in_w, padded_w_ - p_.pad_left);
  auto rows = [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t n = r / p_.in_h, iy = r % p_.in_h;
      if (iy + p_.pad_top >= padded_h_) continue;  // never read (the last window ends above)
      const uint8_t* src = x + r * p_.in_w * IC;
      uint8_t* dst = padded_.data() + ((n * padded_h_ + iy + p_.pad_top) * padded_w_ + p_.pad_left) * IC;
      std::memcpy(dst, src, static_cast<size_t>(W * IC));
    }
  };
  const int64_t n_rows = p_.n * p_.in_h;
  if (pool && n_rows * p_.in_w * IC >= (1 << 16)) pool->parallel_for(n_rows, 8, rows);
  else rows(0, n_rows);
}

void ConvInt8::run_pointwise(const uint8_t* x, void* y, const std::vector<void*>& extra_y, const ThreadPool* pool) const {
  const vnni::Epilogue e = make_epilogue(p_, bias_, mult_, channel_mult_, extra_mult_, fold_u_, fold_y_, act_);
  const int64_t pixels = p_.n * p_.in_h * p_.in_w, IC = p_.in_c, OC = p_.out_c, out_size = p_.float_out ? 4 : 1;
  auto body = [&](int64_t b, int64_t end) {
#ifdef EDGEZOO_X86
    const vnni::TileInput in{x + b * IC, IC, tap_offsets_.data(), 1, IC / 4};
    void* ey[vnni::kMaxExtraOutputs];
    for (size_t k = 0; k < extra_y.size(); ++k) ey[k] = static_cast<char*>(extra_y[k]) + b * OC;
    vnni::run_pixels(in, end - b, w_.data(), OC, e, static_cast<char*>(y) + b * OC * out_size, ey);
#else
    (void)b, (void)end;
#endif
  };
  // Pixels split on multiples of 16 (tiles are 4, 8 or 16 pixels long, or 5 for 48 channels).
  const int64_t groups = (pixels + 15) / 16;
  auto split = [&](int64_t g0, int64_t g1) { body(g0 * 16, std::min(pixels, g1 * 16)); };
  if (pool && pixels * OC >= (1 << 12)) pool->parallel_for(groups, 1, split);
  else split(0, groups);
}

void ConvInt8::run(const uint8_t* x, void* y, const std::vector<void*>& extra_y, const ThreadPool* pool) const {
  if (p_.pointwise()) return run_pointwise(x, y, extra_y, pool);
  pad_input(x, pool);
  const vnni::Epilogue e = make_epilogue(p_, bias_, mult_, channel_mult_, extra_mult_, fold_u_, fold_y_, act_);
  const int64_t OC = p_.out_c, out_size = p_.float_out ? 4 : 1, taps = p_.kernel_h * p_.kernel_w;
  auto rows = [&](int64_t r0, int64_t r1) {
#ifdef EDGEZOO_X86
    for (int64_t r = r0; r < r1; ++r) {  // one output row: a run of out_w pixels
      const int64_t n = r / p_.out_h, oy = r % p_.out_h;
      const vnni::TileInput in{padded_.data() + (n * padded_h_ + oy * p_.stride_h) * padded_w_ * p_.in_c, p_.stride_w * p_.in_c,
                               tap_offsets_.data(), taps, p_.in_c / 4};
      void* ey[vnni::kMaxExtraOutputs];
      for (size_t k = 0; k < extra_y.size(); ++k) ey[k] = static_cast<char*>(extra_y[k]) + r * p_.out_w * OC;
      vnni::run_pixels(in, p_.out_w, w_.data(), OC, e, static_cast<char*>(y) + r * p_.out_w * OC * out_size, ey);
    }
#else
    (void)r0, (void)r1;
#endif
  };
  const int64_t n_rows = p_.n * p_.out_h;
  if (pool && n_rows * p_.out_w * OC >= (1 << 12)) pool->parallel_for(n_rows, 1, rows);
  else rows(0, n_rows);
}

}  // namespace ez::ops::conv_int8
