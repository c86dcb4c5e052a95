// Hybrid search on a model built so that one convolution is ruined by int8 and the other is not:
// conv2 reads a tensor whose range is set by one constant channel of 200, so the uint8 step (0.8)
// swamps the channels it actually uses. The search must keep exactly conv2 in float.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "quant/hybrid.h"
#include "quant/output_agreement.h"
#include "unit/quant_test_util.h"
#include "util/onnx_builder.h"

namespace ez::quant {
namespace {

using test::TempDir;

// x[1,3,8,8] -> conv1 (bias 200 on channel 3) -> relu -> y -> conv2 (ignores channel 3) -> out
std::string outlier_model(int64_t size = 8) {
  test::OnnxBuilder b(13);
  b.input("x", {1, 3, size, size});
  b.initializer("w1", {4, 3, 3, 3}, test::random_values(108, 1));
  b.initializer("b1", {4}, {0.1f, -0.2f, 0.05f, 200.0f});
  std::vector<float> w2 = test::random_values(16, 2, 0.5f);
  for (int o = 0; o < 4; ++o) w2[o * 4 + 3] = 0.0f;
  b.initializer("w2", {4, 4, 1, 1}, w2);
  auto& c1 = b.node("Conv", {"x", "w1", "b1"}, {"y1"}, "conv1");
  auto* pads = c1.add_attribute();
  pads->set_name("pads");
  pads->set_type(onnx::AttributeProto::INTS);
  for (int i = 0; i < 4; ++i) pads->add_ints(1);
  b.node("Relu", {"y1"}, {"y"}, "relu");
  b.node("Conv", {"y", "w2"}, {"out"}, "conv2");
  b.output("out");
  return b.bytes();
}

struct Calibrated {
  TempDir dir;
  DatasetList list;
  Result<CalibratedModel> calibrated = Status(internal_error("not run"));
  Calibrated() {
    std::ofstream(dir.file("model.onnx"), std::ios::binary) << outlier_model();
    list = test::random_npy_list(dir, {1, 3, 8, 8}, 4);
    QuantizeOptions o;
    o.session.num_threads = 1;
    calibrated = calibrate_model(dir.file("model.onnx"), list, test::load_npy, o);
  }
};

TEST(QuantHybrid, ParsesTheTarget) {
  auto d = parse_hybrid("auto");
  ASSERT_TRUE(d.ok());
  EXPECT_DOUBLE_EQ(d->target_cosine, 0.99);
  auto t = parse_hybrid("auto:0.995");
  ASSERT_TRUE(t.ok());
  EXPECT_DOUBLE_EQ(t->target_cosine, 0.995);
  for (const char* bad : {"", "manual", "auto:", "auto:x", "auto:0.9x", "auto:0", "auto:1.5"}) {
    auto r = parse_hybrid(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_NE(r.status().message().find("--hybrid"), std::string::npos) << r.status().message();
    }
  }
}

TEST(QuantHybrid, KeepsTheRuinedLayerInFloat) {
  Calibrated s;
  ASSERT_TRUE(s.calibrated.ok()) << s.calibrated.status().to_string();
  HybridOptions o;
  o.target_cosine = 0.999;
  int reported = 0;
  auto r = search_hybrid(*s.calibrated, s.dir.file("model.onnx"), s.list, test::load_npy, o, nullptr,
                         [&](const HybridTrial&) { ++reported; });
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->ranked, 2);
  ASSERT_FALSE(r->analysis.layers.empty());
  EXPECT_EQ(r->analysis.layers[0].node, "conv2");  // most damaging alone
  EXPECT_LT(r->cosine_all_int8, 0.999);
  EXPECT_TRUE(r->target_met);
  EXPECT_EQ(r->kept, std::vector<std::string>{"conv2"});
  EXPECT_GE(r->reached.min_cosine(), 0.999);
  // The sensitivity scan tried each layer alone in float: conv2 gains most, conv1 next to nothing.
  ASSERT_EQ(r->sensitivity.size(), 2u);
  EXPECT_EQ(r->sensitivity[0].first, "conv2");
  EXPECT_GT(r->sensitivity[0].second, 0.0);
  EXPECT_GT(r->sensitivity[0].second, 10 * std::max(0.0, r->sensitivity[1].second));
  EXPECT_EQ(reported, static_cast<int>(r->trials.size()));
  EXPECT_EQ(r->model.report.quantized, std::vector<std::string>{"conv1"});
  // The chosen model scores as reported when scored again from scratch.
  auto agreement = OutputAgreement::create(s.dir.file("model.onnx"), s.list, test::load_npy, SessionOptions());
  ASSERT_TRUE(agreement.ok()) << agreement.status().to_string();
  auto again = (*agreement)->score(r->model.model, s.dir.file(""));
  ASSERT_TRUE(again.ok()) << again.status().to_string();
  EXPECT_NEAR(again->min_cosine(), r->reached.min_cosine(), 1e-9);
}

// --hybrid-as int16: the same layer is kept, now quantized with a 16-bit input (its step 256 times
// finer: 0.003 instead of 0.8), which reaches the target as float did; its weights stay int8.
TEST(QuantHybrid, KeepsTheRuinedLayerWithSixteenBitInputs) {
  Calibrated s;
  ASSERT_TRUE(s.calibrated.ok()) << s.calibrated.status().to_string();
  HybridOptions o;
  o.target_cosine = 0.999;
  o.int16 = true;
  auto r = search_hybrid(*s.calibrated, s.dir.file("model.onnx"), s.list, test::load_npy, o);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_TRUE(r->target_met);
  EXPECT_TRUE(r->kept_int16);
  EXPECT_EQ(r->kept, std::vector<std::string>{"conv2"});
  EXPECT_GE(r->reached.min_cosine(), 0.999);
  EXPECT_EQ(r->model.report.quantized, (std::vector<std::string>{"conv1", "conv2"}));
  EXPECT_EQ(r->model.report.int16, std::vector<std::string>{"conv2"});
  EXPECT_EQ(r->model.report.int16_activations, 1);
  EXPECT_EQ(r->model.report.weights, 2);
}

TEST(QuantHybrid, UnreachableTargetSaysSo) {
  Calibrated s;
  ASSERT_TRUE(s.calibrated.ok()) << s.calibrated.status().to_string();
  HybridOptions o;
  o.target_cosine = 1.0;  // int8 conv1 always loses something
  auto r = search_hybrid(*s.calibrated, s.dir.file("model.onnx"), s.list, test::load_npy, o);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_FALSE(r->target_met);
  // All but one ranked layer in float is the most it tries; the best try is returned.
  ASSERT_EQ(r->trials.size(), 2u);
  EXPECT_EQ(r->kept, std::vector<std::string>{"conv2"});
  EXPECT_LT(r->reached.min_cosine(), 1.0);
}

TEST(QuantOutputAgreement, FloatModelAgreesWithItselfAndShapesAreChecked) {
  TempDir dir;
  std::ofstream(dir.file("model.onnx"), std::ios::binary) << outlier_model();
  DatasetList list = test::random_npy_list(dir, {1, 3, 8, 8}, 2);
  auto a = OutputAgreement::create(dir.file("model.onnx"), list, test::load_npy, SessionOptions(), 0 /* no input cache */);
  ASSERT_TRUE(a.ok()) << a.status().to_string();
  auto same = Session::load_file(dir.file("model.onnx"));
  ASSERT_TRUE(same.ok());
  auto r = (*a)->score(**same);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->outputs.size(), 1u);
  EXPECT_EQ(r->outputs[0].name, "out");
  EXPECT_DOUBLE_EQ(r->min_cosine(), 1.0);
  EXPECT_DOUBLE_EQ(r->outputs[0].rel_error, 0.0);
  std::ofstream(dir.file("bigger.onnx"), std::ios::binary) << outlier_model(16);
  auto other = Session::load_file(dir.file("bigger.onnx"));
  ASSERT_TRUE(other.ok());
  auto bad = (*a)->score(**other);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("input differs"), std::string::npos) << bad.status().message();
}

}  // namespace
}  // namespace ez::quant
