// MatMul and Gemm (float32) through the oneDNN matmul primitive. A constant B (the weights of every
// exported model) is reordered once into the layout oneDNN picks (format `any`); Gemm's alpha is
// folded into those packed weights and a constant beta*C becomes the primitive's bias (or a binary
// post-op when it varies along M). Non-constant operands are passed in place with strides (transA,
// transB, broadcast batch dimensions), so nothing is copied at run time. Configurations oneDNN
// would only run with its naive `ref` implementation use edgezoo's reference kernel instead.
#include <cstring>

#include "ops/dnnl/dnnl_common.h"
#include "ops/op_util.h"
#include "ops/registry.h"

namespace ez::ops {
namespace {

using dnnl::memory;
using namespace dnnl_util;

constexpr int kMaxDnnlRank = 12;  // DNNL_MAX_NDIMS

memory::desc strided_desc(const memory::dims& dims, const memory::dims& strides) {
  return memory::desc(dims, memory::data_type::f32, strides);
}

// One built matmul: the primitive, the user-side layouts of its operands, and the constant
// operands it owns (packed weights, bias or the addend of a binary post-op).
struct MatmulPlan {
  dnnl::matmul::primitive_desc pd;
  dnnl::matmul prim;
  memory::desc src_user, wei_user, dst_user, addend_user;
  memory packed_w;      // set when the weights are constant
  memory bias;          // constant bias ({1,N}), when used
  memory addend;        // constant addend of the binary post-op, when used
  bool has_addend = false;  // a binary_add post-op exists (constant `addend` or run-time input)
  int addend_index = 0;     // its index among the post-ops

  // Builds the primitive; false when oneDNN would use its naive reference implementation.
  bool build(const memory::desc& wei_for_primitive, const memory::desc& bias_desc, const dnnl::post_ops& ops) {
    dnnl::primitive_attr attr;
    attr.set_post_ops(ops);
    pd = dnnl::matmul::primitive_desc(dnnl::matmul::desc(src_user, wei_for_primitive, bias_desc, dst_user), attr, engine());
    if (std::strncmp(pd.impl_info_str(), "ref", 3) == 0) return false;
    prim = dnnl::matmul(pd);
    return true;
  }

  // Reorders the user's weights (given in wei_user's layout) into the primitive's layout.
  void pack(const void* w) {
    packed_w = memory(pd.weights_desc(), engine());
    memory user(wei_user, engine(), const_cast<void*>(w));
    dnnl::stream stream(engine());
    dnnl::reorder(user, packed_w).execute(stream, user, packed_w);
    stream.wait();
  }

  void execute(const void* src, const void* wei, const void* run_addend, void* dst) const {
    dnnl::stream stream(engine());
    std::unordered_map<int, memory> args = {
        {DNNL_ARG_SRC, memory(src_user, engine(), const_cast<void*>(src))},
        {DNNL_ARG_WEIGHTS, packed_w ? packed_w : memory(wei_user, engine(), const_cast<void*>(wei))},
        {DNNL_ARG_DST, memory(dst_user, engine(), dst)}};
    if (bias) args[DNNL_ARG_BIAS] = bias;
    if (has_addend)
      args[DNNL_ARG_ATTR_MULTIPLE_POST_OP(addend_index) | DNNL_ARG_SRC_1] =
          addend ? addend : memory(addend_user, engine(), const_cast<void*>(run_addend));
    prim.execute(stream, args);
    stream.wait();
  }
};

bool has_zero(const Shape& s) {
  for (int64_t d : s)
    if (d == 0) return true;
  return false;
}

// ---------------------------------------------------------------------------------------------
// MatMul: NumPy semantics. 1-D operands are promoted (the output's bytes are the same either way),
// ranks are aligned with leading 1s and oneDNN broadcasts the batch dimensions itself. When B has
// no batch (a weight matrix), A's batch folds into M: one [batch*M, K] x [K, N] product.
class DnnlMatMulKernel final : public Kernel {
 public:
  explicit DnnlMatMulKernel(KernelPtr ref) : ref_(std::move(ref)) {}

  const char* impl_name() const override { return use_ref_ ? "ref" : "dnnl"; }
  Status infer(const std::vector<KernelInput>& in, std::vector<TensorDesc>* out) override { return ref_->infer(in, out); }

