// quantize_model end to end with a depthwise convolution whose input channels span very different
// ranges (yolox_nano's Conv_44 in small): equalization, bias correction, and the analysis seeing
// through the equalizing Mul.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "core/npy.h"
#include "onnx/model_file.h"
#include "quant/layer_analysis.h"
#include "quant/quantize.h"
#include "runtime/session.h"
#include "unit/quant_test_util.h"
#include "util/onnx_builder.h"

namespace ez::quant {
namespace {

void ints(onnx::NodeProto& n, const std::string& name, std::vector<int64_t> v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  if (v.size() == 1 && name == "group") {
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v[0]);
    return;
  }
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t x : v) a->add_ints(x);
}

// x[1,2,8,8] -> 1x1 Conv to 4 channels (channel 0 wide, 1..3 narrow) -> Relu -> y
//   -> depthwise 3x3 Conv (pad 1; multiplies the narrow channels by 50) -> out
test::OnnxBuilder depthwise_model() {
  test::OnnxBuilder b;
  b.input("x", {1, 2, 8, 8});
  b.initializer("w1", {4, 2, 1, 1}, {40, 20, 0.05f, -0.03f, -0.02f, 0.04f, 0.03f, 0.03f});
  b.initializer("b1", {4}, {1, 0.02f, 0.03f, 0.01f});
  std::vector<float> dw(36);
  for (int o = 0; o < 4; ++o)
    for (int k = 0; k < 9; ++k) dw[o * 9 + k] = (o == 0 ? 0.01f : 50.0f) * (k % 2 ? 1.0f : -0.5f);
  b.initializer("w2", {4, 1, 3, 3}, dw);
  b.initializer("b2", {4}, {0.1f, -0.1f, 0.2f, 0});
  b.node("Conv", {"x", "w1", "b1"}, {"c1"}, "pw");
  b.node("Relu", {"c1"}, {"y"}, "relu");
  auto& d = b.node("Conv", {"y", "w2", "b2"}, {"out"}, "dw");
  ints(d, "group", {4});
  ints(d, "pads", {1, 1, 1, 1});
  b.output("out");
  return b;
}

double cosine(const Tensor& a, const Tensor& b) {
  double ab = 0, aa = 0, bb = 0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    ab += static_cast<double>(a.data<float>()[i]) * b.data<float>()[i];
    aa += static_cast<double>(a.data<float>()[i]) * a.data<float>()[i];
    bb += static_cast<double>(b.data<float>()[i]) * b.data<float>()[i];
  }
  return ab / std::sqrt(aa * bb);
}

struct QuantRun {
  QuantizeReport report;
  onnx::ModelProto proto;
  double cos = 0;  // output of the quantized model against float on the first sample
};

QuantRun quantize_and_run(const test::TempDir& dir, const DatasetList& list, bool equalize, bool bias_correction,
                     const std::string& out) {
  QuantizeOptions o;
  o.equalize = equalize;
  o.bias_correction = bias_correction;
  size_t first = 0, second = 0;
  auto cal = calibrate_model(dir.file("model.onnx"), list, test::load_npy, o, [&](size_t, size_t) { ++first; },
                             [&](size_t, size_t) { ++second; });
  EXPECT_TRUE(cal.ok()) << cal.status().to_string();
  QuantRun r;
  if (!cal.ok()) return r;
  EXPECT_EQ(first, list.entries.size());
  EXPECT_EQ(second, bias_correction ? list.entries.size() : 0u);  // the error pass shows progress too
  auto q = build_qdq_model(*cal);
  EXPECT_TRUE(q.ok()) << q.status().to_string();
  if (!q.ok()) return r;
  EXPECT_TRUE(save_model_proto(q->model, dir.file(out)).ok());
  r.report = q->report;
  r.proto = q->model;
  auto fs = Session::load_file(dir.file("model.onnx"));
  auto qs = Session::load_file(dir.file(out));
  EXPECT_TRUE(fs.ok() && qs.ok()) << (qs.ok() ? "" : qs.status().to_string());
  if (!fs.ok() || !qs.ok()) return r;
  auto x = read_npy(dir.file("s0.npy"));
  auto fo = (*fs)->run({*x});
  auto qo = (*qs)->run({*x});
  EXPECT_TRUE(fo.ok() && qo.ok());
  if (fo.ok() && qo.ok()) r.cos = cosine((*fo)[0], (*qo)[0]);
  return r;
}

