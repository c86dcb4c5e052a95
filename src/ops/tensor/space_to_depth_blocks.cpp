// SpaceToDepthBlocks (edgezoo-internal, made by passes/fuse_space_to_depth.cpp): the "Focus" stem
// of YOLOv5 (v1-v5) and YOLOX, Concat([x[..., by::b, bx::b] for (by, bx) in blocks], axis=1),
// as one gather instead of up to 2K strided Slices and a Concat.
//   input  [N, C, H, W], H and W multiples of `blocksize` b
//   attrs  blocksize b; blocks = [by_0, bx_0, by_1, bx_1, ...]: the K offsets picked, in output order
//   output [N, K*C, H/b, W/b], channel k*C + c = x[n, c, h*b + by_k, w*b + bx_k]
// ONNX's SpaceToDepth is the case K = b*b with blocks in row-major order; exporters write Focus
// with another order (YOLOX: (0,0), (1,0), (0,1), (1,1)), hence the explicit list.
// The reference kernel works on NCHW. The fast one also writes the NHWC output the stem
// convolution reads (from NHWC or straight from the NCHW input), with no Transpose after it.
#include <cstring>
#include <vector>

#include "ops/channels_last.h"
#include "ops/op_util.h"
#include "ops/x86/cpu_features.h"
#include "ops/x86/space_to_depth_kernels.h"

namespace ez::ops {
namespace {

struct BlockGeometry {
  int64_t b = 0;
  std::vector<int64_t> by, bx;  // the K offsets
};

Result<BlockGeometry> read_blocks(const Attributes& a) {
  BlockGeometry g;
  g.b = a.get_int("blocksize", 0);
  const std::vector<int64_t> blocks = a.get_ints("blocks");
  if (g.b <= 0 || blocks.empty() || blocks.size() % 2 != 0)
    return invalid_model("SpaceToDepthBlocks needs blocksize > 0 and blocks as (row, column) offset pairs");
  for (size_t i = 0; i < blocks.size(); i += 2) {
    if (blocks[i] < 0 || blocks[i] >= g.b || blocks[i + 1] < 0 || blocks[i + 1] >= g.b)
      return invalid_model("SpaceToDepthBlocks: block offset outside [0, blocksize)");
    g.by.push_back(blocks[i]);
    g.bx.push_back(blocks[i + 1]);
  }
  return g;
}

// Shapes in NCHW terms; `nhwc` converts both sides.
Status infer_blocks(const BlockGeometry& g, const std::vector<KernelInput>& in, std::vector<TensorDesc>* out, bool nhwc) {
  EZ_RETURN_IF_ERROR(expect_input_count(in, 1, 1, "SpaceToDepthBlocks"));
  const Shape s = nhwc ? nhwc_to_nchw(in[0].desc.shape) : in[0].desc.shape;
  if (s.size() != 4) return invalid_model("SpaceToDepthBlocks needs a 4-D input, got " + in[0].desc.to_string());
  if (s[2] % g.b || s[3] % g.b) return invalid_model("SpaceToDepthBlocks: H and W must be multiples of the blocksize");
  const Shape o = {s[0], s[1] * static_cast<int64_t>(g.by.size()), s[2] / g.b, s[3] / g.b};
  (*out)[0] = {in[0].desc.dtype, nhwc ? nchw_to_nhwc(o) : o};
  return Status::OK();
}

class SpaceToDepthBlocksKernel final : public Kernel {
 public:
  explicit SpaceToDepthBlocksKernel(BlockGeometry g) : g_(std::move(g)) {}

  Status infer(const std::vector<KernelInput>& in, std::vector<TensorDesc>* out) override {
    return infer_blocks(g_, in, out, false);
  }

