// QDQ placement, calibration lists and the whole quantize_model flow on small built models.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include "core/npy.h"
#include "onnx/onnx_pb.h"
#include "quant/qdq_plan.h"
#include "quant/quantize.h"
#include "runtime/model_info.h"
#include "runtime/session.h"
#include "unit/quant_test_util.h"
#include "util/onnx_builder.h"

namespace ez::quant {
namespace {

using test::random_values;
using test::TempDir;

void set_int(onnx::NodeProto& n, const std::string& name, int64_t v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}

// x[1,3,8,8] -> Conv(3x3, pad 1, bias) -> Relu -> y2 -> Conv 1x1 (no bias) -> out1
//                                             y2 -> Flatten -> Gemm(transB=1, bias) -> out2
test::OnnxBuilder small_model(int opset = 13) {
  test::OnnxBuilder b(opset);
  b.input("x", {1, 3, 8, 8});
  b.initializer("w1", {4, 3, 3, 3}, random_values(108, 1));
  b.initializer("b1", {4}, {0.1f, -0.2f, 0.05f, 0.3f});
  b.initializer("w2", {2, 4, 1, 1}, random_values(8, 2, 0.5f));
  b.initializer("wg", {10, 256}, random_values(2560, 3, 0.05f));
  b.initializer("bg", {10}, random_values(10, 4));
  auto& c1 = b.node("Conv", {"x", "w1", "b1"}, {"y1"}, "conv1");
  auto* pads = c1.add_attribute();
  pads->set_name("pads");
  pads->set_type(onnx::AttributeProto::INTS);
  for (int i = 0; i < 4; ++i) pads->add_ints(1);
  b.node("Relu", {"y1"}, {"y2"}, "relu");
  b.node("Conv", {"y2", "w2"}, {"out1"}, "conv2");
  b.node("Flatten", {"y2"}, {"flat"}, "flatten");
  set_int(b.node("Gemm", {"flat", "wg", "bg"}, {"out2"}, "gemm"), "transB", 1);
  b.output("out1").output("out2");
  return b;
}

TEST(QuantPlan, PlacementAxesAndBiases) {
  auto b = small_model();
  auto plan = plan_qdq(b.proto().graph(), {}, true);
  ASSERT_TRUE(plan.ok()) << plan.status().to_string();
  EXPECT_EQ(plan->activations, (std::vector<std::string>{"x", "y2", "flat"}));
  ASSERT_EQ(plan->nodes.size(), 3u);
  EXPECT_EQ(plan->nodes[0].weight_axis, 0);
  EXPECT_EQ(plan->nodes[0].bias_input, 2);
  EXPECT_EQ(plan->nodes[1].bias_input, -1);
  EXPECT_EQ(plan->nodes[2].weight_axis, 0);  // Gemm transB=1: B is [N, K]
  auto per_tensor = plan_qdq(b.proto().graph(), {}, false);
  ASSERT_TRUE(per_tensor.ok());
  EXPECT_EQ(per_tensor->nodes[0].weight_axis, -1);
}

TEST(QuantPlan, ExcludeAndErrors) {
  auto b = small_model();
  auto plan = plan_qdq(b.proto().graph(), {"gemm"}, true);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->activations, (std::vector<std::string>{"x", "y2"}));
  auto bad = plan_qdq(b.proto().graph(), {"gemmm"}, true);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'gemmm'"), std::string::npos);
  auto all = plan_qdq(b.proto().graph(), {"conv1", "conv2", "gemm"}, true);
  EXPECT_FALSE(all.ok());

  test::OnnxBuilder plain;
  plain.input("a", {2}).input("c", {2});
  plain.node("Add", {"a", "c"}, {"s"});
  plain.output("s");
  auto none = plan_qdq(plain.proto().graph(), {}, true);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("no quantizable operator"), std::string::npos);
}

