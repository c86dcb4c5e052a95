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
