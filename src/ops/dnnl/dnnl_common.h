// Shared oneDNN plumbing for the fast paths: one CPU engine per process, plain-layout memory
// descriptors for edgezoo's row-major tensors, and error translation.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include "core/status.h"
#include "core/tensor.h"

namespace ez::ops::dnnl_util {

dnnl::engine& engine();

// Plain row-major descriptor (nchw, ncw, ncdhw, nc, ...) for a float32 shape.
dnnl::memory::desc plain_desc(const Shape& shape);

// True when two eltwise post-ops of the chain use the same algorithm. oneDNN 2.6's AVX2 JIT
// convolutions then apply the first one's alpha/beta to both (measured: linear(0.5, 0) followed
// by linear(1, 3) computed 0.25x; clip(0, 30) then clip(0, 10) left 21): such chains must not
// be handed to it.
bool has_repeated_eltwise(const dnnl::post_ops& ops);

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