  Status prepare(const std::vector<KernelInput>& in) override {
    use_ref_ = true;
    std::vector<TensorDesc> out(1);
    EZ_RETURN_IF_ERROR(ref_->infer(in, &out));
    Shape a = in[0].desc.shape, b = in[1].desc.shape;
    if (has_zero(a) || has_zero(b)) return ref_->prepare(in);
    if (a.size() == 1) a.insert(a.begin(), 1);
    if (b.size() == 1) b.push_back(1);
    const int64_t M = a[a.size() - 2], K = a.back(), N = b.back();
    const Shape a_batch(a.begin(), a.end() - 2), b_batch(b.begin(), b.end() - 2);
    const bool b_unbatched = shape_numel(b_batch) == 1;
    memory::dims ad, bd, dd;
    if (b_unbatched) {
      const int64_t rows = shape_numel(a_batch) * M;
      ad = {rows, K};
      bd = {K, N};
      dd = {rows, N};
    } else {
      const size_t rank = std::max(a.size(), b.size());
      if (rank > kMaxDnnlRank) return ref_->prepare(in);
      a.insert(a.begin(), rank - a.size(), 1);
      b.insert(b.begin(), rank - b.size(), 1);
      ad.assign(a.begin(), a.end());
      bd.assign(b.begin(), b.end());
      for (size_t i = 0; i + 2 < rank; ++i) dd.push_back(std::max(a[i], b[i]));
      dd.push_back(M);
      dd.push_back(N);
    }
    const bool constant_b = in[1].value != nullptr;
    Status s = guard("MatMul", [&] {
      plan_ = MatmulPlan();
      plan_.src_user = plain_desc(Shape(ad.begin(), ad.end()));
      plan_.wei_user = plain_desc(Shape(bd.begin(), bd.end()));
      plan_.dst_user = plain_desc(Shape(dd.begin(), dd.end()));
      const memory::desc wei = constant_b ? memory::desc(bd, memory::data_type::f32, memory::format_tag::any) : plan_.wei_user;
      if (!plan_.build(wei, memory::desc(), dnnl::post_ops())) return;
      if (constant_b) plan_.pack(in[1].value->raw());
      use_ref_ = false;
    });
    if (!s.ok() || use_ref_) {
      use_ref_ = true;
      return ref_->prepare(in);
    }
    return Status::OK();
  }

  Status run(const std::vector<const Tensor*>& in, std::vector<Tensor>& out, const RunContext& ctx) override {
    if (use_ref_) return ref_->run(in, out, ctx);
    return guard("MatMul", [&] { plan_.execute(in[0]->raw(), in[1]->raw(), nullptr, out[0].raw()); });
  }

 private:
  KernelPtr ref_;  // shape logic and fallback
  bool use_ref_ = true;
  MatmulPlan plan_;
};

// ---------------------------------------------------------------------------------------------
// Gemm: Y = alpha * op(A) op(B) + beta * C, C unidirectionally broadcast to [M, N].
class DnnlGemmKernel final : public Kernel {
 public:
  DnnlGemmKernel(KernelPtr ref, const KernelConfig& c)
      : ref_(std::move(ref)), alpha_(c.attrs.get_float("alpha", 1.0f)), beta_(c.attrs.get_float("beta", 1.0f)),
        ta_(c.attrs.get_int("transA", 0) != 0), tb_(c.attrs.get_int("transB", 0) != 0) {}

  const char* impl_name() const override { return use_ref_ ? "ref" : "dnnl"; }
  Status infer(const std::vector<KernelInput>& in, std::vector<TensorDesc>* out) override { return ref_->infer(in, out); }