TEST(QuantPlan, MatMulAndConvTransposeAxes) {
  test::OnnxBuilder b;
  b.input("x", {1, 2, 4, 4});
  b.initializer("wt", {2, 3, 2, 2}, random_values(24, 5));
  b.initializer("bt", {3}, {0, 0, 0});
  b.initializer("m", {8, 5}, random_values(40, 6));
  b.node("ConvTranspose", {"x", "wt", "bt"}, {"y"}, "deconv");
  b.node("MatMul", {"y", "m"}, {"z"}, "mm");
  b.node("MatMul", {"z", "z2"}, {"zz"}, "mm2");  // activation x activation
  b.output("zz");
  auto plan = plan_qdq(b.proto().graph(), {}, true);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->nodes[0].weight_axis, 1);
  EXPECT_EQ(plan->nodes[0].bias_input, 2);
  EXPECT_EQ(plan->nodes[1].weight_axis, 1);
  EXPECT_EQ(plan->nodes[2].activation_inputs, (std::vector<int>{0, 1}));
  EXPECT_EQ(plan->activations, (std::vector<std::string>{"x", "y", "z", "z2"}));
}

TEST(QuantDataset, ListErrors) {
  TempDir dir;
  std::ofstream(dir.file("empty.txt")) << "# nothing here\n\n";
  auto empty = read_dataset_list(dir.file("empty.txt"));
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("names no image"), std::string::npos);
  std::ofstream(dir.file("a.npy")) << "x";
  std::ofstream(dir.file("list.txt")) << "a.npy\n\n" << dir.file("a.npy") << "\nmissing.jpg\n";
  auto missing = read_dataset_list(dir.file("list.txt"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("line 4"), std::string::npos) << missing.status().message();
  EXPECT_NE(missing.status().message().find("missing.jpg"), std::string::npos);
  std::ofstream(dir.file("ok.txt")) << "a.npy\n  " << dir.file("a.npy") << "  \n";
  auto ok = read_dataset_list(dir.file("ok.txt"));
  ASSERT_TRUE(ok.ok());
  ASSERT_EQ(ok->entries.size(), 2u);
  EXPECT_EQ(ok->entries[0].path, dir.file("a.npy"));
  EXPECT_EQ(ok->entries[1].line, 2);
  EXPECT_FALSE(read_dataset_list(dir.file("nope.txt")).ok());
}

double cosine(const Tensor& a, const Tensor& b) {
  double ab = 0, aa = 0, bb = 0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    ab += a.data<float>()[i] * static_cast<double>(b.data<float>()[i]);
    aa += a.data<float>()[i] * static_cast<double>(a.data<float>()[i]);
    bb += b.data<float>()[i] * static_cast<double>(b.data<float>()[i]);
  }
  return ab / std::sqrt(aa * bb);
}

struct Quantized {
  Result<QuantizeReport> report = Status(internal_error("not run"));
  onnx::ModelProto proto;
};

Quantized run_quantize(TempDir& dir, test::OnnxBuilder& b, const QuantizeOptions& o, int samples = 4) {
  std::ofstream(dir.file("model.onnx"), std::ios::binary) << b.bytes();
  std::ofstream list(dir.file("list.txt"));
  for (int i = 0; i < samples; ++i) {
    const std::vector<float> v = random_values(192, 100 + i, 1.0f);
    Tensor t = Tensor::zeros(DType::kFloat32, {1, 3, 8, 8});
    std::copy(v.begin(), v.end(), t.data<float>());
    EXPECT_TRUE(write_npy(dir.file("s" + std::to_string(i) + ".npy"), t).ok());
    list << "s" << i << ".npy\n";
  }
  list.close();
  auto ds = read_dataset_list(dir.file("list.txt"));
  EXPECT_TRUE(ds.ok());
  size_t calls = 0;
  auto load = [](const std::string& path, const IOInfo&) { return read_npy(path); };
  Quantized q;
  q.report = quantize_model(dir.file("model.onnx"), dir.file("q.onnx"), *ds, load, o, [&](size_t, size_t) { ++calls; });
  if (q.report.ok()) {
    EXPECT_EQ(calls, static_cast<size_t>(samples));
    std::ifstream in(dir.file("q.onnx"), std::ios::binary);
    EXPECT_TRUE(q.proto.ParseFromIstream(&in));
  }
  return q;
}

