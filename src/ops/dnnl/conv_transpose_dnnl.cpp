// ConvTranspose through oneDNN deconvolution (NCHW, or NHWC under the channels_last attribute).
// ONNX weights [C, M/g, k...] are described to oneDNN with strides (its logical order is [O, I, k])
// and reordered once into the primitive's layout. Geometry (output_padding, output_shape, auto_pad) comes from the same function
// as the reference kernel; a negative right pad (output larger than the full result) or a
// configuration oneDNN declines uses the reference kernel.
//
// Non-overlapping upsampling (kernel == stride, no padding; the FPN/DB heads of PP-OCR) in NHWC is
// one GEMM instead: every input pixel's C values times W [C, kh*kw*M] give the kh x kw output
// pixels it covers, which are then copied into place with the bias. oneDNN's deconvolution is
// ~10x slower on those shapes (it runs them as a strided backward-data convolution).
#include "ops/channels_last.h"
#include "ops/dnnl/dnnl_common.h"
#include "ops/nn/conv_geometry.h"
#include "ops/op_util.h"
#include "ops/registry.h"

namespace ez::ops {
namespace {

using dnnl::memory;
using namespace dnnl_util;

class DnnlConvTransposeKernel final : public Kernel {
 public:
  DnnlConvTransposeKernel(KernelPtr ref, const KernelConfig& c)
      : ref_(std::move(ref)), attrs_(c.attrs), group_(c.attrs.get_int("group", 1)), channels_last_(wants_channels_last(c.attrs)) {}

  const char* impl_name() const override { return use_ref_ ? "ref" : "dnnl"; }
  Status infer(const std::vector<KernelInput>& in, std::vector<TensorDesc>* out) override { return ref_->infer(in, out); }

  Status prepare(const std::vector<KernelInput>& in) override {
    use_ref_ = true;
    std::vector<TensorDesc> out(1);
    EZ_RETURN_IF_ERROR(ref_->infer(in, &out));
    if (in[0].desc.dtype != DType::kFloat32 || in[1].desc.dtype != DType::kFloat32 || !in[1].value ||
        in[0].desc.shape.size() < 3 || in[0].desc.shape.size() > 5)
      return ref_->prepare(in);
    const Shape x = channels_last_ ? nhwc_to_nchw(in[0].desc.shape) : in[0].desc.shape;
    const Shape y = channels_last_ ? nhwc_to_nchw(out[0].shape) : out[0].shape;
    const Shape& w = in[1].desc.shape;
    EZ_ASSIGN_OR_RETURN(WindowGeometry g, conv_transpose_geometry(attrs_, x, w));
    const size_t S = x.size() - 2;
    memory::dims strides, dil, pl, pr;
    for (size_t i = 0; i < S; ++i) {
      const int64_t ext = (g.kernel[i] - 1) * g.dilations[i] + 1;
      const int64_t right = (x[i + 2] - 1) * g.strides[i] + ext - g.pad_begin[i] - y[i + 2];
      if (g.pad_begin[i] < 0 || right < 0) return ref_->prepare(in);
      strides.push_back(g.strides[i]);
      dil.push_back(g.dilations[i] - 1);
      pl.push_back(g.pad_begin[i]);
      pr.push_back(right);
    }
    has_bias_ = in.size() > 2 && in[2].present();
    if (channels_last_ && x.size() == 4 && group_ == 1 && [&] {
          for (size_t i = 0; i < S; ++i)
            if (g.kernel[i] != g.strides[i] || g.dilations[i] != 1 || pl[i] != 0 || pr[i] != 0) return false;
          return true;
        }()) {
      Status st = prepare_pixel_gemm(x, *in[1].value, y);
      if (st.ok()) return st;
    }
    pixel_gemm_ = false;
    Status s = guard("ConvTranspose", [&] {
      // oneDNN's logical weight dims: [O, I, k...] or [G, O/G, I/G, k...]; ONNX stores I first.
      memory::dims wdims;
      if (group_ > 1) wdims = {group_, w[1], w[0] / group_};
      else wdims = {w[1], w[0]};
      wdims.insert(wdims.end(), w.begin() + 2, w.end());
      // The ONNX bytes described with strides: W[(g*Cg + i), o, k...].
      int64_t K = 1;
      for (size_t i = 2; i < w.size(); ++i) K *= w[i];
      const int64_t Mg = w[1], Cg = w[0] / group_;
      memory::dims wstrides;
      if (group_ > 1) wstrides = {Cg * Mg * K, K, Mg * K};
      else wstrides = {K, Mg * K};
      for (size_t i = 2; i < w.size(); ++i) {
        int64_t st = 1;
        for (size_t j = i + 1; j < w.size(); ++j) st *= w[j];
        wstrides.push_back(st);
      }
      const memory::desc wany(wdims, memory::data_type::f32, memory::format_tag::any);
      const memory::desc bias = has_bias_ ? memory::desc({y[1]}, memory::data_type::f32, memory::format_tag::a) : memory::desc();
      src_ = user_desc(x);
      dst_ = user_desc(y);
      auto desc = dnnl::deconvolution_forward::desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::deconvolution_direct,
                                                    src_, wany, bias, dst_, strides, dil, pl, pr);
      pd_ = dnnl::deconvolution_forward::primitive_desc(desc, engine());
      prim_ = dnnl::deconvolution_forward(pd_);
      packed_w_ = memory(pd_.weights_desc(), engine());
      memory user(memory::desc(wdims, memory::data_type::f32, wstrides), engine(), const_cast<void*>(in[1].value->raw()));
      dnnl::stream stream(engine());
      dnnl::reorder(user, packed_w_).execute(stream, user, packed_w_);
      stream.wait();
      use_ref_ = std::string(pd_.impl_info_str()).compare(0, 3, "ref") == 0;  // oneDNN's naive path: ours is faster
    });
    if (!s.ok() || use_ref_) {
      use_ref_ = true;
      return ref_->prepare(in);
    }
    return Status::OK();
  }

