// Shared oneDNN plumbing for the fast paths: one CPU engine per process, plain-layout memory
// descriptors for edgezoo's row-major tensors, and error translation.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <unordered_map>

#include "core/status.h"
#include "core/tensor.h"
#include "ops/nn/activation.h"

namespace ez::ops::dnnl_util {

dnnl::engine& engine();

// Plain row-major descriptor (nchw, ncw, ncdhw, nc, ...) for a float32 shape, or of type t.
dnnl::memory::desc plain_desc(const Shape& shape);
dnnl::memory::desc plain_desc(const Shape& shape, dnnl::memory::data_type t);

// Whether environment variable `var` is set to exactly `value` (the switches that turn fast paths
// off or force them on for comparisons and tests, e.g. EDGEZOO_WINOGRAD=0).
bool env_equals(const char* var, const char* value);

// True when two eltwise post-ops of the chain use the same algorithm. oneDNN 2.6's AVX2 JIT
// convolutions then apply the first one's alpha/beta to both (measured: linear(0.5, 0) followed
// by linear(1, 3) computed 0.25x; clip(0, 30) then clip(0, 10) left 21): such chains must not
// be handed to it.
bool has_repeated_eltwise(const dnnl::post_ops& ops);

// True when oneDNN's int8 convolutions compute u8/s8 x s8 products exactly on this CPU for these
// weights ([M, ...] int8, per output channel m). With VNNI always. Without it oneDNN multiplies
// with vpmaddubsw, which adds two u8 x s8 products into a saturating int16: exact only when the
// two largest |w| of every channel stay within 32767 / 255 together, and only for u8 activations
// (for s8 ones oneDNN halves the weights when it packs them).
bool int8_products_exact(const Tensor& w_s8, DType x_type);

// Below this many products per output value (input channels per group x kernel area) oneDNN's
// AMX int8 convolutions lose to its AVX-512 VNNI ones: measured on YOLOX-Nano's shapes, 2
// threads, AMX took 1.05-1.42x the VNNI time for 1x1 convolutions of 16-64 channels and 0.8-1.0x
// from 128 channels up (3x3 with 64 channels: 0.7x). oneDNN picks AMX whenever the CPU has it;
// this moves `pd` on to the next implementation that is not AMX for shorter reductions.
constexpr int64_t kAmxMinReduction = 128;
// Whether oneDNN runs int8 convolutions with AMX tiles on this CPU.
bool cpu_has_amx_int8();
void skip_amx_for_short_reductions(dnnl::convolution_forward::primitive_desc& pd, int64_t reduction);

// The activation as eltwise post-ops (HardSigmoid: linear then clip), then the scalar affine.
void append_activation(dnnl::post_ops& ops, const ActivationSpec& act);

// What a convolution primitive runs with, made at its first run and kept: the stream, memory
// objects wrapping the caller's source and destination (only their data pointers change from run
// to run) and the argument map. Making them afresh cost ~1 us a call, a fifth of a small
// convolution.
struct RunArgs {
  dnnl::stream stream;
  dnnl::memory user_src, user_dst;
  std::unordered_map<int, dnnl::memory> map;
  bool ready() const { return !map.empty(); }
  void reset() { map.clear(); }
  // SRC, WEIGHTS and DST: the primitive's own buffers where it reorders (non-null src_buf /
  // dst_buf), else the user memories.
  void make(const dnnl::memory::desc& src, const dnnl::memory::desc& dst, const dnnl::memory& weights, const dnnl::memory* src_buf,
            const dnnl::memory* dst_buf);
  void bind(const void* src, void* dst) {
    user_src.set_data_handle(const_cast<void*>(src));
    user_dst.set_data_handle(dst);
  }
};

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
