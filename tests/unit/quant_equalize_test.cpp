// Per-channel equalization of depthwise inputs and the grid error it is searched with (src/quant).
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "quant/channel_equalize.h"
#include "quant/grid_mse.h"
#include "quant/quant_error.h"

namespace ez::quant {
namespace {

TensorHistogram histogram_of(const std::vector<float>& v, int bins = 1024) {
  TensorHistogram h(bins);
  h.add(v.data(), static_cast<int64_t>(v.size()));
  return h;
}

// The same sum computed value by value at the bin centres (what GridMse approximates values by).
double brute_force(const TensorHistogram& h, double step, int z, int qmin, int qmax) {
  const double lo = (qmin - z) * step, hi = (qmax - z) * step;
  double e = 0;
  for (size_t i = 0; i < h.bins().size(); ++i) {
    const double x = -h.range() + (static_cast<double>(i) + 0.5) * h.bin_width();
    const double d = x > hi ? x - hi : (x < lo ? lo - x : 0.0);
    e += h.bins()[i] * (d != 0 ? d * d : step * step / 12);
  }
  return e - static_cast<double>(h.zeros()) * step * step / 12;  // exact zeros cost nothing
}

TEST(QuantGridMse, MatchesValueByValueSums) {
  std::mt19937 rng(3);
  std::normal_distribution<float> d(0.5f, 2.0f);
  std::vector<float> v(5000);
  for (float& x : v) x = d(rng);
  for (int i = 0; i < 300; ++i) v[i] = 0.0f;
  const TensorHistogram h = histogram_of(v);
  EXPECT_EQ(h.zeros(), 300);
  const GridMse m(h);
  for (double step : {0.001, 0.01, 0.03, 0.2})
    for (int z : {0, 17, 128, 255}) EXPECT_NEAR(m.error(step, z, 0, 255), brute_force(h, step, z, 0, 255), 1e-6 * (1 + brute_force(h, step, z, 0, 255)));
  EXPECT_NEAR(m.error(0.05, 0, -128, 127), brute_force(h, 0.05, 0, -128, 127), 1e-6 * brute_force(h, 0.05, 0, -128, 127));
  // A grid that covers everything costs only the rounding noise of the non-zero values.
  EXPECT_NEAR(m.error(1.0, 128, 0, 255), (5000 - 300) / 12.0, 1e-9);
}

TEST(QuantGridMse, EmptyAndAllZeros) {
  TensorHistogram empty(64);
  EXPECT_EQ(GridMse(empty).error(0.1, 0, 0, 255), 0.0);
  const TensorHistogram zeros = histogram_of({0, 0, 0, 0}, 64);
  EXPECT_EQ(GridMse(zeros).error(0.1, 3, 0, 255), 0.0);
}

TEST(QuantHistogram, FewerBinsAndZeroCount) {
  TensorHistogram h(100);
  const float v[] = {0.0f, 1.0f, -0.5f, 0.0f, NAN};
  h.add(v, 5);
  EXPECT_EQ(h.bin_count(), 100);
  EXPECT_EQ(h.bins().size(), 100u);
  EXPECT_EQ(h.abs_bins().size(), 50u);
  EXPECT_EQ(h.zeros(), 2);
  EXPECT_EQ(h.count(), 4);
  EXPECT_DOUBLE_EQ(h.bin_width(), 0.02);
}

// Two channels, as yolox_nano's Conv_44 reads them: a wide one the weights hardly use and a
// narrow one they multiply by 20.
std::vector<TensorHistogram> wide_and_narrow() {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> wide(-0.2f, 120.0f), narrow(-0.2f, 0.15f);
  std::vector<float> a(20000), b(20000);
  for (float& x : a) x = wide(rng);
  for (float& x : b) x = narrow(rng);
  return {histogram_of(a), histogram_of(b)};
}

TEST(QuantEqualize, GivesTheNarrowChannelItsOwnStep) {
  const std::vector<TensorHistogram> ch = wide_and_narrow();
  const std::vector<double> importance = {0.05 * 0.05, 20.0 * 20.0};
  const QuantParams per_tensor = activation_params({-0.2f, 120.0f}, ActType::kUInt8Asymmetric);
  const ChannelEqualization eq = equalize_channels(ch, importance, ActType::kUInt8Asymmetric, per_tensor);
  ASSERT_EQ(eq.scale.size(), 2u);
  EXPECT_FLOAT_EQ(eq.scale[0], 1.0f);  // the widest step is the tensor's
  // The narrow channel spans 0.35 against 120.2: some 340 times the levels (more or less as the
  // shared zero point, which suits the wide channel, lets its negative side fit).
  EXPECT_GT(eq.scale[1], 200.0f);
  EXPECT_LT(eq.scale[1], 700.0f);
  EXPECT_TRUE(eq.worthwhile());
  EXPECT_LT(eq.error_after, 0.01 * eq.error_before);
  EXPECT_GE(eq.params.zero_point, 0);
  EXPECT_LE(eq.params.zero_point, 255);
  // Both channels, scaled, fit the written grid.
  for (size_t c = 0; c < 2; ++c) {
    const double step = eq.params.scale / eq.scale[c];
    EXPECT_GE(ch[c].max(), 0.0f);
    EXPECT_LE(ch[c].max(), (255 - eq.params.zero_point) * step * 1.01);
    EXPECT_GE(ch[c].min(), -eq.params.zero_point * step * 1.01);
  }
}

TEST(QuantEqualize, SymmetricKeepsZeroPointZeroAndAlikeChannelsAreNotWorthIt) {
  const std::vector<TensorHistogram> ch = wide_and_narrow();
  const ChannelEqualization sym =
      equalize_channels(ch, {1.0, 1.0}, ActType::kInt8Symmetric, activation_params({-0.2f, 120.0f}, ActType::kInt8Symmetric));
  EXPECT_EQ(sym.params.zero_point, 0);
  EXPECT_GT(sym.scale[1], 100.0f);
  // Channels with the same distribution gain nothing worth a Mul node.
  std::mt19937 rng(9);
  std::uniform_real_distribution<float> u(0.0f, 4.0f);
  std::vector<float> a(10000), b(10000);
  for (float& x : a) x = u(rng);
  for (float& x : b) x = u(rng);
  const ChannelEqualization same = equalize_channels({histogram_of(a), histogram_of(b)}, {1.0, 1.0}, ActType::kUInt8Asymmetric,
                                                     activation_params({0.0f, 4.0f}, ActType::kUInt8Asymmetric));
  EXPECT_FALSE(same.worthwhile());
}

TEST(QuantEqualize, ChannelWithoutDataKeepsScaleOne) {
  std::vector<TensorHistogram> ch = wide_and_narrow();
  ch.push_back(histogram_of({0, 0, 0}));
  ch.emplace_back(64);  // never saw a value
  const ChannelEqualization eq = equalize_channels(ch, {1, 1, 1, 1}, ActType::kUInt8Asymmetric,
                                                   activation_params({-0.2f, 120.0f}, ActType::kUInt8Asymmetric));
  ASSERT_EQ(eq.scale.size(), 4u);
  EXPECT_EQ(eq.scale[2], 1.0f);
  EXPECT_EQ(eq.scale[3], 1.0f);
  for (float s : eq.scale) EXPECT_LE(s, kMaxChannelScale);
}

TEST(QuantEqualize, DepthwiseImportanceAndWeightScaling) {
  // Depthwise with multiplier 2: output channels 0,1 read input 0; 2,3 read input 1. Kernel 1x2.
  Tensor w = Tensor::zeros(DType::kFloat32, {4, 1, 1, 2});
  const float v[] = {1, 2, 0, 1, 3, 0, 0, 4};
  std::copy(v, v + 8, w.data<float>());
  const std::vector<double> g = depthwise_importance(w, 2);
  ASSERT_EQ(g.size(), 2u);
  EXPECT_DOUBLE_EQ(g[0], (1 + 4 + 0 + 1) / 4.0);
  EXPECT_DOUBLE_EQ(g[1], (9 + 0 + 0 + 16) / 4.0);
  EXPECT_TRUE(depthwise_importance(w, 3).empty());  // 4 outputs do not split over 3 channels
  Tensor full = Tensor::zeros(DType::kFloat32, {4, 2, 1, 1});
  EXPECT_TRUE(depthwise_importance(full, 2).empty());

  auto scaled = scale_depthwise_weight(w, {2.0f, 4.0f});
  ASSERT_TRUE(scaled.has_value());
  const float want[] = {0.5f, 1, 0, 0.5f, 0.75f, 0, 0, 1};
  for (int i = 0; i < 8; ++i) EXPECT_FLOAT_EQ(scaled->data<float>()[i], want[i]);
  EXPECT_FALSE(scale_depthwise_weight(w, {1.0f, 1.0f, 1.0f}).has_value());
}

TEST(QuantError, FakeQuantizeRoundsHalfToEvenAndSaturates) {
  const QuantParams p{0.5f, 10};
  EXPECT_EQ(fake_quantize(0.25f, p, ActType::kUInt8Asymmetric), 0.0f);   // 0.5 steps -> 0 (even)
  EXPECT_EQ(fake_quantize(0.75f, p, ActType::kUInt8Asymmetric), 1.0f);   // 1.5 -> 2 steps
  EXPECT_EQ(fake_quantize(-100.0f, p, ActType::kUInt8Asymmetric), -5.0f);  // q = 0
  EXPECT_EQ(fake_quantize(1000.0f, p, ActType::kUInt8Asymmetric), 122.5f);  // q = 255
  const QuantParams s{0.5f, 0};
  EXPECT_EQ(fake_quantize(-1000.0f, s, ActType::kInt8Symmetric), -64.0f);
  EXPECT_EQ(fake_quantize(1000.0f, s, ActType::kInt8Symmetric), 63.5f);
}

}  // namespace
}  // namespace ez::quant
