// Activations that graph passes fuse into a preceding Conv (the FusedConv operator), shared by
// the FusedConv reference kernel and the oneDNN fast path so both agree on the semantics.
#pragma once

#include <string>

#include "core/attributes.h"
#include "core/status.h"

namespace ez::ops {

enum class Activation { kNone, kRelu, kLeakyRelu, kClip, kSigmoid, kSilu, kHardSwish, kHardSigmoid, kTanh };

struct ActivationSpec {
  Activation kind = Activation::kNone;
  float alpha = 0, beta = 0;  // LeakyRelu: alpha; Clip: [alpha, beta]; HardSigmoid: alpha*x+beta
  // A scalar affine applied after the activation: y = act(x) * out_scale + out_shift. Exporters
  // of PP-LCNet ("learnable affine blocks") put one after every activation.
  float out_scale = 1, out_shift = 0;
  bool has_output_affine() const { return out_scale != 1.0f || out_shift != 0.0f; }
};

// Reads attributes "activation", "activation_alpha", "activation_beta", "output_scale",
// "output_shift" (FusedConv's encoding).
Result<ActivationSpec> activation_from_attrs(const Attributes& attrs);
// Writes them back (used by the fusion passes).
void activation_to_attrs(const ActivationSpec& spec, Attributes* attrs);
const char* activation_name(Activation a);
// In place over n floats (the reference semantics).
void apply_activation(const ActivationSpec& spec, float* data, int64_t n);

}  // namespace ez::ops