  Status run(const std::vector<const Tensor*>& in, std::vector<Tensor>& out, const RunContext& ctx) override {
    if (use_ref_) return ref_->run(in, out, ctx);
    if (pixel_gemm_) return run_pixel_gemm(in, out, ctx);
    return guard("ConvTranspose", [&] {
      dnnl::stream stream(engine());
      std::unordered_map<int, memory> args = {{DNNL_ARG_SRC, memory(src_, engine(), const_cast<void*>(in[0]->raw()))},
                                              {DNNL_ARG_WEIGHTS, packed_w_},
                                              {DNNL_ARG_DST, memory(dst_, engine(), out[0].raw())}};
      if (has_bias_) args[DNNL_ARG_BIAS] = memory(pd_.bias_desc(), engine(), const_cast<void*>(in[2]->raw()));
      prim_.execute(stream, args);
      stream.wait();
    });
  }

 private:
  // W [C, M, kh, kw] -> [C, kh, kw, M], so that each output pixel's M values are contiguous.
  Status prepare_pixel_gemm(const Shape& x, const Tensor& w, const Shape& y) {
    const int64_t C = w.dim(0), M = w.dim(1), kh = w.dim(2), kw = w.dim(3);
    rows_ = x[0] * x[2] * x[3];
    cols_ = kh * kw * M;
    kh_ = kh;
    kw_ = kw;
    m_ = M;
    in_h_ = x[2];
    in_w_ = x[3];
    out_h_ = y[2];
    out_w_ = y[3];
    std::vector<float> wt(C * cols_);
    for (int64_t c = 0; c < C; ++c)
      for (int64_t m = 0; m < M; ++m)
        for (int64_t i = 0; i < kh * kw; ++i) wt[c * cols_ + i * M + m] = w.data<float>()[(c * M + m) * kh * kw + i];
    return guard("ConvTranspose", [&] {
      const memory::desc a = plain_desc({rows_, C}), b_any({C, cols_}, memory::data_type::f32, memory::format_tag::any);
      tmp_desc_ = plain_desc({rows_, cols_});
      mm_pd_ = dnnl::matmul::primitive_desc(dnnl::matmul::desc(a, b_any, tmp_desc_), engine());
      mm_ = dnnl::matmul(mm_pd_);
      packed_w_ = memory(mm_pd_.weights_desc(), engine());
      memory user(plain_desc({C, cols_}), engine(), wt.data());
      dnnl::stream stream(engine());
      dnnl::reorder(user, packed_w_).execute(stream, user, packed_w_);
      stream.wait();
      src_ = a;
      tmp_.resize(rows_ * cols_);
      pixel_gemm_ = true;
      use_ref_ = false;
    });
  }