int count_op(const onnx::ModelProto& m, const std::string& op) {
  int n = 0;
  for (const auto& node : m.graph().node()) n += node.op_type() == op;
  return n;
}

TEST(QuantModel, WritesARunnableQdqModelCloseToFloat) {
  TempDir dir;
  auto b = small_model();
  QuantizeOptions o;
  o.range.algo = CalibAlgo::kMinMax;
  Quantized q = run_quantize(dir, b, o);
  ASSERT_TRUE(q.report.ok()) << q.report.status().to_string();
  EXPECT_EQ(q.report->nodes, 3);
  EXPECT_EQ(q.report->activations, 3);
  EXPECT_EQ(q.report->weights, 3);
  EXPECT_EQ(q.report->biases, 2);
  EXPECT_EQ(count_op(q.proto, "QuantizeLinear"), 3);
  EXPECT_EQ(count_op(q.proto, "DequantizeLinear"), 8);
  // The float weights are gone; int8 weights and int32 biases replace them.
  std::map<std::string, int> types;
  for (const auto& t : q.proto.graph().initializer()) types[t.name()] = t.data_type();
  EXPECT_EQ(types.count("w1"), 0u);
  EXPECT_EQ(types.count("b1"), 0u);
  EXPECT_EQ(types["w1_quantized"], onnx::TensorProto::INT8);
  EXPECT_EQ(types["b1_quantized"], onnx::TensorProto::INT32);
  EXPECT_EQ(types["x_zero_point"], onnx::TensorProto::UINT8);
  // The input's range is exactly what the samples held.
  ASSERT_FALSE(q.report->tensors.empty());
  EXPECT_EQ(q.report->tensors[0].name, "x");

  auto fs = Session::load_file(dir.file("model.onnx"));
  auto qs = Session::load_file(dir.file("q.onnx"));
  ASSERT_TRUE(fs.ok() && qs.ok()) << qs.status().to_string();
  auto x = read_npy(dir.file("s0.npy"));
  auto fo = (*fs)->run({*x});
  auto qo = (*qs)->run({*x});
  ASSERT_TRUE(fo.ok() && qo.ok());
  for (size_t i = 0; i < 2; ++i) EXPECT_GT(cosine((*fo)[i], (*qo)[i]), 0.999) << "output " << i;
}

// `edgezoo info`'s MACs: the optimised QDQ model (QLinearConv, QLinearMatMul or Gemm on int8
// weights) counts the same multiply-accumulates as the float one (its int8 weights come fourth).
TEST(QuantModel, QdqModelCountsTheFloatModelsMacs) {
  TempDir dir;
  auto b = small_model();
  Quantized q = run_quantize(dir, b, QuantizeOptions{});
  ASSERT_TRUE(q.report.ok()) << q.report.status().to_string();
  auto fs = Session::load_file(dir.file("model.onnx"));
  auto qs = Session::load_file(dir.file("q.onnx"));
  ASSERT_TRUE(fs.ok() && qs.ok()) << qs.status().to_string();
  const int64_t float_macs = model_figures((*fs)->graph(), (*fs)->graph()).macs;
  EXPECT_EQ(float_macs, 8 * 8 * 4 * 27 + 8 * 8 * 2 * 4 + 10 * 256);  // conv1, conv2, gemm
  bool qlinear = false;
  for (const Node& n : (*qs)->graph().nodes()) qlinear |= n.op_type == "QLinearConv";
  EXPECT_TRUE(qlinear);
  EXPECT_EQ(model_figures((*qs)->graph(), (*qs)->graph()).macs, float_macs);
}

