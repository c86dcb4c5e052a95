// Every fast path against its reference kernel on random, awkward shapes. Tolerance: max |fast -
// ref| <= 1e-5 * max |ref| (both accumulate in fp32, only the summation order differs).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

#include "ops/channels_last.h"
#include "ops/op_util.h"
#include "ops/registry.h"

namespace ez::ops {
namespace {

Attribute ints(std::vector<int64_t> v) {
  Attribute a;
  a.kind = Attribute::Kind::kInts;
  a.ints = std::move(v);
  return a;
}
Attribute one_int(int64_t v) {
  Attribute a;
  a.kind = Attribute::Kind::kInt;
  a.i = v;
  return a;
}
Attribute str(const std::string& s) {
  Attribute a;
  a.kind = Attribute::Kind::kString;
  a.s = s;
  return a;
}
Attribute flt(float f) {
  Attribute a;
  a.kind = Attribute::Kind::kFloat;
  a.f = f;
  return a;
}

Tensor random_tensor(Shape s, std::mt19937& rng) {
  Tensor t = Tensor::zeros(DType::kFloat32, std::move(s));
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = u(rng);
  return t;
}

// Runs op with the given choice; inputs marked constant are passed as known values to prepare.
Result<Tensor> run_op(const KernelConfig& cfg, KernelChoice choice, const std::vector<Tensor>& inputs,
                      const std::vector<bool>& constant) {
  EZ_ASSIGN_OR_RETURN(KernelPtr k, create_kernel(cfg, choice));
  std::vector<KernelInput> kin(inputs.size());
  std::vector<const Tensor*> ptrs;
  for (size_t i = 0; i < inputs.size(); ++i) {
    kin[i].desc = inputs[i].desc();
    if (constant[i]) kin[i].value = &inputs[i];
    ptrs.push_back(&inputs[i]);
  }
  std::vector<TensorDesc> descs(cfg.num_outputs);
  EZ_RETURN_IF_ERROR(k->infer(kin, &descs));
  EZ_RETURN_IF_ERROR(k->prepare(kin));
  std::vector<Tensor> outs;
  for (const auto& d : descs) {
    EZ_ASSIGN_OR_RETURN(Tensor t, Tensor::allocate(d.dtype, d.shape));
    outs.push_back(t);
  }
  ThreadPool pool(2);
  EZ_RETURN_IF_ERROR(k->run(ptrs, outs, RunContext{&pool}));
  if (choice == KernelChoice::kFast) {
    EXPECT_STREQ(k->impl_name(), "dnnl") << cfg.op_type;  // the fast path really ran
  }
  return outs[0];
}

void expect_close(const Tensor& ref, const Tensor& fast, const std::string& what) {
  ASSERT_EQ(ref.shape(), fast.shape()) << what;
  double max_ref = 0, max_diff = 0;
  for (int64_t i = 0; i < ref.numel(); ++i) {
    max_ref = std::max(max_ref, std::fabs(double(ref.data<float>()[i])));
    max_diff = std::max(max_diff, std::fabs(double(ref.data<float>()[i]) - fast.data<float>()[i]));
  }
  EXPECT_LE(max_diff, 1e-5 * std::max(max_ref, 1e-6)) << what << ": max diff " << max_diff << " of max " << max_ref;
}

struct ConvCase {
  int64_t n, c, h, w, m, k, stride, pad, dil, group;
  bool bias;
};

TEST(FastVsReference, ConvOnAwkwardShapes) {
  std::mt19937 rng(7);
  const ConvCase cases[] = {
      {1, 3, 17, 23, 16, 3, 1, 1, 1, 1, true},   {1, 12, 31, 29, 16, 3, 2, 1, 1, 1, true},
      {2, 16, 15, 15, 16, 3, 1, 1, 1, 16, true}, {1, 24, 13, 11, 48, 5, 2, 2, 1, 24, false},
      {1, 7, 19, 19, 5, 3, 1, 2, 2, 1, true},    {1, 32, 20, 20, 17, 1, 1, 0, 1, 1, false},
      {1, 64, 9, 7, 64, 3, 1, 1, 1, 4, true},    {1, 5, 6, 6, 3, 2, 2, 0, 1, 1, true},
  };
  for (const ConvCase& cc : cases) {
    KernelConfig cfg;
    cfg.op_type = "Conv";
    cfg.attrs.set("kernel_shape", ints({cc.k, cc.k}));
    cfg.attrs.set("strides", ints({cc.stride, cc.stride}));
    cfg.attrs.set("pads", ints({cc.pad, cc.pad, cc.pad, cc.pad}));
    cfg.attrs.set("dilations", ints({cc.dil, cc.dil}));
    cfg.attrs.set("group", one_int(cc.group));
    std::vector<Tensor> in = {random_tensor({cc.n, cc.c, cc.h, cc.w}, rng), random_tensor({cc.m, cc.c / cc.group, cc.k, cc.k}, rng)};
    if (cc.bias) in.push_back(random_tensor({cc.m}, rng));
    cfg.num_inputs = static_cast<int>(in.size());
    std::vector<bool> constant = {false, true, true};
    constant.resize(in.size());
    auto ref = run_op(cfg, KernelChoice::kReference, in, constant);
    auto fast = run_op(cfg, KernelChoice::kFast, in, constant);
    ASSERT_TRUE(ref.ok() && fast.ok()) << ref.status().to_string() << fast.status().to_string();
    expect_close(*ref, *fast, "conv c" + std::to_string(cc.c) + " g" + std::to_string(cc.group));
  }
}

TEST(FastVsReference, FusedConvEveryActivationWithAndWithoutResidual) {
  std::mt19937 rng(11);
  const char* acts[] = {"", "Relu", "LeakyRelu", "Clip", "Sigmoid", "Silu", "HardSwish", "HardSigmoid", "Tanh"};
  for (const char* act : acts)
    for (int residual = 0; residual < 3; ++residual) {  // none, sum after act, sum before act
      KernelConfig cfg;
      cfg.op_type = "FusedConv";
      cfg.attrs.set("kernel_shape", ints({3, 3}));
      cfg.attrs.set("pads", ints({1, 1, 1, 1}));
      cfg.attrs.set("activation", str(act));
      cfg.attrs.set("activation_alpha", flt(std::string(act) == "Clip" ? -0.5f : 0.2f));
      cfg.attrs.set("activation_beta", flt(0.5f));
      cfg.attrs.set("sum_first", one_int(residual == 2));
      std::vector<Tensor> in = {random_tensor({1, 8, 11, 13}, rng), random_tensor({16, 8, 3, 3}, rng), random_tensor({16}, rng)};
      if (residual) in.push_back(random_tensor({1, 16, 11, 13}, rng));
      cfg.num_inputs = static_cast<int>(in.size());
      std::vector<bool> constant = {false, true, true, false};
      constant.resize(in.size());
      auto ref = run_op(cfg, KernelChoice::kReference, in, constant);
      auto fast = run_op(cfg, KernelChoice::kFast, in, constant);
      ASSERT_TRUE(ref.ok() && fast.ok()) << act << ref.status().to_string() << fast.status().to_string();
      expect_close(*ref, *fast, std::string("FusedConv ") + act + " residual " + std::to_string(residual));
    }
}

TEST(FastVsReference, ConvTransposeGeometries) {
  std::mt19937 rng(13);
  struct Case {
    int64_t c, m, k, stride, pad, out_pad, group;
    bool bias;
  } cases[] = {{24, 24, 2, 2, 0, 0, 1, true}, {8, 6, 3, 2, 1, 1, 1, true}, {16, 32, 4, 2, 1, 0, 4, false},
               {5, 3, 3, 1, 0, 0, 1, true},    {12, 1, 2, 2, 0, 0, 1, true}};
  for (const Case& cc : cases) {
    KernelConfig cfg;
    cfg.op_type = "ConvTranspose";
    cfg.attrs.set("kernel_shape", ints({cc.k, cc.k}));
    cfg.attrs.set("strides", ints({cc.stride, cc.stride}));
    cfg.attrs.set("pads", ints({cc.pad, cc.pad, cc.pad, cc.pad}));
    cfg.attrs.set("output_padding", ints({cc.out_pad, cc.out_pad}));
    cfg.attrs.set("group", one_int(cc.group));
    std::vector<Tensor> in = {random_tensor({2, cc.c, 9, 7}, rng), random_tensor({cc.c, cc.m / cc.group, cc.k, cc.k}, rng)};
    if (cc.bias) in.push_back(random_tensor({cc.m}, rng));
    cfg.num_inputs = static_cast<int>(in.size());
    std::vector<bool> constant = {false, true, true};
    constant.resize(in.size());
    auto ref = run_op(cfg, KernelChoice::kReference, in, constant);
    auto fast = run_op(cfg, KernelChoice::kFast, in, constant);
    ASSERT_TRUE(ref.ok() && fast.ok()) << ref.status().to_string() << fast.status().to_string();
    expect_close(*ref, *fast, "ConvTranspose c" + std::to_string(cc.c) + " k" + std::to_string(cc.k) + " g" + std::to_string(cc.group));
  }
}

TEST(FastVsReference, TransposeEveryPermutation) {
  std::mt19937 rng(19);
  std::vector<int64_t> perm = {0, 1, 2, 3};
  do {
    KernelConfig cfg;
    cfg.op_type = "Transpose";
    cfg.num_inputs = 1;
    cfg.attrs.set("perm", ints(perm));
    std::vector<Tensor> in = {random_tensor({2, 3, 17, 33}, rng)};
    auto ref = run_op(cfg, KernelChoice::kReference, in, {false});
    auto fast = run_op(cfg, KernelChoice::kFast, in, {false});
    ASSERT_TRUE(ref.ok() && fast.ok());
    ASSERT_EQ(ref->shape(), fast->shape());
    EXPECT_EQ(std::memcmp(ref->raw(), fast->raw(), ref->nbytes()), 0) << "a transpose moves bits exactly";
  } while (std::next_permutation(perm.begin(), perm.end()));
}

TEST(FastVsReference, TransposeOfIntegerTensors) {
  // uint8/int8 (int8 models' NCHW -> NHWC input) and int32, bit for bit.
  std::mt19937 rng(23);
  for (DType t : {DType::kUInt8, DType::kInt8, DType::kInt32})
    for (const std::vector<int64_t>& perm : {std::vector<int64_t>{0, 2, 3, 1}, {0, 3, 1, 2}, {3, 1, 0, 2}}) {
      KernelConfig cfg;
      cfg.op_type = "Transpose";
      cfg.num_inputs = 1;
      cfg.attrs.set("perm", ints(perm));
      Tensor x = Tensor::zeros(t, {1, 12, 19, 21});
      std::uniform_int_distribution<int> u(0, 255);
      for (int64_t i = 0; i < static_cast<int64_t>(x.nbytes()); ++i) static_cast<uint8_t*>(x.raw())[i] = static_cast<uint8_t>(u(rng));
      auto ref = run_op(cfg, KernelChoice::kReference, {x}, {false});
      auto fast = run_op(cfg, KernelChoice::kFast, {x}, {false});
      ASSERT_TRUE(ref.ok() && fast.ok());
      ASSERT_EQ(ref->shape(), fast->shape());
      EXPECT_EQ(std::memcmp(ref->raw(), fast->raw(), ref->nbytes()), 0) << dtype_name(t);
    }
}

// SpaceToDepthBlocks (the fused Focus stem): the fast kernel in its three layouts (NCHW; NHWC in
// and out; NCHW in, NHWC out) against the reference, bit for bit, for float and uint8, blocksize
// 2 in YOLOX's order and blocksize 3 with a subset of the blocks. The 3-channel blocksize-2 cases
// are the Focus stem's AVX-512 path where the CPU has it: 38 output columns are 9 groups of 4 (4-byte
// values) or 2 of 16 (bytes) and a scalar tail; 2 columns are the tail alone.
TEST(FastVsReference, SpaceToDepthBlocksEveryLayout) {
  std::mt19937 rng(29);
  struct Case {
    int64_t b;
    std::vector<int64_t> blocks;
    Shape x;
  } cases[] = {{2, {0, 0, 1, 0, 0, 1, 1, 1}, {2, 3, 8, 10}}, {3, {2, 1, 0, 0, 1, 2}, {1, 5, 9, 6}},
               {2, {0, 0, 1, 0, 0, 1, 1, 1}, {2, 3, 6, 76}}, {2, {1, 1, 0, 0, 0, 1, 1, 0}, {1, 3, 4, 76}},
               {2, {0, 0, 1, 0, 0, 1, 1, 1}, {1, 3, 4, 4}}};
  for (const Case& c : cases)
    for (DType t : {DType::kFloat32, DType::kUInt8}) {
      Tensor x = Tensor::zeros(t, c.x);
      std::uniform_int_distribution<int> u(0, 255);
      for (size_t i = 0; i < x.nbytes(); ++i) static_cast<uint8_t*>(x.raw())[i] = static_cast<uint8_t>(u(rng));
      auto run = [&](KernelChoice choice, int layout, const Tensor& in) -> Tensor {  // 0 NCHW, 1 NHWC, 2 NCHW -> NHWC
        KernelConfig cfg;
        cfg.op_type = "SpaceToDepthBlocks";
        cfg.num_inputs = 1;
        cfg.attrs.set("blocksize", Attribute::of_int(c.b));
        cfg.attrs.set("blocks", ints(c.blocks));
        if (layout > 0) cfg.attrs.set(kChannelsLastAttr, Attribute::of_int(1));
        if (layout == 2) cfg.attrs.set("nchw_input", Attribute::of_int(1));
        auto k = create_kernel(cfg, choice);
        EXPECT_TRUE(k.ok()) << k.status().to_string();
        if (!k.ok()) return Tensor();
        if (choice == KernelChoice::kFast) {
          EXPECT_STREQ((*k)->impl_name(), "direct");
        }
        std::vector<KernelInput> kin(1);
        kin[0].desc = in.desc();
        std::vector<TensorDesc> d(1);
        EXPECT_TRUE((*k)->infer(kin, &d).ok());
        EXPECT_TRUE((*k)->prepare(kin).ok());
        std::vector<Tensor> out = {Tensor::zeros(d[0].dtype, d[0].shape)};
        ThreadPool pool(2);
        EXPECT_TRUE((*k)->run({&in}, out, RunContext{&pool}).ok());
        return out[0];
      };
      const Tensor ref = run(KernelChoice::kReference, 0, x);
      ASSERT_EQ(ref.shape(), Shape({c.x[0], c.x[1] * static_cast<int64_t>(c.blocks.size() / 2), c.x[2] / c.b, c.x[3] / c.b}));
      Tensor ref_nhwc = Tensor::zeros(t, nchw_to_nhwc(ref.shape()));
      ASSERT_TRUE(transpose_tensor(ref, ref_nhwc, {0, 2, 3, 1}, nullptr).ok());
      Tensor x_nhwc = Tensor::zeros(t, nchw_to_nhwc(x.shape()));
      ASSERT_TRUE(transpose_tensor(x, x_nhwc, {0, 2, 3, 1}, nullptr).ok());
      const Tensor fast[3] = {run(KernelChoice::kFast, 0, x), run(KernelChoice::kFast, 1, x_nhwc), run(KernelChoice::kFast, 2, x)};
      for (int layout = 0; layout < 3; ++layout) {
        const Tensor& want = layout == 0 ? ref : ref_nhwc;
        ASSERT_EQ(fast[layout].shape(), want.shape()) << "layout " << layout;
        EXPECT_EQ(std::memcmp(fast[layout].raw(), want.raw(), want.nbytes()), 0) << "layout " << layout << " " << dtype_name(t);
      }
    }
}

TEST(FastVsReference, Pooling) {
  std::mt19937 rng(3);
  struct PoolCase {
    const char* op;
    int64_t k, s, p;
    bool ceil, count_pad;
  } cases[] = {{"MaxPool", 5, 1, 2, false, false}, {"MaxPool", 3, 2, 1, true, false}, {"MaxPool", 2, 2, 0, false, false},
               {"AveragePool", 3, 2, 1, false, false}, {"AveragePool", 3, 1, 1, false, true}, {"AveragePool", 2, 2, 0, true, false}};
  for (const PoolCase& pc : cases) {
    KernelConfig cfg;
    cfg.op_type = pc.op;
    cfg.num_inputs = 1;
    cfg.attrs.set("kernel_shape", ints({pc.k, pc.k}));
    cfg.attrs.set("strides", ints({pc.s, pc.s}));
    cfg.attrs.set("pads", ints({pc.p, pc.p, pc.p, pc.p}));
    cfg.attrs.set("ceil_mode", one_int(pc.ceil));
    cfg.attrs.set("count_include_pad", one_int(pc.count_pad));
    std::vector<Tensor> in = {random_tensor({2, 19, 13, 17}, rng)};
    auto ref = run_op(cfg, KernelChoice::kReference, in, {false});
    auto fast = run_op(cfg, KernelChoice::kFast, in, {false});
    ASSERT_TRUE(ref.ok() && fast.ok()) << ref.status().to_string() << fast.status().to_string();
    expect_close(*ref, *fast, std::string(pc.op) + " k" + std::to_string(pc.k) + (pc.ceil ? " ceil" : ""));
  }
}

// Nearest Resize that leaves the last dim alone (channels-last upsampling) copies whole rows of
// channels, one per output column; the same resize on NCHW gathers element by element. The two
// code paths must give the same values bit for bit (uint8 and float, integer and fractional
// scales, rank 4 and 3, with and without the pool).
TEST(FastVsReference, ResizeNearestRowCopiesMatchTheElementGather) {
  std::mt19937 rng(31);
  struct Case {
    Shape x;               // NCHW
    std::vector<float> s;  // NCHW scales
  } cases[] = {{{2, 5, 4, 6}, {1, 1, 2, 2}}, {{1, 3, 5, 7}, {1, 1, 1.5f, 0.5f}}, {{1, 64, 3, 3}, {1, 1, 3, 2}}};
  for (const Case& c : cases)
    for (DType t : {DType::kFloat32, DType::kUInt8})
      for (bool pooled : {false, true}) {
        Tensor x = Tensor::zeros(t, c.x);
        std::uniform_int_distribution<int> u(0, 255);
        for (size_t i = 0; i < x.nbytes(); ++i) static_cast<uint8_t*>(x.raw())[i] = static_cast<uint8_t>(u(rng));
        auto resize = [&](const Tensor& in, std::vector<float> scales) -> Tensor {
          KernelConfig cfg;
          cfg.op_type = "Resize";
          cfg.num_inputs = 3;
          cfg.opset = 13;
          cfg.attrs.set("mode", str("nearest"));
          cfg.attrs.set("coordinate_transformation_mode", str("asymmetric"));
          cfg.attrs.set("nearest_mode", str("floor"));
          auto k = create_kernel(cfg, KernelChoice::kReference);
          EXPECT_TRUE(k.ok());
          if (!k.ok()) return Tensor();
          Tensor sc = Tensor::zeros(DType::kFloat32, {static_cast<int64_t>(scales.size())});
          std::copy(scales.begin(), scales.end(), sc.data<float>());
          std::vector<KernelInput> kin(3);
          kin[0].desc = in.desc();
          kin[2].desc = sc.desc();
          kin[2].value = &sc;
          std::vector<TensorDesc> d(1);
          EXPECT_TRUE((*k)->infer(kin, &d).ok());
          EXPECT_TRUE((*k)->prepare(kin).ok());
          std::vector<Tensor> out = {Tensor::zeros(d[0].dtype, d[0].shape)};
          ThreadPool pool(2);
          EXPECT_TRUE((*k)->run({&in, nullptr, &sc}, out, RunContext{pooled ? &pool : nullptr}).ok());
          return out[0];
        };
        const Tensor nchw = resize(x, c.s);
        Tensor want = Tensor::zeros(t, nchw_to_nhwc(nchw.shape()));
        ASSERT_TRUE(transpose_tensor(nchw, want, {0, 2, 3, 1}, nullptr).ok());
        Tensor x_nhwc = Tensor::zeros(t, nchw_to_nhwc(x.shape()));
        ASSERT_TRUE(transpose_tensor(x, x_nhwc, {0, 2, 3, 1}, nullptr).ok());
        const Tensor rows = resize(x_nhwc, {c.s[0], c.s[2], c.s[3], c.s[1]});
        ASSERT_EQ(rows.shape(), want.shape());
        EXPECT_EQ(std::memcmp(rows.raw(), want.raw(), want.nbytes()), 0) << dtype_name(t) << " " << c.x[1];
        // Rank 3, [N*H, W, C] resized along W: against the NCHW gather along W alone.
        const Tensor nchw_w = resize(x, {1, 1, 1, c.s[3]});
        Tensor want3 = Tensor::zeros(t, nchw_to_nhwc(nchw_w.shape()));
        ASSERT_TRUE(transpose_tensor(nchw_w, want3, {0, 2, 3, 1}, nullptr).ok());
        const Tensor rows3 = resize(x_nhwc.reshaped({c.x[0] * c.x[2], c.x[3], c.x[1]}), {1, c.s[3], 1});
        ASSERT_EQ(rows3.numel(), want3.numel());
        EXPECT_EQ(std::memcmp(rows3.raw(), want3.raw(), want3.nbytes()), 0) << "rank 3 " << dtype_name(t);
      }
}

}  // namespace
}  // namespace ez::ops