TEST(QuantEqualizeModel, DepthwiseInputGetsChannelScalesAndTheOutputImproves) {
  test::TempDir dir;
  auto b = depthwise_model();
  std::ofstream(dir.file("model.onnx"), std::ios::binary) << b.bytes();
  const DatasetList list = test::random_npy_list(dir, {1, 2, 8, 8}, 4);

  const QuantRun plain = quantize_and_run(dir, list, false, false, "plain.onnx");
  const QuantRun eq = quantize_and_run(dir, list, true, false, "eq.onnx");
  const QuantRun both = quantize_and_run(dir, list, true, true, "both.onnx");
  EXPECT_EQ(plain.report.equalized, 0);
  EXPECT_EQ(plain.report.corrected_biases, 0);
  EXPECT_EQ(eq.report.equalized, 1);  // y only: x is read by a full convolution
  EXPECT_EQ(both.report.corrected_biases, 2);
  // Narrow channels rounded to a level or two ruin the per-tensor model; equalized it is close.
  EXPECT_LT(plain.cos, 0.99);
  EXPECT_GT(eq.cos, 0.999);
  EXPECT_GT(both.cos, 0.999);

  // The written form: y -> Mul(y, scales[1,4,1,1]) -> QuantizeLinear -> DequantizeLinear -> dw.
  std::map<std::string, const onnx::NodeProto*> producer;
  for (const auto& n : eq.proto.graph().node())
    for (const auto& o : n.output()) producer[o] = &n;
  const onnx::NodeProto* conv = nullptr;
  for (const auto& n : eq.proto.graph().node())
    if (n.name() == "dw") conv = &n;
  ASSERT_NE(conv, nullptr);
  const onnx::NodeProto* dq = producer.at(conv->input(0));
  ASSERT_EQ(dq->op_type(), "DequantizeLinear");
  const onnx::NodeProto* q = producer.at(dq->input(0));
  ASSERT_EQ(q->op_type(), "QuantizeLinear");
  const onnx::NodeProto* mul = producer.at(q->input(0));
  ASSERT_EQ(mul->op_type(), "Mul");
  EXPECT_EQ(mul->input(0), "y");
  bool found = false;
  for (const auto& t : eq.proto.graph().initializer())
    if (t.name() == mul->input(1)) {
      found = true;
      EXPECT_EQ(std::vector<int64_t>(t.dims().begin(), t.dims().end()), (std::vector<int64_t>{1, 4, 1, 1}));
    }
  EXPECT_TRUE(found);
  ASSERT_EQ(eq.report.tensors.size(), 2u);
  EXPECT_EQ(eq.report.tensors[1].name, "y");
  ASSERT_EQ(eq.report.tensors[1].channel_scale.size(), 4u);
  EXPECT_GT(eq.report.tensors[1].channel_scale[1], 10.0f);

  // The analysis sees the Mul as part of dw's quantizer: dw has isolated figures.
  auto analyzer = LayerAnalyzer::create(dir.file("model.onnx"), dir.file("eq.onnx"), SessionOptions{});
  ASSERT_TRUE(analyzer.ok()) << analyzer.status().to_string();
  for (int i = 0; i < 2; ++i) {
    auto x = read_npy(dir.file("s" + std::to_string(i) + ".npy"));
    ASSERT_TRUE((*analyzer)->add_sample({*x}).ok());
  }
  bool dw_seen = false;
  for (const LayerError& e : (*analyzer)->results())
    if (e.node == "dw") {
      dw_seen = true;
      EXPECT_TRUE(e.has_isolated);
      EXPECT_GT(e.isolated_cosine, 0.999);
    }
  EXPECT_TRUE(dw_seen);
}

TEST(QuantEqualizeModel, PerTensorWeightsAreNotEqualized) {
  test::TempDir dir;
  auto b = depthwise_model();
  std::ofstream(dir.file("model.onnx"), std::ios::binary) << b.bytes();
  const DatasetList list = test::random_npy_list(dir, {1, 2, 8, 8}, 2);
  QuantizeOptions o;
  o.per_channel = false;  // a per-tensor weight scale would take the 1/s_c as rounding error
  auto cal = calibrate_model(dir.file("model.onnx"), list, test::load_npy, o);
  ASSERT_TRUE(cal.ok()) << cal.status().to_string();
  auto q = build_qdq_model(*cal);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->report.equalized, 0);
  EXPECT_EQ(q->report.corrected_biases, 2);
}

}  // namespace
}  // namespace ez::quant