TEST(QuantModel, Int8ActivationsPerTensorAndExclude) {
  TempDir dir;
  auto b = small_model();
  QuantizeOptions o;
  o.range.algo = CalibAlgo::kMSE;
  o.range.act = ActType::kInt8Symmetric;
  o.per_channel = false;
  o.exclude = {"gemm"};
  Quantized q = run_quantize(dir, b, o);
  ASSERT_TRUE(q.report.ok()) << q.report.status().to_string();
  EXPECT_EQ(q.report->nodes, 2);
  EXPECT_EQ(count_op(q.proto, "QuantizeLinear"), 2);
  for (const auto& n : q.proto.graph().node()) {
    if (n.name() == "gemm") {
      EXPECT_EQ(n.input(0), "flat");  // still float
    }
    if (n.op_type() == "DequantizeLinear") {
      for (const auto& a : n.attribute()) EXPECT_NE(a.name(), "axis");  // per tensor everywhere
    }
  }
  for (const auto& t : q.proto.graph().initializer())
    if (t.name() == "x_zero_point") {
      EXPECT_EQ(t.data_type(), onnx::TensorProto::INT8);
    }
  auto qs = Session::load_file(dir.file("q.onnx"));
  ASSERT_TRUE(qs.ok()) << qs.status().to_string();
}

TEST(QuantModel, OldOpsetIsRaisedTo13) {
  TempDir dir;
  auto b = small_model(11);
  Quantized q = run_quantize(dir, b, QuantizeOptions{}, 2);
  ASSERT_TRUE(q.report.ok()) << q.report.status().to_string();
  EXPECT_EQ(q.report->opset_before, 11);
  int opset = 0;
  for (const auto& op : q.proto.opset_import())
    if (op.domain().empty()) opset = static_cast<int>(op.version());
  EXPECT_EQ(opset, 13);
  EXPECT_GE(q.proto.ir_version(), 7);
}

TEST(QuantModel, WeightsInConstantNodes) {
  // Paddle's exporter keeps every weight in a Constant node instead of an initializer.
  TempDir dir;
  test::OnnxBuilder b;
  b.input("x", {1, 3, 8, 8});
  auto& c = b.node("Constant", {}, {"w"}, "w_const");
  auto* a = c.add_attribute();
  a->set_name("value");
  a->set_type(onnx::AttributeProto::TENSOR);
  auto* t = a->mutable_t();
  t->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : {2, 3, 1, 1}) t->add_dims(d);
  for (float v : random_values(6, 9)) t->add_float_data(v);
  b.node("Conv", {"x", "w"}, {"y"}, "conv");
  b.output("y");
  Quantized q = run_quantize(dir, b, QuantizeOptions{}, 2);
  ASSERT_TRUE(q.report.ok()) << q.report.status().to_string();
  EXPECT_EQ(q.report->weights, 1);
  EXPECT_EQ(count_op(q.proto, "Constant"), 0);  // the float original is dropped
  auto qs = Session::load_file(dir.file("q.onnx"));
  ASSERT_TRUE(qs.ok()) << qs.status().to_string();
}

