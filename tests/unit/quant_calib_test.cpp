// Calibration statistics, range algorithms and weight quantization (src/quant).
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "quant/calib_range.h"
#include "quant/histogram.h"
#include "quant/weight_quant.h"

namespace ez::quant {
namespace {

double total(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s;
}

TEST(QuantHistogram, MinMaxExactAndCountsKeptWhenRangeGrows) {
  TensorHistogram h;
  const float a[] = {0.5f, -0.25f, 0.0f};
  const float b[] = {3.0f, -100.5f, NAN, INFINITY};
  h.add(a, 3);
  EXPECT_DOUBLE_EQ(h.range(), 0.5);
  h.add(b, 4);
  EXPECT_EQ(h.count(), 5);
  EXPECT_EQ(h.non_finite(), 2);
  EXPECT_EQ(h.min(), -100.5f);
  EXPECT_EQ(h.max(), 3.0f);
  EXPECT_DOUBLE_EQ(h.range(), 128.0);  // 0.5 doubled until >= 100.5
  EXPECT_DOUBLE_EQ(total(h.bins()), 5.0);
  EXPECT_DOUBLE_EQ(total(h.abs_bins()), 5.0);
}

TEST(QuantHistogram, RebinningIsExact) {
  // Interior values binned at range 1 then merged into range 4 land where binning at range 4 puts them.
  const std::vector<float> first = {0.3f, -0.7f, 0.01f, -1.0f, 0.5f};  // absmax 1 at the lower edge
  const std::vector<float> second = {4.0f, -2.2f, 1.7f};
  TensorHistogram grown, direct;
  grown.add(first.data(), 5);
  grown.add(second.data(), 3);
  std::vector<float> all = second;
  all.insert(all.end(), first.begin(), first.end());
  direct.add(all.data(), static_cast<int64_t>(all.size()));
  ASSERT_DOUBLE_EQ(grown.range(), 4.0);
  ASSERT_DOUBLE_EQ(direct.range(), 4.0);
  EXPECT_EQ(grown.bins(), direct.bins());
}

TEST(QuantHistogram, AllZeros) {
  TensorHistogram h;
  const float z[4] = {0, 0, 0, 0};
  h.add(z, 4);
  const Range r = choose_range(h, {CalibAlgo::kKL});
  EXPECT_EQ(r.lo, 0.0f);
  EXPECT_EQ(r.hi, 0.0f);
  EXPECT_EQ(activation_params(r, ActType::kUInt8Asymmetric).scale, 1.0f);
  const float one = 2.0f;
  h.add(&one, 1);  // the zeros seen before any range are kept
  EXPECT_DOUBLE_EQ(h.abs_bins()[0], 4.0);
  EXPECT_EQ(h.count(), 5);
}

TEST(QuantRange, MinMaxIsExact) {
  TensorHistogram h;
  const float x[] = {-1.25f, 0.1f, 7.75f, 3.0f};
  h.add(x, 4);
  for (ActType act : {ActType::kUInt8Asymmetric, ActType::kInt8Symmetric}) {
    const Range r = choose_range(h, {CalibAlgo::kMinMax, 99.99, act});
    EXPECT_EQ(r.lo, -1.25f);
    EXPECT_EQ(r.hi, 7.75f);
  }
}

TEST(QuantRange, Percentile) {
  // 0, 1, ..., 9999 (/1000): the 99th percentile is 9.9, the 1st is 0.1 (within a bin, 10/2048).
  std::vector<float> x(10000);
  for (int i = 0; i < 10000; ++i) x[i] = i / 1000.0f;
  TensorHistogram h;
  h.add(x.data(), 10000);
  const double w = h.bin_width();
  Range r = choose_range(h, {CalibAlgo::kPercentile, 99.0, ActType::kUInt8Asymmetric});
  EXPECT_NEAR(r.hi, 9.9, w);
  EXPECT_NEAR(r.lo, 0.1, w);
  r = choose_range(h, {CalibAlgo::kPercentile, 99.0, ActType::kInt8Symmetric});
  EXPECT_NEAR(r.hi, 9.9, w);
  EXPECT_EQ(r.lo, 0.0f);  // never below the data's min
  r = choose_range(h, {CalibAlgo::kPercentile, 100.0, ActType::kUInt8Asymmetric});
  EXPECT_EQ(r.hi, x.back());
  EXPECT_EQ(r.lo, 0.0f);
}

// Laplace(0, 1) samples (fixed seed) plus a few far outliers: a long tail.
TensorHistogram long_tailed() {
  std::mt19937 rng(42);
  std::exponential_distribution<float> e(1.0f);
  std::bernoulli_distribution sign(0.5);
  std::vector<float> x(200000);
  for (float& v : x) v = sign(rng) ? e(rng) : -e(rng);
  x[0] = 60.0f;
  x[1] = -45.0f;
  TensorHistogram h;
  h.add(x.data(), static_cast<int64_t>(x.size()));
  return h;
}

TEST(QuantRange, KLClipsTheLongTail) {
  const TensorHistogram h = long_tailed();
  for (ActType act : {ActType::kUInt8Asymmetric, ActType::kInt8Symmetric}) {
    const Range r = choose_range(h, {CalibAlgo::kKL, 99.99, act});
    EXPECT_GE(r.lo, h.min());
    EXPECT_LE(r.hi, h.max());
    EXPECT_LT(r.hi, 0.5f * h.max());  // well below the outlier
    EXPECT_GT(r.hi, 3.0f);            // but keeps the bulk (|x| > 3 has probability 5%)
    EXPECT_LT(r.lo, -3.0f);
  }
}

TEST(QuantRange, KLThresholdKeepsADistributionThatFits) {
  std::vector<double> bins(2048, 0.0);
  for (int j = 0; j < 100; ++j) bins[j] = 10;  // fits in 128 levels: no clipping
  EXPECT_DOUBLE_EQ(kl_threshold(bins, 0.5), 50.0);
}

TEST(QuantRange, MSEClipsTheLongTail) {
  const TensorHistogram h = long_tailed();
  for (ActType act : {ActType::kUInt8Asymmetric, ActType::kInt8Symmetric}) {
    const double f = mse_fraction(h, act);
    // Two far outliers among 200k values: clipping them costs (60 - T)^2 once, rounding noise
    // costs 200k * s^2 / 12, so the optimum clips, though less than KL does.
    EXPECT_GT(f, 0.0);
    EXPECT_LT(f, 0.8);
    const Range r = choose_range(h, {CalibAlgo::kMSE, 99.99, act});
    EXPECT_GE(r.lo, h.min());
    EXPECT_LE(r.hi, h.max());
    EXPECT_LT(r.hi, 0.8f * h.max());
    EXPECT_GT(r.hi, 3.0f);
  }
}

TEST(QuantRange, MSEKeepsAUniformRange) {
  // Uniform data has no tail: clipping only adds error, so the full range (or nearly) is best.
  std::vector<float> x(20001);
  for (int i = 0; i <= 20000; ++i) x[i] = i / 10000.0f - 1.0f;
  TensorHistogram h;
  h.add(x.data(), static_cast<int64_t>(x.size()));
  EXPECT_GE(mse_fraction(h, ActType::kInt8Symmetric), 0.97);
}

TEST(QuantRange, ActivationParams) {
  QuantParams p = activation_params({-1.0f, 3.0f}, ActType::kUInt8Asymmetric);
  EXPECT_FLOAT_EQ(p.scale, 4.0f / 255.0f);
  EXPECT_EQ(p.zero_point, 64);  // round(1 / (4/255)) = round(63.75)
  p = activation_params({0.5f, 2.0f}, ActType::kUInt8Asymmetric);  // widened to include 0
  EXPECT_FLOAT_EQ(p.scale, 2.0f / 255.0f);
  EXPECT_EQ(p.zero_point, 0);
  p = activation_params({-1.0f, 3.0f}, ActType::kInt8Symmetric);
  EXPECT_FLOAT_EQ(p.scale, 3.0f / 127.0f);
  EXPECT_EQ(p.zero_point, 0);
  p = activation_params({-5.0f, -1.0f}, ActType::kUInt8Asymmetric);
  EXPECT_EQ(p.zero_point, 255);
}

TEST(QuantRange, ParseAlgo) {
  EXPECT_EQ(*parse_calib_algo("kl"), CalibAlgo::kKL);
  EXPECT_EQ(*parse_calib_algo("mse"), CalibAlgo::kMSE);
  EXPECT_FALSE(parse_calib_algo("median").ok());
}

Tensor random_weight(Shape shape, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> n(0.0f, 1.0f);
  Tensor w = Tensor::zeros(DType::kFloat32, shape);
  for (int64_t i = 0; i < w.numel(); ++i) w.data<float>()[i] = n(rng) * (1 + i % 7);
  return w;
}

void expect_round_trip(const Tensor& w, const QuantizedTensor& q, int64_t channels, int64_t inner) {
  ASSERT_EQ(q.values.dtype(), DType::kInt8);
  ASSERT_EQ(q.values.shape(), w.shape());
  ASSERT_EQ(static_cast<int64_t>(q.scales.size()), channels);
  for (int64_t i = 0; i < w.numel(); ++i) {
    const float s = q.scales[(i / inner) % channels];
    const int8_t v = q.values.data<int8_t>()[i];
    ASSERT_GE(v, -127);
    EXPECT_LE(std::fabs(v * s - w.data<float>()[i]), s / 2 * (1 + 1e-5)) << "element " << i;
  }
}

TEST(QuantWeights, PerChannelRoundTripWithinHalfAStep) {
  const Tensor w = random_weight({5, 3, 3, 3}, 1);
  auto q = quantize_weight(w, 0);
  ASSERT_TRUE(q.ok());
  expect_round_trip(w, *q, 5, 27);
  // Each channel's largest |w| maps to +-127.
  for (int c = 0; c < 5; ++c) {
    int m = 0;
    for (int i = 0; i < 27; ++i) m = std::max(m, std::abs(static_cast<int>(q->values.data<int8_t>()[c * 27 + i])));
    EXPECT_EQ(m, 127);
  }
  const Tensor wt = random_weight({4, 6, 2, 2}, 2);  // ConvTranspose / MatMul-style axis 1
  auto q1 = quantize_weight(wt, 1);
  ASSERT_TRUE(q1.ok());
  expect_round_trip(wt, *q1, 6, 4);
  auto qt = quantize_weight(wt, -1);
  ASSERT_TRUE(qt.ok());
  expect_round_trip(wt, *qt, 1, wt.numel());
}

TEST(QuantWeights, ZeroChannelAndErrors) {
  Tensor w = Tensor::zeros(DType::kFloat32, {2, 3});
  w.data<float>()[3] = -0.5f;
  auto q = quantize_weight(w, 0);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->scales[0], 1.0f);
  EXPECT_FLOAT_EQ(q->scales[1], 0.5f / 127);
  EXPECT_EQ(q->values.data<int8_t>()[3], -127);
  EXPECT_FALSE(quantize_weight(w, 2).ok());
  EXPECT_FALSE(quantize_weight(Tensor::zeros(DType::kInt64, {2}), 0).ok());
}

TEST(QuantWeights, Bias) {
  Tensor b = Tensor::zeros(DType::kFloat32, {4});
  const float v[] = {1.0f, -0.3f, 0.0f, 1e12f};
  std::copy(v, v + 4, b.data<float>());
  auto q = quantize_bias(b, 0.5f, {0.1f, 0.2f});  // per group of 2 (ConvTranspose style)
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->axis, 0);
  ASSERT_EQ(q->scales.size(), 4u);
  EXPECT_FLOAT_EQ(q->scales[1], 0.1f);
  EXPECT_FLOAT_EQ(q->scales[2], 0.05f);
  EXPECT_EQ(q->values.data<int32_t>()[0], 20);
  EXPECT_EQ(q->values.data<int32_t>()[1], -3);
  EXPECT_EQ(q->values.data<int32_t>()[2], 0);
  EXPECT_EQ(q->values.data<int32_t>()[3], 2147483647);  // saturates
  auto pt = quantize_bias(b, 0.5f, {0.1f});
  ASSERT_TRUE(pt.ok());
  EXPECT_EQ(pt->axis, -1);
  EXPECT_EQ(pt->scales.size(), 1u);
}

}  // namespace
}  // namespace ez::quant
