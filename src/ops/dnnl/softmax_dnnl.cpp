// Softmax and LogSoftmax (float32) through oneDNN. oneDNN 2.6's fast softmax needs the axis to be
// the innermost dense dimension; for any other axis it only has a naive implementation (38 ms on
// YOLOv8's DFL softmax [1,16,4,8400] over axis 1, against 6.7 ms for our reference). So the input
// is viewed as [outer, len, inner]; when inner > 1 it is transposed into a scratch buffer as
// [outer*inner, len], normalised there along the contiguous axis and transposed back: two cheap
// reorders plus the vectorised softmax, ~0.7 ms for that tensor. Hardmax and other dtypes use the
// reference kernel.
#include "ops/dnnl/dnnl_common.h"
#include "ops/op_util.h"
#include "ops/registry.h"

namespace ez::ops {
namespace {

using dnnl::memory;
using namespace dnnl_util;

class DnnlSoftmaxKernel final : public Kernel {
 public:
  DnnlSoftmaxKernel(KernelPtr ref, const KernelConfig& c)
      : ref_(std::move(ref)), log_(c.op_type == "LogSoftmax"), legacy_(c.opset < 13),
        axis_(c.attrs.get_int("axis", c.opset < 13 ? 1 : -1)) {}

  const char* impl_name() const override { return use_ref_ ? "ref" : "dnnl"; }
  Status infer(const std::vector<KernelInput>& in, std::vector<TensorDesc>* out) override { return ref_->infer(in, out); }

  Status prepare(const std::vector<KernelInput>& in) override {
    use_ref_ = true;
    const Shape& s = in[0].desc.shape;
    if (in[0].desc.dtype != DType::kFloat32 || s.empty() || shape_numel(s) <= 0) return ref_->prepare(in);
    EZ_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(axis_, static_cast<int64_t>(s.size()), log_ ? "LogSoftmax" : "Softmax"));
    // outer x len x inner; before opset 13 everything from `axis` on is one flattened axis.
    int64_t outer = 1, len = 1, inner = 1;
    for (int64_t d = 0; d < static_cast<int64_t>(s.size()); ++d) {
      if (d < axis) outer *= s[d];
      else if (d == axis || legacy_) len *= s[d];
      else inner *= s[d];
    }
    transpose_ = inner > 1;
    Status st = guard("Softmax", [&] {
      const memory::desc rows = plain_desc({outer * inner, len});  // softmax along the contiguous axis
      if (log_) {
        log_pd_ = dnnl::logsoftmax_forward::primitive_desc(
            dnnl::logsoftmax_forward::desc(dnnl::prop_kind::forward_inference, rows, 1), engine());
        prim_ = dnnl::logsoftmax_forward(log_pd_);
      } else {
        pd_ = dnnl::softmax_forward::primitive_desc(dnnl::softmax_forward::desc(dnnl::prop_kind::forward_inference, rows, 1),
                                                    engine());
        prim_ = dnnl::softmax_forward(pd_);
      }
      rows_ = rows;
      if (transpose_) {
        // [outer, len, inner] row-major <-> the same dims stored as [outer, inner, len].
        plain3_ = plain_desc({outer, len, inner});
        const memory::desc moved(memory::dims{outer, len, inner}, memory::data_type::f32,
                                 memory::dims{len * inner, 1, len});
        work_ = memory(rows, engine());
        work3_ = memory(moved, engine(), work_.get_data_handle());
        to_rows_ = dnnl::reorder(memory(plain3_, engine(), nullptr), work3_);
        from_rows_ = dnnl::reorder(work3_, memory(plain3_, engine(), nullptr));
      }
    });
    if (!st.ok()) return ref_->prepare(in);
    use_ref_ = false;
    return Status::OK();
  }

  Status run(const std::vector<const Tensor*>& in, std::vector<Tensor>& out, const RunContext& ctx) override {
    if (use_ref_) return ref_->run(in, out, ctx);
    return guard("Softmax", [&] {
      dnnl::stream stream(engine());
      if (!transpose_) {
        prim_.execute(stream, {{DNNL_ARG_SRC, memory(rows_, engine(), const_cast<void*>(in[0]->raw()))},
                               {DNNL_ARG_DST, memory(rows_, engine(), out[0].raw())}});
      } else {
        memory src(plain3_, engine(), const_cast<void*>(in[0]->raw())), dst(plain3_, engine(), out[0].raw());
        to_rows_.execute(stream, src, work3_);
        prim_.execute(stream, {{DNNL_ARG_SRC, work_}, {DNNL_ARG_DST, work_}});  // in place
        from_rows_.execute(stream, work3_, dst);
      }
      stream.wait();
    });
  }

 private:
  KernelPtr ref_;  // shape logic and fallback
  bool log_, legacy_;
  int64_t axis_;
  bool use_ref_ = true, transpose_ = false;
  dnnl::softmax_forward::primitive_desc pd_;
  dnnl::logsoftmax_forward::primitive_desc log_pd_;
  dnnl::primitive prim_;
  memory::desc rows_, plain3_;
  memory work_, work3_;  // one scratch buffer, seen as [outer*inner, len] and as transposed 3-D
  dnnl::reorder to_rows_, from_rows_;
};

Result<KernelPtr> make(const KernelConfig& c) {
  EZ_ASSIGN_OR_RETURN(KernelPtr ref, create_kernel(c, KernelChoice::kReference));
  return KernelPtr(new DnnlSoftmaxKernel(std::move(ref), c));
}

}  // namespace

Result<KernelPtr> create_Softmax_fast(const KernelConfig& c) { return make(c); }
Result<KernelPtr> create_LogSoftmax_fast(const KernelConfig& c) { return make(c); }

}  // namespace ez::ops
