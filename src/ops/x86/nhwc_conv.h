// The interface of edgezoo's hand-written NHWC convolutions (Winograd 3x3, 1x1 GEMM): weights
// packed at construction, then run on raw NHWC buffers. The Conv/FusedConv fast path
// (ops/dnnl/conv_dnnl.cpp) picks one of them, or oneDNN, per node at prepare time.
#pragma once

#include "core/thread_pool.h"

namespace ez::ops::x86 {

class NhwcConv {
 public:
  virtual ~NhwcConv() = default;
  // x: [N, H, W, IC]; residual: [N, OH, OW, OC] or null (may be y itself); y: [N, OH, OW, OC].
  virtual void run(const float* x, const float* residual, float* y, const ThreadPool* pool) const = 0;
  virtual const char* name() const = 0;  // for profiles
};

}  // namespace ez::ops::x86