namespace ez::ops {
namespace {

// Concat's copies (one kernel, two ways to move the bytes) against an element-by-element
// concatenation: NHWC pieces of whole 16-byte units (moved inline), of other sizes (memcpy), of
// uint8; and a single long row (a detector's [1, anchors, 85] output) cut into chunks for the
// two threads.
TEST(ConcatCopies, ShortPiecesAndLongRowsMatchTheElementCopy) {
  std::mt19937 rng(17);
  struct Case {
    std::vector<Shape> parts;
    int64_t axis;
    DType dtype;
  };
  const std::vector<Case> cases = {
      {{{1, 5, 7, 4}, {1, 5, 7, 16}, {1, 5, 7, 3}, {1, 5, 7, 80}}, 3, DType::kFloat32},
      {{{2, 9, 9, 16}, {2, 9, 9, 32}, {2, 9, 9, 5}}, 3, DType::kUInt8},
      {{{1, 90, 64, 64}, {1, 30, 64, 64}}, 1, DType::kFloat32},  // NCHW: two long rows
      {{{1, 2704, 85}, {1, 676, 85}, {1, 169, 85}}, 1, DType::kFloat32},
  };
  for (const Case& c : cases) {
    std::vector<Tensor> in;
    for (const Shape& s : c.parts) {
      Tensor t = Tensor::zeros(c.dtype, s);
      std::uniform_int_distribution<int> u(0, 255);
      for (int64_t i = 0; i < t.numel(); ++i) {
        if (c.dtype == DType::kUInt8) t.data<uint8_t>()[i] = static_cast<uint8_t>(u(rng));
        else t.data<float>()[i] = static_cast<float>(u(rng)) - 100.5f;
      }
      in.push_back(t);
    }
    KernelConfig cfg;
    cfg.op_type = "Concat";
    cfg.num_inputs = static_cast<int>(in.size());
    cfg.attrs.set("axis", Attribute::of_int(c.axis));
    auto out = run_op(cfg, KernelChoice::kReference, in, std::vector<bool>(in.size(), false));
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    // out[o][a][i] over (outer o, concatenated axis a, inner i), each part in turn.
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < c.axis; ++d) outer *= c.parts[0][d];
    for (size_t d = c.axis + 1; d < c.parts[0].size(); ++d) inner *= c.parts[0][d];
    const int64_t total = out->dim(c.axis);
    const size_t es = dtype_size(c.dtype);
    int64_t start = 0;
    for (const Tensor& t : in) {
      const int64_t len = t.dim(c.axis);
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t a = 0; a < len * inner; ++a) {
          const int64_t src = o * len * inner + a, dst = (o * total + start) * inner + a;
          ASSERT_EQ(std::memcmp(static_cast<const char*>(out->raw()) + dst * es, static_cast<const char*>(t.raw()) + src * es, es), 0)
              << "part at " << start << ", element " << src;
        }
      start += len;
    }
  }
}

}  // namespace
}  // namespace ez::ops