// --int16: the chosen nodes' activation inputs get ONNX Runtime's com.microsoft Q/DQ with a 16-bit
// zero point (uint16, int16 when symmetric), their weights stay int8 and their biases float (bias
// corrected); edgezoo runs it, closer to float than the all-8-bit model. An unknown name fails.
TEST(QuantModel, Int16InputsForChosenNodes) {
  for (ActType act : {ActType::kUInt8Asymmetric, ActType::kInt8Symmetric}) {
    SCOPED_TRACE(act == ActType::kInt8Symmetric ? "int8 symmetric" : "uint8 asymmetric");
    TempDir dir;
    auto b = small_model();
    QuantizeOptions o;
    o.range.act = act;
    Quantized q8 = run_quantize(dir, b, o);
    ASSERT_TRUE(q8.report.ok()) << q8.report.status().to_string();
    auto s8 = Session::load_file(dir.file("q.onnx"));
    ASSERT_TRUE(s8.ok()) << s8.status().to_string();
    o.int16 = {"conv1", "conv2", "gemm"};
    Quantized q = run_quantize(dir, b, o);
    ASSERT_TRUE(q.report.ok()) << q.report.status().to_string();
    EXPECT_EQ(q.report->int16_activations, 3);
    EXPECT_EQ(q.report->int16, (std::vector<std::string>{"conv1", "conv2", "gemm"}));
    EXPECT_EQ(q.report->weights, 3);
    EXPECT_EQ(q.report->biases, 0);
    std::map<std::string, int> types;
    for (const auto& t : q.proto.graph().initializer()) types[t.name()] = t.data_type();
    const int zp16 = act == ActType::kInt8Symmetric ? onnx::TensorProto::INT16 : onnx::TensorProto::UINT16;
    EXPECT_EQ(types["x_zero_point"], zp16);
    EXPECT_EQ(types["y2_zero_point"], zp16);
    EXPECT_EQ(types["w1_quantized"], onnx::TensorProto::INT8);
    EXPECT_EQ(types["b1_corrected"], onnx::TensorProto::FLOAT);
    EXPECT_EQ(types.count("b1_quantized"), 0u);
    int contrib = 0;
    for (const auto& n : q.proto.graph().node())
      if (n.op_type() == "QuantizeLinear" || n.op_type() == "DequantizeLinear")
        contrib += n.domain() == "com.microsoft";
    EXPECT_EQ(contrib, 6);  // a Q and a DQ per activation; the weights' DQs stay standard
    bool imported = false;
    for (const auto& op : q.proto.opset_import()) imported |= op.domain() == "com.microsoft" && op.version() == 1;
    EXPECT_TRUE(imported);

    auto fs = Session::load_file(dir.file("model.onnx"));
    auto s16 = Session::load_file(dir.file("q.onnx"));
    ASSERT_TRUE(fs.ok() && s16.ok()) << s16.status().to_string();
    auto x = read_npy(dir.file("s0.npy"));
    auto fo = (*fs)->run({*x});
    auto o8 = (*s8)->run({*x});
    auto o16 = (*s16)->run({*x});
    ASSERT_TRUE(fo.ok() && o8.ok() && o16.ok());
    for (size_t i = 0; i < 2; ++i) {
      const double c8 = cosine((*fo)[i], (*o8)[i]), c16 = cosine((*fo)[i], (*o16)[i]);
      // Measured 1 - cosine: 3.5e-5 .. 1.6e-4 with 8 bits, 0.8e-5 .. 1.5e-5 with 16 (what is left
      // is the int8 weights' error): at least halved.
      EXPECT_LT(1 - c16, 0.5 * (1 - c8)) << "output " << i << ": " << c8 << " -> " << c16;
    }
  }
  TempDir dir;
  auto b = small_model();
  QuantizeOptions o;
  o.int16 = {"nope"};
  Quantized q = run_quantize(dir, b, o);
  ASSERT_FALSE(q.report.ok());
  EXPECT_NE(q.report.status().message().find("--int16 names 'nope'"), std::string::npos) << q.report.status().message();
}

TEST(QuantModel, FailureWritesNothing) {
  TempDir dir;
  auto b = small_model();
  std::ofstream(dir.file("model.onnx"), std::ios::binary) << b.bytes();
  std::ofstream(dir.file("list.txt")) << "s0.npy\n";
  Tensor wrong = Tensor::zeros(DType::kFloat32, {1, 3, 4, 4});
  ASSERT_TRUE(write_npy(dir.file("s0.npy"), wrong).ok());
  auto ds = read_dataset_list(dir.file("list.txt"));
  ASSERT_TRUE(ds.ok());
  auto load = [](const std::string& path, const IOInfo&) { return read_npy(path); };
  auto r = quantize_model(dir.file("model.onnx"), dir.file("q.onnx"), *ds, load, QuantizeOptions{});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("line 1"), std::string::npos) << r.status().message();
  EXPECT_FALSE(std::filesystem::exists(dir.file("q.onnx")));
}

}  // namespace
}  // namespace ez::quant
