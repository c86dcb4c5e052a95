#include "ops/nn/activation.h"

#include <algorithm>
#include <cmath>

namespace ez::ops {

namespace {
const struct {
  Activation kind;
  const char* name;
} kNames[] = {{Activation::kNone, ""},           {Activation::kRelu, "Relu"},       {Activation::kLeakyRelu, "LeakyRelu"},
              {Activation::kClip, "Clip"},       {Activation::kSigmoid, "Sigmoid"}, {Activation::kSilu, "Silu"},
              {Activation::kHardSwish, "HardSwish"}, {Activation::kHardSigmoid, "HardSigmoid"}, {Activation::kTanh, "Tanh"}};

inline float sigmoid(float x) {
  if (x >= 0) return 1.0f / (1.0f + std::exp(-x));
  const float e = std::exp(x);
  return e / (1.0f + e);
}
}  // namespace

const char* activation_name(Activation a) {
  for (const auto& n : kNames)
    if (n.kind == a) return n.name;
  return "";
}

Result<ActivationSpec> activation_from_attrs(const Attributes& attrs) {
  ActivationSpec s;
  const std::string name = attrs.get_string("activation", "");
  bool found = false;
  for (const auto& n : kNames)
    if (name == n.name) {
      s.kind = n.kind;
      found = true;
    }
  if (!found) return invalid_model("unknown fused activation '" + name + "'");
  s.alpha = attrs.get_float("activation_alpha", 0.0f);
  s.beta = attrs.get_float("activation_beta", 0.0f);
  s.out_scale = attrs.get_float("output_scale", 1.0f);
  s.out_shift = attrs.get_float("output_shift", 0.0f);
  return s;
}

void activation_to_attrs(const ActivationSpec& spec, Attributes* attrs) {
  Attribute name;
  name.kind = Attribute::Kind::kString;
  name.s = activation_name(spec.kind);
  attrs->set("activation", name);
  Attribute a, b;
  a.kind = b.kind = Attribute::Kind::kFloat;
  a.f = spec.alpha;
  b.f = spec.beta;
  attrs->set("activation_alpha", a);
  attrs->set("activation_beta", b);
  if (spec.has_output_affine()) {
    Attribute sc, sh;
    sc.kind = sh.kind = Attribute::Kind::kFloat;
    sc.f = spec.out_scale;
    sh.f = spec.out_shift;
    attrs->set("output_scale", sc);
    attrs->set("output_shift", sh);
  }
}

void apply_activation(const ActivationSpec& s, float* d, int64_t n) {
  const float a = s.alpha, b = s.beta;
  switch (s.kind) {
    case Activation::kNone: break;
    case Activation::kRelu: for (int64_t i = 0; i < n; ++i) d[i] = d[i] > 0 ? d[i] : 0.0f; break;
    case Activation::kLeakyRelu: for (int64_t i = 0; i < n; ++i) d[i] = d[i] >= 0 ? d[i] : a * d[i]; break;
    case Activation::kClip: for (int64_t i = 0; i < n; ++i) d[i] = std::min(std::max(d[i], a), b); break;
    case Activation::kSigmoid: for (int64_t i = 0; i < n; ++i) d[i] = sigmoid(d[i]); break;
    case Activation::kSilu: for (int64_t i = 0; i < n; ++i) d[i] = d[i] * sigmoid(d[i]); break;
    case Activation::kHardSwish:
      for (int64_t i = 0; i < n; ++i) d[i] = d[i] * std::max(0.0f, std::min(1.0f, d[i] / 6.0f + 0.5f));
      break;
    case Activation::kHardSigmoid:
      for (int64_t i = 0; i < n; ++i) d[i] = std::max(0.0f, std::min(1.0f, a * d[i] + b));
      break;
    case Activation::kTanh: for (int64_t i = 0; i < n; ++i) d[i] = std::tanh(d[i]); break;
  }
  if (s.has_output_affine())
    for (int64_t i = 0; i < n; ++i) d[i] = d[i] * s.out_scale + s.out_shift;
}

}  // namespace ez::ops
