// The channels-last layout pass and the NHWC kernels: a graph that mixes convolution, pooling,
// broadcast constants, Split/Concat/Slice/Resize and layout-sensitive readers must give the same
// outputs with the pass (fast kernels, NHWC inside) as the reference kernels on the untouched graph.
// Tolerance 1e-5 x max|ref|: only the convolution summation order differs.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "ops/channels_last.h"
#include "ops/op_util.h"
#include "ops/registry.h"
#include "runtime/session.h"
#include "unit/graph_builder.h"

namespace ez {
namespace {

using test::float_tensor;
using test::int64_tensor;
using test::random_tensor;

Graph mixed_graph() {
  std::mt19937 rng(5);
  test::GraphBuilder b;
  const ValueId x = b.input("x", {1, 8, 10, 12});
  const ValueId conv = b.value("conv"), added = b.value("added"), s0 = b.value("s0"), s1 = b.value("s1"),
                sig = b.value("sig"), cat = b.value("cat"), up = b.value("up"), sl = b.value("sl"), mp = b.value("mp"),
                gap = b.value("gap"), flat = b.value("flat");
  Attributes ca;
  ca.set("pads", Attribute::of_ints({1, 1, 1, 1}));
  b.node_multi("Conv", {x, b.value("w", random_tensor({16, 8, 3, 3}, rng)), b.value("b", random_tensor({16}, rng))}, {conv}, ca);
  b.node_multi("Add", {conv, b.value("k", random_tensor({16, 1, 1}, rng))}, {added});  // per-channel broadcast
  Attributes axis1;
  axis1.set("axis", Attribute::of_int(1));
  b.node_multi("Split", {added, b.value("split", int64_tensor({8, 8}))}, {s0, s1}, axis1);
  b.node_multi("Sigmoid", {s1}, {sig});
  b.node_multi("Concat", {s0, sig, x}, {cat}, axis1);  // x arrives in NCHW
  b.node_multi("Resize", {cat, kNoValue, b.value("scales", float_tensor({1, 1, 2, 2}))}, {up});
  // Default axes (0, 1, 2): the pass must make them explicit before remapping.
  b.node_multi("Slice", {up, b.value("starts", int64_tensor({0, 2, 1})), b.value("ends", int64_tensor({1, 20, 20}))}, {sl});
  Attributes pa;
  pa.set("kernel_shape", Attribute::of_ints({2, 2}));
  pa.set("strides", Attribute::of_ints({2, 2}));
  b.node_multi("MaxPool", {sl}, {mp}, pa);
  b.node_multi("GlobalAveragePool", {mp}, {gap});
  b.node_multi("Reshape", {gap, b.value("shape", int64_tensor({1, -1}))}, {flat});  // reads NCHW order
  b.g.outputs() = {flat, conv};
  return std::move(b.g);
}

TEST(ChannelsLast, PassKeepsNhwcBetweenConvolutionsAndMatchesReference) {
  SessionOptions fast;
  fast.num_threads = 2;
  auto optimized = Session::from_graph(mixed_graph(), fast);
  ASSERT_TRUE(optimized.ok()) << optimized.status().to_string();
  int nhwc_nodes = 0, transposes = 0;
  for (const Node& n : (*optimized)->graph().nodes()) {
    nhwc_nodes += ops::wants_channels_last(n.attrs);
    transposes += n.op_type == "Transpose";
  }
#ifdef EDGEZOO_DNNL
  EXPECT_EQ(nhwc_nodes, 3);  // Conv, MaxPool, GlobalAveragePool
  // x -> NHWC (shared by Conv and Concat), conv back for the graph output, gap back for Reshape.
  EXPECT_EQ(transposes, 3);
#endif

  auto plain = Session::from_graph(mixed_graph(), test::reference_options());
  ASSERT_TRUE(plain.ok()) << plain.status().to_string();
  std::mt19937 rng(9);
  test::expect_same_outputs(**optimized, **plain, {random_tensor({1, 8, 10, 12}, rng)}, 1e-5);
}

// Residual blocks whose input `a` is read by nothing after the block: the second convolution adds
// the residual in place (oneDNN sum post-op over a's buffer, shared by the memory planner). Two
// blocks chained (sum before and after the activation), so that the second in-place step works on
// storage the first one already took over.
TEST(ChannelsLast, InPlaceResidualConvolutionsMatchReference) {
  auto build = [] {
    std::mt19937 rng(12);
    test::GraphBuilder b;
    const ValueId x = b.input("x", {1, 16, 12, 10});
    Attributes pads;
    pads.set("pads", Attribute::of_ints({1, 1, 1, 1}));
    ValueId a = b.node("Conv", {x, b.constant("w1", random_tensor({32, 16, 3, 3}, rng))}, "a", pads);
    for (int i = 0; i < 2; ++i) {
      const std::string k = std::to_string(i);
      const ValueId h = b.node("Relu", {b.node("Conv", {a, b.constant("w1" + k, random_tensor({32, 32, 3, 3}, rng))}, "c1" + k, pads)},
                               "h" + k);
      const ValueId c = b.node("Conv", {h, b.constant("w2" + k, random_tensor({32, 32, 3, 3}, rng))}, "c2" + k, pads);
      if (i == 0) {  // ResNet: relu(conv + a), the residual summed before the activation
        a = b.node("Relu", {b.node("Add", {c, a}, "s" + k)}, "y" + k);
      } else {       // YOLO bottleneck: a + act(conv)
        a = b.node("Add", {b.node("Relu", {c}, "r" + k), a}, "y" + k);
      }
    }
    b.g.outputs() = {a};
    return std::move(b.g);
  };
  auto fast = Session::from_graph(build());
  auto plain = Session::from_graph(build(), test::reference_options());
  ASSERT_TRUE(fast.ok() && plain.ok());
  std::mt19937 rng(1);
  test::expect_same_outputs(**fast, **plain, {random_tensor({1, 16, 12, 10}, rng)}, 1e-5);
}

// The reference kernels run NHWC through the adapter; the fast kernels natively. Both must equal
// the plain NCHW reference on transposed data.
TEST(ChannelsLast, KernelsUnderTheAttributeEqualNchwOnTransposedData) {
  std::mt19937 rng(17);
  struct Case {
    const char* op;
    Shape x, w;
    bool residual;
    int sum_first = 0;  // FusedConv: residual added before (1) or after (0) the activation
  } cases[] = {{"Conv", {1, 5, 9, 11}, {16, 5, 3, 3}, false},
               {"FusedConv", {2, 16, 7, 6}, {16, 16, 3, 3}, true},  // NHWC residual: oneDNN sum post-op
               {"FusedConv", {1, 32, 9, 10}, {32, 32, 3, 3}, true, 1},
               {"ConvTranspose", {2, 24, 5, 6}, {24, 8, 2, 2}, false},  // kernel == stride: the GEMM form
               {"MaxPool", {1, 19, 9, 8}, {}, false},
               {"AveragePool", {1, 3, 8, 9}, {}, false},
               {"GlobalAveragePool", {2, 33, 5, 7}, {}, false},
               {"GlobalMaxPool", {1, 7, 6, 6}, {}, false}};
  for (const Case& c : cases) {
    ops::KernelConfig cfg;
    cfg.op_type = c.op;
    const bool transpose = std::string(c.op) == "ConvTranspose";
    if (!c.w.empty()) cfg.attrs.set("pads", Attribute::of_ints(transpose ? std::vector<int64_t>{0, 0, 0, 0} : std::vector<int64_t>{1, 1, 1, 1}));
    if (transpose) cfg.attrs.set("strides", Attribute::of_ints({2, 2}));
    if (std::string(c.op).find("Pool") != std::string::npos && std::string(c.op).rfind("Global", 0) != 0)
      cfg.attrs.set("kernel_shape", Attribute::of_ints({3, 3}));
    if (std::string(c.op) == "FusedConv") {
      Attribute act;
      act.kind = Attribute::Kind::kString;
      act.s = "Relu";
      cfg.attrs.set("activation", act);
      cfg.attrs.set("sum_first", Attribute::of_int(c.sum_first));
    }
    std::vector<Tensor> nchw;
    nchw.reserve(4);  // (growing from a one-element initializer list tripped GCC 12's -Warray-bounds)
    nchw.push_back(random_tensor(c.x, rng));
    if (!c.w.empty()) nchw.push_back(random_tensor(c.w, rng));
    if (transpose) nchw.push_back(random_tensor({c.w[1]}, rng));
    if (c.residual) {
      nchw.push_back(random_tensor({c.w[0]}, rng));
      nchw.push_back(random_tensor({c.x[0], c.w[0], c.x[2], c.x[3]}, rng));
    }
    cfg.num_inputs = static_cast<int>(nchw.size());
    ThreadPool pool(2);
    auto run = [&](const ops::KernelConfig& k, ops::KernelChoice choice, const std::vector<Tensor>& in) -> Tensor {
      auto kernel = ops::create_kernel(k, choice);
      EXPECT_TRUE(kernel.ok()) << kernel.status().to_string();
      std::vector<ops::KernelInput> kin(in.size());
      std::vector<const Tensor*> ptrs;
      for (size_t i = 0; i < in.size(); ++i) {
        kin[i].desc = in[i].desc();
        if (i == 1 || i == 2) kin[i].value = &in[i];
        ptrs.push_back(&in[i]);
      }
      std::vector<TensorDesc> d(1);
      EXPECT_TRUE((*kernel)->infer(kin, &d).ok());
      EXPECT_TRUE((*kernel)->prepare(kin).ok());
      Tensor out = Tensor::zeros(d[0].dtype, d[0].shape);
      std::vector<Tensor> outs = {out};
      EXPECT_TRUE((*kernel)->run(ptrs, outs, {&pool}).ok()) << c.op;
      return out;
    };
    const Tensor expected = run(cfg, ops::KernelChoice::kReference, nchw);
    std::vector<Tensor> nhwc = nchw;
    for (size_t i : {size_t(0), size_t(3)}) {
      if (i >= nchw.size()) continue;
      nhwc[i] = Tensor::zeros(DType::kFloat32, ops::nchw_to_nhwc(nchw[i].shape()));
      ASSERT_TRUE(ops::transpose_tensor(nchw[i], nhwc[i], {0, 2, 3, 1}, nullptr).ok());
    }
    ops::KernelConfig cl = cfg;
    cl.attrs.set(ops::kChannelsLastAttr, Attribute::of_int(1));
    for (auto choice : {ops::KernelChoice::kReference, ops::KernelChoice::kFast}) {
      const Tensor got_nhwc = run(cl, choice, nhwc);
      Tensor got = Tensor::zeros(DType::kFloat32, expected.shape());
      ASSERT_TRUE(ops::transpose_tensor(got_nhwc, got, {0, 3, 1, 2}, nullptr).ok());
      double max_ref = 0, max_diff = 0;
      for (int64_t i = 0; i < expected.numel(); ++i) {
        max_ref = std::max(max_ref, std::fabs(double(expected.data<float>()[i])));
        max_diff = std::max(max_diff, std::fabs(double(expected.data<float>()[i]) - got.data<float>()[i]));
      }
      EXPECT_LE(max_diff, 1e-5 * max_ref) << c.op << (choice == ops::KernelChoice::kFast ? " fast" : " reference");
    }
  }
}

// Transpose merges adjacent dims; every permutation of a 4-D tensor with size-1 dims mixed in
// must still equal the textbook index mapping.
TEST(ChannelsLast, TransposeOfEveryPermutationEqualsIndexMapping) {
  std::mt19937 rng(23);
  for (const Shape& s : {Shape{2, 3, 4, 5}, Shape{1, 6, 1, 7}, Shape{3, 1, 33, 2}}) {
    std::vector<int64_t> perm = {0, 1, 2, 3};
    do {
      const Tensor x = random_tensor(s, rng);
      Shape os = {s[perm[0]], s[perm[1]], s[perm[2]], s[perm[3]]};
      Tensor y = Tensor::zeros(DType::kFloat32, os);
      ThreadPool pool(2);
      ASSERT_TRUE(ops::transpose_tensor(x, y, perm, &pool).ok());
      const auto xs = shape_strides(s);
      int64_t i = 0, mismatches = 0;
      for (int64_t a = 0; a < os[0]; ++a)
        for (int64_t b = 0; b < os[1]; ++b)
          for (int64_t c = 0; c < os[2]; ++c)
            for (int64_t d = 0; d < os[3]; ++d, ++i) {
              const int64_t idx[4] = {a, b, c, d};
              int64_t src = 0;
              for (int k = 0; k < 4; ++k) src += idx[k] * xs[perm[k]];
              mismatches += y.data<float>()[i] != x.data<float>()[src];
            }
      EXPECT_EQ(mismatches, 0) << shape_to_string(s) << " perm " << perm[0] << perm[1] << perm[2] << perm[3];
    } while (std::next_permutation(perm.begin(), perm.end()));
  }
}

// A detection head flattened per scale, concatenated and transposed to rows ([N, rows, C]): the
// flatten-transpose fold reshapes the NHWC conv outputs directly, so no Transpose is left, and the
// rows equal the reference's (tolerance as above).
TEST(ChannelsLast, FlattenedHeadRowsNeedNoTranspose) {
  auto build = [] {
    std::mt19937 rng(21);
    test::GraphBuilder b;
    const ValueId x = b.input("x", {1, 4, 8, 8});
    Attributes axis2, rows_perm, stride2;
    axis2.set("axis", Attribute::of_int(2));
    rows_perm.set("perm", Attribute::of_ints({0, 2, 1}));
    stride2.set("strides", Attribute::of_ints({2, 2}));
    const ValueId c0 = b.node("Conv", {x, b.value("w0", random_tensor({6, 4, 1, 1}, rng))}, "c0");
    const ValueId c1 = b.node("Conv", {x, b.value("w1", random_tensor({6, 4, 1, 1}, rng))}, "c1", stride2);
    const ValueId f0 = b.node("Reshape", {c0, b.value("s0", int64_tensor({1, 6, -1}))}, "f0");
    const ValueId f1 = b.node("Reshape", {c1, b.value("s1", int64_tensor({1, 6, 16}))}, "f1");
    const ValueId cat = b.node("Concat", {f0, f1}, "cat", axis2);
    b.g.outputs() = {b.node("Transpose", {cat}, "rows", rows_perm)};
    return std::move(b.g);
  };
  SessionOptions fast;
  fast.num_threads = 2;
  auto optimized = Session::from_graph(build(), fast);
  ASSERT_TRUE(optimized.ok()) << optimized.status().to_string();
#ifdef EDGEZOO_DNNL
  int transposes = 0;
  for (const Node& n : (*optimized)->graph().nodes()) transposes += n.op_type == "Transpose";
  EXPECT_EQ(transposes, 1);  // only x -> NHWC
#endif
  auto plain = Session::from_graph(build(), test::reference_options());
  ASSERT_TRUE(plain.ok()) << plain.status().to_string();
  std::mt19937 rng(3);
  test::expect_same_outputs(**optimized, **plain, {random_tensor({1, 4, 8, 8}, rng)}, 1e-5);
}

// ONNX Runtime's dynamic quantization: DynamicQuantizeLinear -> ConvInteger -> Cast -> Mul by the
// scales, twice. ConvInteger runs NHWC and DynamicQuantizeLinear follows (its scalars are order
// free), so nothing is transposed between the two blocks; the outputs equal the reference kernels
// on the untouched graph (the int32 sums are exact, the rest the same float operations).
Graph dynamic_quant_graph() {
  std::mt19937 r(4);
  test::GraphBuilder b;
  ValueId v = b.input("x", {1, 8, 9, 10});
  for (int k = 0; k < 2; ++k) {
    const std::string s = std::to_string(k);
    const ValueId q = b.value("q" + s), scale = b.value("scale" + s), zp = b.value("zp" + s);
    b.node_multi("DynamicQuantizeLinear", {v}, {q, scale, zp});
    Tensor w = Tensor::zeros(DType::kUInt8, {8, 8, 3, 3});
    std::uniform_int_distribution<int> u(0, 255);
    for (int64_t i = 0; i < w.numel(); ++i) w.data<uint8_t>()[i] = static_cast<uint8_t>(u(r));
    Tensor wzp = Tensor::zeros(DType::kUInt8, {});
    wzp.data<uint8_t>()[0] = 117;
    Attributes a;
    a.set("pads", Attribute::of_ints({1, 1, 1, 1}));
    const ValueId acc = b.node("ConvInteger", {q, b.constant("w" + s, w), zp, b.constant("wzp" + s, wzp)}, "acc" + s, a);
    Attributes to;
    to.set("to", Attribute::of_int(1));  // FLOAT
    const ValueId f = b.node("Cast", {acc}, "f" + s, to);
    const ValueId ws = b.node("Mul", {scale, b.constant("wscale" + s, test::float_tensor({0.02f}, {}))}, "ws" + s);
    v = b.node("Mul", {f, ws}, "y" + s);
  }
  b.g.outputs() = {v};
  return std::move(b.g);
}

TEST(ChannelsLast, DynamicQuantizationBlocksStayNhwc) {
  auto optimized = Session::from_graph(dynamic_quant_graph());
  ASSERT_TRUE(optimized.ok()) << optimized.status().to_string();
  int nhwc = 0, transposes = 0;
  for (const Node& n : (*optimized)->graph().nodes()) {
    nhwc += n.op_type == "ConvInteger" && ops::wants_channels_last(n.attrs);
    transposes += n.op_type == "Transpose";
  }
#ifdef EDGEZOO_DNNL
  EXPECT_EQ(nhwc, 2);
  EXPECT_EQ(transposes, 2);  // the input in, the output out
#endif
  auto plain = Session::from_graph(dynamic_quant_graph(), test::reference_options());
  ASSERT_TRUE(plain.ok()) << plain.status().to_string();
  std::mt19937 rng(12);
  test::expect_same_outputs(**optimized, **plain, {random_tensor({1, 8, 9, 10}, rng, -2, 3)}, 1e-6);
}

}  // namespace
}  // namespace ez