  Status run_pixel_gemm(const std::vector<const Tensor*>& in, std::vector<Tensor>& out, const RunContext& ctx) {
    EZ_RETURN_IF_ERROR(guard("ConvTranspose", [&] {
      dnnl::stream stream(engine());
      mm_.execute(stream, {{DNNL_ARG_SRC, memory(src_, engine(), const_cast<void*>(in[0]->raw()))},
                           {DNNL_ARG_WEIGHTS, packed_w_},
                           {DNNL_ARG_DST, memory(tmp_desc_, engine(), tmp_.data())}});
      stream.wait();
    }));
    // tmp row r = input pixel (n, h, w); its (i, j) block of M values goes to output (h*kh+i, w*kw+j).
    const float* bias = has_bias_ && in[2] ? in[2]->data<float>() : nullptr;
    float* dst = out[0].data<float>();
    const int64_t M = m_;
    auto body = [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const int64_t n = r / (in_h_ * in_w_), h = (r / in_w_) % in_h_, w = r % in_w_;
        const float* t = tmp_.data() + r * cols_;
        for (int64_t i = 0; i < kh_; ++i)
          for (int64_t j = 0; j < kw_; ++j) {
            float* o = dst + ((n * out_h_ + h * kh_ + i) * out_w_ + w * kw_ + j) * M;
            const float* s = t + (i * kw_ + j) * M;
            if (bias)
              for (int64_t m = 0; m < M; ++m) o[m] = s[m] + bias[m];
            else
              for (int64_t m = 0; m < M; ++m) o[m] = s[m];
          }
      }
    };
    if (ctx.pool) ctx.pool->parallel_for(rows_, 256, body);
    else body(0, rows_);
    return Status::OK();
  }

  memory::desc user_desc(const Shape& nchw) const {
    if (channels_last_ && nchw.size() == 4)
      return memory::desc(memory::dims(nchw.begin(), nchw.end()), memory::data_type::f32, memory::format_tag::nhwc);
    return plain_desc(nchw);
  }

  KernelPtr ref_;
  Attributes attrs_;
  int64_t group_;
  bool channels_last_;
  bool use_ref_ = true, has_bias_ = false, pixel_gemm_ = false;
  // The GEMM form: [rows, C] x [C, cols] into tmp_, then scattered.
  int64_t rows_ = 0, cols_ = 0, kh_ = 0, kw_ = 0, m_ = 0, in_h_ = 0, in_w_ = 0, out_h_ = 0, out_w_ = 0;
  dnnl::matmul::primitive_desc mm_pd_;
  dnnl::matmul mm_;
  memory::desc tmp_desc_;
  std::vector<float> tmp_;
  memory::desc src_, dst_;
  dnnl::deconvolution_forward::primitive_desc pd_;
  dnnl::deconvolution_forward prim_;
  memory packed_w_;
};

}  // namespace

Result<KernelPtr> create_ConvTranspose_fast(const KernelConfig& c) {
  EZ_ASSIGN_OR_RETURN(KernelPtr ref, create_kernel(c, KernelChoice::kReference));
  return KernelPtr(new DnnlConvTransposeKernel(std::move(ref), c));
}

}  // namespace ez::ops