  Status run(const std::vector<const Tensor*>& in, std::vector<Tensor>& out, const RunContext&) override {
    const Shape& s = in[0]->shape();
    const int64_t N = s[0], C = s[1], H = s[2], W = s[3], K = static_cast<int64_t>(g_.by.size());
    const int64_t OH = H / g_.b, OW = W / g_.b;
    const size_t es = dtype_size(in[0]->dtype());
    const char* x = static_cast<const char*>(in[0]->raw());
    char* y = static_cast<char*>(out[0].raw());
    for (int64_t n = 0; n < N; ++n)
      for (int64_t k = 0; k < K; ++k)
        for (int64_t c = 0; c < C; ++c)
          for (int64_t h = 0; h < OH; ++h)
            for (int64_t w = 0; w < OW; ++w) {
              const int64_t yi = (((n * K + k) * C + c) * OH + h) * OW + w;
              const int64_t xi = ((n * C + c) * H + h * g_.b + g_.by[k]) * W + w * g_.b + g_.bx[k];
              std::memcpy(y + yi * es, x + xi * es, es);
            }
    return Status::OK();
  }

 private:
  BlockGeometry g_;
};

// Rows of the output in parallel, typed copies (no memcpy per element). Three layouts: NCHW in
// and out; the layout pass's channels_last=1, NHWC in and out; and, with nchw_input=1 as well
// (set when the pass's Transpose of the input is folded in, see fold_space_to_depth_transpose),
// NCHW in and NHWC out -- the gather doubles as the transpose. That last one, for the 3-channel
// picture with blocksize 2 and all 4 blocks (the Focus stem), runs on AVX-512 where the CPU has it
// (x86/space_to_depth_kernels.h: a register permutation per group of pixels, not a store a value).
class FastSpaceToDepthBlocksKernel final : public Kernel {
 public:
  FastSpaceToDepthBlocksKernel(BlockGeometry g, bool nhwc_out, bool nchw_in)
      : g_(std::move(g)), nhwc_in_(nhwc_out && !nchw_in), nhwc_out_(nhwc_out) {}

  const char* impl_name() const override { return "direct"; }
  Status infer(const std::vector<KernelInput>& in, std::vector<TensorDesc>* out) override {
    if (nhwc_in_ == nhwc_out_) return infer_blocks(g_, in, out, nhwc_in_);
    EZ_RETURN_IF_ERROR(infer_blocks(g_, in, out, false));
    (*out)[0].shape = nchw_to_nhwc((*out)[0].shape);
    return Status::OK();
  }

  Status run(const std::vector<const Tensor*>& in, std::vector<Tensor>& out, const RunContext& ctx) override {
    switch (dtype_size(in[0]->dtype())) {
      case 1: return run_typed<uint8_t>(*in[0], out[0], ctx);
      case 2: return run_typed<uint16_t>(*in[0], out[0], ctx);
      case 4: return run_typed<uint32_t>(*in[0], out[0], ctx);
      case 8: return run_typed<uint64_t>(*in[0], out[0], ctx);
      default: return unsupported("SpaceToDepthBlocks of " + std::string(dtype_name(in[0]->dtype())));
    }
  }

 private:
  // Sizes in NCHW terms, passed by value: in a function storing through a uint8_t pointer, sizes
  // read through a reference (a lambda's captures) are reloaded after every byte (char aliasing);
  // these stay in registers.
  struct Dims {
    int64_t C, H, W, K, b, OH, OW;
  };

