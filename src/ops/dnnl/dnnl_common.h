// Shared oneDNN plumbing for the fast paths: one CPU engine per process, plain-layout memory
// descriptors for edgezoo's row-major tensors, and error translation.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include "core/status.h"
#include "core/tensor.h"
#include "ops/nn/activation.h"

namespace ez::ops::dnnl_util {

dnnl::engine& engine();

// Plain row-major descriptor (nchw, ncw, ncdhw, nc, ...) for a float32 shape.
dnnl::memory::desc plain_desc(const Shape& shape);

// Whether environment variable `var` is set to exactly `value` (the switches that turn fast paths
// off or force them on for comparisons and tests, e.g. EDGEZOO_WINOGRAD=0).
bool env_equals(const char* var, const char* value);

// True when two eltwise post-ops of the chain use the same algorithm. oneDNN 2.6's AVX2 JIT
// convolutions then apply the first one's alpha/beta to both (measured: linear(0.5, 0) followed
// by linear(1, 3) computed 0.25x; clip(0, 30) then clip(0, 10) left 21): such chains must not
// be handed to it.
bool has_repeated_eltwise(const dnnl::post_ops& ops);

// The activation as eltwise post-ops (HardSigmoid: linear then clip), then the scalar affine.
void append_activation(dnnl::post_ops& ops, const ActivationSpec& act);

// Strides, dilations (as oneDNN counts them: gaps) and pads of a convolution window.
struct ConvWindow {
  dnnl::memory::dims strides, dilations, pad_begin, pad_end;
};
template <typename Geometry>
ConvWindow conv_window(const Geometry& g) {
  ConvWindow w{{g.strides.begin(), g.strides.end()}, {}, {g.pad_begin.begin(), g.pad_begin.end()}, {g.pad_end.begin(), g.pad_end.end()}};
  for (int64_t d : g.dilations) w.dilations.push_back(d - 1);
  return w;
}

// Weight dims with oneDNN's group split: [O, I, k...] or [G, O/G, I, k...].
dnnl::memory::dims grouped_weight_dims(const Shape& w, int64_t group);

// Runs f, turning a dnnl::error into a Status naming `what`.
template <typename F>
Status guard(const char* what, F&& f) {
  try {
    f();
    return Status::OK();
  } catch (const dnnl::error& e) {
    return Status(StatusCode::kInternal, std::string(what) + ": oneDNN: " + e.what());
  }
}

}  // namespace ez::ops::dnnl_util