  Status prepare(const std::vector<KernelInput>& in) override {
    use_ref_ = true;
    std::vector<TensorDesc> out(1);
    EZ_RETURN_IF_ERROR(ref_->infer(in, &out));
    if (in[1].desc.dtype != DType::kFloat32 || has_zero(in[0].desc.shape) || has_zero(in[1].desc.shape))
      return ref_->prepare(in);
    const int64_t M = out[0].shape[0], N = out[0].shape[1];
    const int64_t K = ta_ ? in[0].desc.shape[0] : in[0].desc.shape[1];
    const bool constant_b = in[1].value != nullptr;
    const bool has_c = in.size() > 2 && in[2].present() && beta_ != 0.0f;
    const bool constant_c = has_c && in[2].value != nullptr;
    if (has_c && in[2].desc.dtype != DType::kFloat32) return ref_->prepare(in);
    if (has_c && !constant_c && beta_ != 1.0f) return ref_->prepare(in);  // would need a scaled copy per run
    Status s = guard("Gemm", [&] {
      plan_ = MatmulPlan();
      plan_.src_user = strided_desc({M, K}, ta_ ? memory::dims{1, M} : memory::dims{K, 1});
      plan_.wei_user = strided_desc({K, N}, tb_ ? memory::dims{1, K} : memory::dims{N, 1});
      plan_.dst_user = plain_desc({M, N});
      dnnl::post_ops ops;
      // alpha goes into constant weights; otherwise it is the first post-op.
      const bool alpha_in_weights = constant_b || alpha_ == 1.0f;
      if (!alpha_in_weights) ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_linear, alpha_, 0.0f);
      memory::desc bias_desc;
      bool use_bias = false;
      std::vector<float> cval;
      bool c_varies_along_m = false;
      if (constant_c) cval = broadcast_c(*in[2].value, M, N, &c_varies_along_m);
      if (constant_c && alpha_in_weights && !c_varies_along_m) {
        use_bias = true;
        bias_desc = plain_desc({1, N});  // the only bias shape oneDNN's fast matmul takes
      } else if (has_c) {
        // A binary add after everything else; a constant C is materialised as beta*C.
        plan_.addend_user = constant_c ? plain_desc({c_varies_along_m ? M : 1, N}) : c_desc(in[2].desc.shape);
        plan_.has_addend = true;
        plan_.addend_index = ops.len();
        ops.append_binary(dnnl::algorithm::binary_add, plan_.addend_user);
      }
      const memory::desc wei = constant_b ? memory::desc({K, N}, memory::data_type::f32, memory::format_tag::any) : plan_.wei_user;
      if (!plan_.build(wei, bias_desc, ops)) return;
      if (constant_b) {
        if (alpha_ == 1.0f) {
          plan_.pack(in[1].value->raw());
        } else {
          std::vector<float> scaled(in[1].value->data<float>(), in[1].value->data<float>() + in[1].value->numel());
          for (float& v : scaled) v *= alpha_;
          plan_.pack(scaled.data());
        }
      }
      if (constant_c) {
        memory m(use_bias ? bias_desc : plan_.addend_user, engine());
        std::memcpy(m.get_data_handle(), cval.data(), cval.size() * sizeof(float));
        (use_bias ? plan_.bias : plan_.addend) = m;
      }
      use_ref_ = false;
    });
    if (!s.ok() || use_ref_) {
      use_ref_ = true;
      return ref_->prepare(in);
    }
    return Status::OK();
  }

  Status run(const std::vector<const Tensor*>& in, std::vector<Tensor>& out, const RunContext& ctx) override {
    if (use_ref_) return ref_->run(in, out, ctx);
    const void* c = in.size() > 2 && in[2] ? in[2]->raw() : nullptr;
    return guard("Gemm", [&] { plan_.execute(in[0]->raw(), in[1]->raw(), c, out[0].raw()); });
  }

 private:
  // beta * C broadcast to [1, N] when C does not vary along M, else to [M, N].
  std::vector<float> broadcast_c(const Tensor& c, int64_t M, int64_t N, bool* varies_along_m) const {
    const Shape& cs = c.shape();
    const int64_t cm = cs.size() == 2 ? cs[0] : 1, cn = cs.empty() ? 1 : cs.back();
    *varies_along_m = cm != 1;
    const int64_t rows = cm != 1 ? M : 1;
    std::vector<float> v(rows * N);
    const float* p = c.data<float>();
    for (int64_t m = 0; m < rows; ++m)
      for (int64_t n = 0; n < N; ++n) v[m * N + n] = beta_ * p[(cm != 1 ? m : 0) * cn + (cn != 1 ? n : 0)];
    return v;
  }

  // A run-time C viewed as a 2-D [1|M, 1|N] tensor; oneDNN broadcasts the size-1 dimensions.
  static memory::desc c_desc(const Shape& cs) {
    return plain_desc({cs.size() == 2 ? cs[0] : 1, cs.empty() ? 1 : cs.back()});
  }

  KernelPtr ref_;
  float alpha_, beta_;
  bool ta_, tb_;
  bool use_ref_ = true;
  MatmulPlan plan_;
};

}  // namespace

Result<KernelPtr> create_MatMul_fast(const KernelConfig& c) {
  EZ_ASSIGN_OR_RETURN(KernelPtr ref, create_kernel(c, KernelChoice::kReference));
  return KernelPtr(new DnnlMatMulKernel(std::move(ref)));
}

Result<KernelPtr> create_Gemm_fast(const KernelConfig& c) {
  EZ_ASSIGN_OR_RETURN(KernelPtr ref, create_kernel(c, KernelChoice::kReference));
  return KernelPtr(new DnnlGemmKernel(std::move(ref), c));
}

}  // namespace ez::ops