  // Output rows [r0, r1), r = n * OH + h.
  template <typename T>
  static void gather_rows(const T* x, T* y, const Dims d, const int64_t* by, const int64_t* bx, bool nhwc_in, bool nhwc_out,
                          int64_t r0, int64_t r1) {
    const int64_t C = d.C, H = d.H, W = d.W, K = d.K, b = d.b, OH = d.OH, OW = d.OW, KC = K * C;
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t n = r / OH, h = r % OH;
      if (!nhwc_in && nhwc_out) {  // K*C input rows interleaved into one output row
        // One input row at a time; the output row (OW*K*C values) stays in L1 across the passes.
        T* yr = y + (n * OH + h) * OW * KC;
        for (int64_t k = 0; k < K; ++k)
          for (int64_t c = 0; c < C; ++c) {
            const T* xr = x + ((n * C + c) * H + h * b + by[k]) * W + bx[k];
            T* yc = yr + k * C + c;
            for (int64_t w = 0; w < OW; ++w) yc[w * KC] = xr[w * b];
          }
        continue;
      }
      for (int64_t k = 0; k < K; ++k) {
        const int64_t ih = h * b + by[k], ix = bx[k];
        if (nhwc_in) {  // C contiguous values per pixel, to C contiguous values
          const T* xr = x + ((n * H + ih) * W + ix) * C;
          T* yr = y + (n * OH + h) * OW * KC + k * C;
          for (int64_t w = 0; w < OW; ++w)
            for (int64_t c = 0; c < C; ++c) yr[w * KC + c] = xr[w * b * C + c];
        } else {
          for (int64_t c = 0; c < C; ++c) {
            const T* xr = x + ((n * C + c) * H + ih) * W + ix;
            T* yr = y + (((n * K + k) * C + c) * OH + h) * OW;
            for (int64_t w = 0; w < OW; ++w) yr[w] = xr[w * b];
          }
        }
      }
    }
  }

  // Whether the AVX-512 Focus gather covers this case on this CPU.
  template <typename T>
  bool simd_focus(const Dims& d) const {
    if (nhwc_in_ || !nhwc_out_ || d.C != 3 || d.K != 4 || d.b != 2) return false;
    if constexpr (sizeof(T) == 4) return x86::has_avx512f();
    if constexpr (sizeof(T) == 1) return x86::has_avx512_vbmi();
    return false;
  }

  template <typename T>
  Status run_typed(const Tensor& xt, Tensor& yt, const RunContext& ctx) {
    const Shape s = nhwc_in_ ? nhwc_to_nchw(xt.shape()) : xt.shape();
    const int64_t N = s[0], OH = s[2] / g_.b;
    const Dims d{s[1], s[2], s[3], static_cast<int64_t>(g_.by.size()), g_.b, OH, s[3] / g_.b};
    const T* x = static_cast<const T*>(xt.raw());
    T* y = static_cast<T*>(yt.raw());
    [[maybe_unused]] const bool focus = simd_focus<T>(d);
    auto rows = [&](int64_t r0, int64_t r1) {
#ifdef EDGEZOO_X86  // the Focus stem's layout: see the class comment
      if (focus) {
        const space_to_depth_simd::FocusDims fd{d.H, d.W};
        if constexpr (sizeof(T) == 4) space_to_depth_simd::focus_rows_32(x, y, fd, g_.by.data(), g_.bx.data(), r0, r1);
        else if constexpr (sizeof(T) == 1) space_to_depth_simd::focus_rows_8(x, y, fd, g_.by.data(), g_.bx.data(), r0, r1);
        return;
      }
#endif
      gather_rows(x, y, d, g_.by.data(), g_.bx.data(), nhwc_in_, nhwc_out_, r0, r1);
    };
    if (ctx.pool) ctx.pool->parallel_for(N * OH, 8, rows);
    else rows(0, N * OH);
    return Status::OK();
  }

  BlockGeometry g_;
  bool nhwc_in_, nhwc_out_;
};

}  // namespace

Result<KernelPtr> create_SpaceToDepthBlocks(const KernelConfig& c) {
  if (c.attrs.get_int("nchw_input", 0) != 0) return unsupported("SpaceToDepthBlocks with nchw_input: fast kernel only");
  EZ_ASSIGN_OR_RETURN(BlockGeometry g, read_blocks(c.attrs));
  return KernelPtr(new SpaceToDepthBlocksKernel(std::move(g)));
}

Result<KernelPtr> create_SpaceToDepthBlocks_fast(const KernelConfig& c) {
  EZ_ASSIGN_OR_RETURN(BlockGeometry g, read_blocks(c.attrs));
  return KernelPtr(new FastSpaceToDepthBlocksKernel(std::move(g), wants_channels_last(c.attrs), c.attrs.get_int("nchw_input", 0) != 0));
}

}  // namespace ez::ops
