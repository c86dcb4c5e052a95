// The operator kernel interface. A kernel sees its attributes and its input tensors, never the
// graph. Lifecycle (as in XNNPACK create/reshape/setup and TFLM Init/Prepare/Eval):
//   create   — factory call with attributes; validates them (bad attribute -> error).
//   infer    — output dtypes and shapes from input descs (+ values where known). Cheap, pure.
//   prepare  — once per set of input shapes: pack constant weights, build library primitives.
//   run      — compute into outputs that the executor has already allocated.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/attributes.h"
#include "core/tensor.h"
#include "core/thread_pool.h"

namespace ez::ops {

// What a kernel knows about one input before running. `value` is non-null when the data is known:
// always at run time, and at planning time for constants (initializers and folded subgraphs).
// An optional input that the node omits has dtype kUndefined and a null value.
struct KernelInput {
  TensorDesc desc;
  const Tensor* value = nullptr;
  bool present() const { return desc.dtype != DType::kUndefined; }
};

// Everything a factory may look at.
struct KernelConfig {
  std::string op_type;
  std::string node_name;  // for error messages only
  Attributes attrs;
  int opset = 17;          // the model's default-domain opset
  int num_inputs = 0;      // as listed by the node, omitted optional inputs included
  int num_outputs = 1;
};

struct RunContext {
  const ThreadPool* pool = nullptr;
};

class Kernel {
 public:
  virtual ~Kernel() = default;

  // Fills `outputs` (one desc per node output). Return needs_value(...) when an output shape
  // depends on an input value that is not known yet (the executor then retries at run time).
  virtual Status infer(const std::vector<KernelInput>& inputs, std::vector<TensorDesc>* outputs) = 0;

  // Called before the first run and again whenever input shapes change.
  virtual Status prepare(const std::vector<KernelInput>& inputs) {
    (void)inputs;
    return Status::OK();
  }

  // inputs[i] is null for an omitted optional input. outputs are allocated with the descs from infer.
  virtual Status run(const std::vector<const Tensor*>& inputs, std::vector<Tensor>& outputs,
                     const RunContext& ctx) = 0;

  // True when output 0 holds exactly input 0's bytes in the same order (Reshape, Flatten, Squeeze,
  // Unsqueeze, Identity). The executor then makes output 0 a view of input 0 and skips run().
  virtual bool output_is_view_of_input() const { return false; }

  // Index of an input whose buffer output 0 may be written over (same byte size) when nothing reads
  // that input afterwards, or -1. The kernel must then work with out.raw() == in[k]->raw(). Asked
  // after prepare(): e.g. a convolution that adds a residual in place (oneDNN's sum post-op).
  virtual int output_may_overwrite_input() const { return -1; }

  // A short name of the implementation for profiles ("ref", "dnnl", "avx2").
  virtual const char* impl_name() const { return "ref"; }
};

using KernelPtr = std::unique_ptr<Kernel>;
using KernelFactory = Result<KernelPtr> (*)(const KernelConfig&);

}  // namespace ez::ops
