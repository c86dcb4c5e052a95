// What the hand-written AVX2 kernels apply to a convolution's result in registers before storing
// it: FusedConv's y = act(conv + bias [+ residual]) [+ residual], the activation optionally
// followed by a scalar affine. Plain types only (shared with the -mavx2 translation units).
#pragma once

namespace ez::ops {
struct ActivationSpec;
}

namespace ez::ops::x86 {

// -log2(e): sigmoid(v) = 1 / (1 + 2^(v kMinusLog2e)), the exponent the kernels compute.
constexpr float kMinusLog2e = -1.44269504088896341f;

// Activation codes (mirror ops::Activation for the supported ones).
enum ActCode : int { kActNone, kActRelu, kActLeakyRelu, kActClip, kActSigmoid, kActSilu, kActHardSwish, kActHardSigmoid };

struct EpilogueParams {
  int act = kActNone;
  float alpha = 0, beta = 0, out_scale = 1, out_shift = 0;
  bool affine = false;     // out_scale / out_shift apply
  bool sum_first = false;  // a residual is added before the activation (else after)
};

// The activation the int8 kernels fold into an 8-bit output's quantization
// (x86::avx512::quantize_folded): SiLU or Sigmoid with no affine after it, else none.
enum Fold { kFoldNone, kFoldSilu, kFoldSigmoid };
inline Fold fold_of(const EpilogueParams& e) {
  if (e.affine) return kFoldNone;
  return e.act == kActSilu ? kFoldSilu : e.act == kActSigmoid ? kFoldSigmoid : kFoldNone;
}

// Activations the AVX2 epilogue computes (Tanh is left to oneDNN).
bool epilogue_supported(const ActivationSpec& act);
EpilogueParams make_epilogue(const ActivationSpec& act, bool sum_first);

}  // namespace ez::ops::x86
