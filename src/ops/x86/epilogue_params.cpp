#include "ops/x86/epilogue_params.h"

#include "ops/nn/activation.h"

namespace ez::ops::x86 {

bool epilogue_supported(const ActivationSpec& act) { return act.kind != Activation::kTanh; }

EpilogueParams make_epilogue(const ActivationSpec& act, bool sum_first) {
  EpilogueParams e;
  switch (act.kind) {
    case Activation::kRelu: e.act = kActRelu; break;
    case Activation::kLeakyRelu: e.act = kActLeakyRelu; break;
    case Activation::kClip: e.act = kActClip; break;
    case Activation::kSigmoid: e.act = kActSigmoid; break;
    case Activation::kSilu: e.act = kActSilu; break;
    case Activation::kHardSwish: e.act = kActHardSwish; break;
    case Activation::kHardSigmoid: e.act = kActHardSigmoid; break;
    default: e.act = kActNone; break;
  }
  e.alpha = act.alpha;
  e.beta = act.beta;
  e.affine = act.has_output_affine();
  e.out_scale = act.out_scale;
  e.out_shift = act.out_shift;
  e.sum_first = sum_first;
  return e;
}

}  // namespace ez::ops::x86
