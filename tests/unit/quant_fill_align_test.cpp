// Quantization levels on the letterbox fill (fill_align.h): the per-channel and per-tensor
// nudges, and the plateaus read off a constant input, end to end through calibrate_model.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>

#include "quant/fill_align.h"
#include "quant/quant_error.h"
#include "quant/quantize.h"
#include "unit/quant_test_util.h"
#include "util/onnx_builder.h"

namespace ez::quant {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// |v - DQ(Q(v))| of a per-tensor 8-bit quantizer.
double rounding_error(float v, const QuantParams& p, ActType act) { return std::fabs(v - fake_quantize(v, p, act)); }

TEST(QuantFillAlign, EachEqualizedChannelConstantLandsOnALevel) {
  TensorReport tr;
  tr.params = {0.1f, 10};
  tr.range = {-1.0f, 24.5f};
  tr.channel_scale = {1.5f, 2.0f, 1.0f, 3.0f};
  // Channel 1 is no plateau; channel 2's constant rounds to the zero point (already exact there);
  // channel 3's lies beyond the top level (scaled: 30 / 0.1 + 10 > 255).
  const std::vector<float> values = {0.537f, kNaN, 0.02f, 10.0f};
  EXPECT_EQ(align_channel_scales(&tr, values, ActType::kUInt8Asymmetric), 1);
  EXPECT_FLOAT_EQ(tr.channel_scale[1], 2.0f);
  EXPECT_FLOAT_EQ(tr.channel_scale[2], 1.0f);
  EXPECT_FLOAT_EQ(tr.channel_scale[3], 3.0f);
  // Channel 0: 0.537 * 1.5 / 0.1 = 8.055 -> 8 levels, so its scale becomes 1.5 * 8 / 8.055.
  EXPECT_NEAR(tr.channel_scale[0], 1.5 * 8 / 8.055, 1e-6);
  const float scaled = values[0] * tr.channel_scale[0];
  EXPECT_LT(rounding_error(scaled, tr.params, ActType::kUInt8Asymmetric), 1e-6);
  EXPECT_EQ(align_channel_scales(&tr, {1.0f}, ActType::kUInt8Asymmetric), 0);  // channel count mismatch
  // Scale 1 and a constant at 5.37 levels: 5 levels would need s < 1, so it goes up to 6.
  TensorReport floor1;
  floor1.params = {0.1f, 10};
  floor1.channel_scale = {1.0f};
  EXPECT_EQ(align_channel_scales(&floor1, {0.537f}, ActType::kUInt8Asymmetric), 1);
  EXPECT_NEAR(floor1.channel_scale[0], 6 / 5.37, 1e-6);
}

TEST(QuantFillAlign, PerTensorScaleMovesLittleAndRoundsTheConstantsBetter) {
  TensorReport tr;
  tr.params = {0.05f, 20};
  tr.range = {-1.0f, 11.75f};
  // Levels 7, 24 and 41 of the scale 0.05 * 1.006 (within the slack), and a channel that is no plateau.
  const float s = 0.05f * 1.006f;
  const std::vector<float> values = {7 * s, 24 * s, 41 * s, kNaN};
  double before = 0;
  for (size_t i = 0; i < 3; ++i) before += std::pow(rounding_error(values[i], tr.params, ActType::kUInt8Asymmetric), 2);
  ASSERT_TRUE(align_tensor_scale(&tr, values, ActType::kUInt8Asymmetric));
  double after = 0;
  for (size_t i = 0; i < 3; ++i) after += std::pow(rounding_error(values[i], tr.params, ActType::kUInt8Asymmetric), 2);
  EXPECT_LT(after, 0.01 * before);
  EXPECT_EQ(tr.params.zero_point, 20);
  EXPECT_LE(std::fabs(tr.params.scale / 0.05 - 1), kFillScaleSlack + 1e-6);
  // The range is the grid's: levels 0 and 255.
  EXPECT_NEAR(tr.range.lo, -20 * tr.params.scale, 1e-6);
  EXPECT_NEAR(tr.range.hi, 235 * tr.params.scale, 1e-5);

  TensorReport on_levels;
  on_levels.params = {0.05f, 0};
  on_levels.range = {0, 12.75f};
  EXPECT_FALSE(align_tensor_scale(&on_levels, {0.5f, 1.0f, kNaN}, ActType::kUInt8Asymmetric));  // exact already
  EXPECT_FLOAT_EQ(on_levels.params.scale, 0.05f);
}

// x[1,2,8,8] -> 1x1 Conv to 3 channels -> Relu -> y -> depthwise 3x3 Conv (pad 1) -> out.
test::OnnxBuilder small_model() {
  test::OnnxBuilder b;
  b.input("x", {1, 2, 8, 8});
  b.initializer("w1", {3, 2, 1, 1}, {0.8f, 0.3f, -0.5f, 0.2f, 1.7f, -0.4f});
  b.initializer("b1", {3}, {0.1f, 0.05f, 0.02f});
  b.initializer("w2", {3, 1, 3, 3}, std::vector<float>(27, 0.25f));
  b.initializer("b2", {3}, {0, 0, 0});
  b.node("Conv", {"x", "w1", "b1"}, {"c1"}, "pw");
  b.node("Relu", {"c1"}, {"y"}, "relu");
  auto& d = b.node("Conv", {"y", "w2", "b2"}, {"out"}, "dw");
  auto* pads = d.add_attribute();
  pads->set_name("pads");
  pads->set_type(onnx::AttributeProto::INTS);
  for (int i = 0; i < 4; ++i) pads->add_ints(1);
  auto* g = d.add_attribute();
  g->set_name("group");
  g->set_type(onnx::AttributeProto::INT);
  g->set_i(3);
  b.output("out");
  return b;
}

FillInput constant_input(float value) {
  return [value](const IOInfo& in) -> Result<Tensor> {
    Tensor t = Tensor::zeros(DType::kFloat32, in.desc.shape);
    std::fill(t.data<float>(), t.data<float>() + t.numel(), value);
    return t;
  };
}

TEST(QuantFillAlign, PlateausOfAConstantInput) {
  test::TempDir dir;
  std::ofstream(dir.file("model.onnx"), std::ios::binary) << small_model().bytes();
  auto p = fill_plateaus(dir.file("model.onnx"), {"y", "out", "nowhere"}, constant_input(0.5f), {});
  ASSERT_TRUE(p.ok()) << p.status().to_string();
  ASSERT_EQ(p->count("y"), 1u);
  const std::vector<float>& y = p->at("y");
  ASSERT_EQ(y.size(), 3u);
  EXPECT_NEAR(y[0], 0.8f * 0.5f + 0.3f * 0.5f + 0.1f, 1e-6);  // relu(0.65)
  EXPECT_NEAR(y[1], 0.0f, 1e-6);                              // relu(-0.1)
  EXPECT_NEAR(y[2], 1.7f * 0.5f - 0.4f * 0.5f + 0.02f, 1e-6);
  // The depthwise output is constant inside (9 * 0.25 * y), not on its zero-padded border.
  ASSERT_EQ(p->count("out"), 1u);
  EXPECT_NEAR(p->at("out")[0], 2.25f * y[0], 1e-5);
  EXPECT_EQ(p->count("nowhere"), 0u);
}

TEST(QuantFillAlign, CalibrationPutsTheFillOnTheLevels) {
  test::TempDir dir;
  std::ofstream(dir.file("model.onnx"), std::ios::binary) << small_model().bytes();
  const DatasetList list = test::random_npy_list(dir, {1, 2, 8, 8}, 3);
  QuantizeOptions o;
  o.bias_correction = false;
  auto plain = calibrate_model(dir.file("model.onnx"), list, test::load_npy, o);
  o.fill_input = constant_input(0.5f);
  auto aligned = calibrate_model(dir.file("model.onnx"), list, test::load_npy, o);
  ASSERT_TRUE(plain.ok() && aligned.ok()) << aligned.status().to_string();
  EXPECT_EQ(plain->report.fill_aligned, 0);
  EXPECT_GE(aligned->report.fill_aligned, 1);
  auto plateaus = fill_plateaus(dir.file("model.onnx"), {"y"}, constant_input(0.5f), {});
  ASSERT_TRUE(plateaus.ok());
  const TensorReport& y = aligned->ranges.at("y");
  const TensorReport& y0 = plain->ranges.at("y");
  double err = 0, err0 = 0;
  for (size_t c = 0; c < 3; ++c) {
    const float v = plateaus->at("y")[c];
    const float s = y.channel_scale.empty() ? 1.0f : y.channel_scale[c];
    const float s0 = y0.channel_scale.empty() ? 1.0f : y0.channel_scale[c];
    err += rounding_error(v * s, y.params, ActType::kUInt8Asymmetric) / s;
    err0 += rounding_error(v * s0, y0.params, ActType::kUInt8Asymmetric) / s0;
  }
  EXPECT_LT(err, err0);
  // The quantized model still builds and counts the same nodes.
  auto q = build_qdq_model(*aligned);
  ASSERT_TRUE(q.ok()) << q.status().to_string();
  EXPECT_EQ(q->report.nodes, 2);
}

TEST(QuantFillAlign, AnInputThatIsNoPictureSkipsItWithANote) {
  test::TempDir dir;
  std::ofstream(dir.file("model.onnx"), std::ios::binary) << small_model().bytes();
  const DatasetList list = test::random_npy_list(dir, {1, 2, 8, 8}, 2);
  QuantizeOptions o;
  o.fill_input = [](const IOInfo& in) -> Result<Tensor> { return unsupported("input '" + in.name + "' is not an image"); };
  auto c = calibrate_model(dir.file("model.onnx"), list, test::load_npy, o);
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(c->report.fill_aligned, 0);
  bool noted = false;
  for (const std::string& n : c->report.notes) noted |= n.find("no fill alignment") != std::string::npos && n.find("'x'") != std::string::npos;
  EXPECT_TRUE(noted);
}

}  // namespace
}  // namespace ez::quant
