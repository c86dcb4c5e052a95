// Bias correction (src/quant/bias_correction): the predicted output shift against the shift the
// quantized layer really has on sample data.
#include <gtest/gtest.h>

#include <random>

#include "onnx/onnx_pb.h"
#include "quant/bias_correction.h"
#include "quant/weight_quant.h"

namespace ez::quant {
namespace {

Tensor random_tensor(const Shape& shape, uint32_t seed, float mean, float sd) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(mean, sd);
  Tensor t = Tensor::zeros(DType::kFloat32, shape);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = d(rng);
  return t;
}

// Samples x[s][c] and a coarse quantization of them with a clip (a mean shift per channel).
struct Inputs {
  std::vector<std::vector<float>> x, xq;
  ChannelErrorStats stats;
};
Inputs sample_inputs(int64_t channels, int samples, uint32_t seed) {
  std::mt19937 rng(seed);
  Inputs in;
  in.stats.mean.assign(channels, 0.0);
  in.stats.error.assign(channels, 0.0);
  for (int s = 0; s < samples; ++s) {
    std::vector<float> x(channels), q(channels);
    for (int64_t c = 0; c < channels; ++c) {
      std::normal_distribution<float> d(0.3f * static_cast<float>(c), 1.0f);
      x[c] = d(rng);
      q[c] = std::min(1.5f, std::nearbyint(x[c] * 4) / 4);  // step 0.25, clipped at 1.5
      in.stats.mean[c] += x[c] / samples;
      in.stats.error[c] += (q[c] - x[c]) / samples;
    }
    in.x.push_back(x);
    in.xq.push_back(q);
  }
  return in;
}

Tensor dequantized(const Tensor& w, int axis) {
  auto q = quantize_weight(w, axis);
  EXPECT_TRUE(q.ok());
  return dequantize_weight(q->values, q->scales, axis);
}

TEST(QuantBiasCorrection, GroupedConvShiftIsTheMeanOutputDifference) {
  // 1x1 convolution (no padding, so the prediction is exact) with 2 groups: 6 inputs, 4 outputs.
  const int64_t cin = 6, cout = 4, group = 2, per_group = cin / group;
  const Tensor w = random_tensor({cout, per_group, 1, 1}, 11, 0.0f, 0.7f);
  const Tensor wq = dequantized(w, 0);
  const Inputs in = sample_inputs(cin, 500, 5);
  const std::vector<double> shift = conv_output_shift(w, wq, group, in.stats);
  ASSERT_EQ(shift.size(), static_cast<size_t>(cout));
  for (int64_t o = 0; o < cout; ++o) {
    const int64_t first = (o / (cout / group)) * per_group;
    double want = 0;
    for (size_t s = 0; s < in.x.size(); ++s)
      for (int64_t j = 0; j < per_group; ++j) {
        const int64_t i = o * per_group + j;
        want += static_cast<double>(wq.data<float>()[i]) * in.xq[s][first + j] - static_cast<double>(w.data<float>()[i]) * in.x[s][first + j];
      }
    want /= static_cast<double>(in.x.size());
    EXPECT_NEAR(shift[o], want, 1e-5) << "output channel " << o;
  }
  EXPECT_TRUE(conv_output_shift(w, wq, 4, in.stats).empty());  // 4 groups do not fit 6 channels of 3
}

TEST(QuantBiasCorrection, GemmShiftBothLayouts) {
  const int64_t k = 5, n = 3;
  const Tensor b = random_tensor({k, n}, 12, 0.0f, 0.5f);
  const Tensor bq = dequantized(b, 1);
  const Inputs in = sample_inputs(k, 300, 6);
  const std::vector<double> shift = gemm_output_shift(b, bq, false, in.stats);
  ASSERT_EQ(shift.size(), static_cast<size_t>(n));
  // The same weight transposed ([N, K], transB = 1) predicts the same.
  Tensor bt = Tensor::zeros(DType::kFloat32, {n, k}), bqt = Tensor::zeros(DType::kFloat32, {n, k});
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < n; ++j) {
      bt.data<float>()[j * k + i] = b.data<float>()[i * n + j];
      bqt.data<float>()[j * k + i] = bq.data<float>()[i * n + j];
    }
  const std::vector<double> shift_t = gemm_output_shift(bt, bqt, true, in.stats);
  for (int64_t j = 0; j < n; ++j) {
    double want = 0;
    for (size_t s = 0; s < in.x.size(); ++s)
      for (int64_t i = 0; i < k; ++i)
        want += static_cast<double>(bq.data<float>()[i * n + j]) * in.xq[s][i] - static_cast<double>(b.data<float>()[i * n + j]) * in.x[s][i];
    want /= static_cast<double>(in.x.size());
    EXPECT_NEAR(shift[j], want, 1e-5);
    EXPECT_NEAR(shift_t[j], want, 1e-5);
  }
}

onnx::NodeProto node_of(const std::string& op, std::vector<std::pair<std::string, double>> attrs) {
  onnx::NodeProto n;
  n.set_op_type(op);
  for (const auto& kv : attrs) {
    auto* a = n.add_attribute();
    a->set_name(kv.first);
    if (kv.first == "alpha" || kv.first == "beta") {
      a->set_type(onnx::AttributeProto::FLOAT);
      a->set_f(static_cast<float>(kv.second));
    } else {
      a->set_type(onnx::AttributeProto::INT);
      a->set_i(static_cast<int64_t>(kv.second));
    }
  }
  return n;
}

TEST(QuantBiasCorrection, CorrectedBiasPerNodeKind) {
  const Tensor w = random_tensor({2, 3, 3, 3}, 13, 0.0f, 0.4f);
  const Tensor wq = dequantized(w, 0);
  const Inputs in = sample_inputs(3, 200, 7);
  Tensor bias = Tensor::zeros(DType::kFloat32, {2});
  bias.data<float>()[0] = 1.0f;
  bias.data<float>()[1] = -2.0f;
  const std::vector<double> shift = conv_output_shift(w, wq, 1, in.stats);
  auto conv = corrected_bias(node_of("Conv", {}), &bias, w, wq, in.stats);
  ASSERT_TRUE(conv.has_value());
  EXPECT_NEAR(conv->data<float>()[0], 1.0 - shift[0], 1e-6);
  EXPECT_NEAR(conv->data<float>()[1], -2.0 - shift[1], 1e-6);
  auto no_bias = corrected_bias(node_of("Conv", {}), nullptr, w, wq, in.stats);
  ASSERT_TRUE(no_bias.has_value());
  EXPECT_NEAR(no_bias->data<float>()[1], -shift[1], 1e-6);
  EXPECT_FALSE(corrected_bias(node_of("ConvTranspose", {}), &bias, w, wq, in.stats).has_value());
  Tensor wrong = Tensor::zeros(DType::kFloat32, {3});
  EXPECT_FALSE(corrected_bias(node_of("Conv", {}), &wrong, w, wq, in.stats).has_value());

  // Gemm Y = alpha A B + beta C: C moves by alpha * shift / beta; transA is not handled.
  const Tensor b = random_tensor({3, 2}, 14, 0.0f, 0.5f);
  const Tensor bq = dequantized(b, 1);
  const std::vector<double> gs = gemm_output_shift(b, bq, false, in.stats);
  auto gemm = corrected_bias(node_of("Gemm", {{"alpha", 2.0}, {"beta", 0.5}}), &bias, b, bq, in.stats);
  ASSERT_TRUE(gemm.has_value());
  EXPECT_NEAR(gemm->data<float>()[0], 1.0 - 2.0 * gs[0] / 0.5, 1e-5);
  EXPECT_FALSE(corrected_bias(node_of("Gemm", {{"transA", 1}}), &bias, b, bq, in.stats).has_value());
}

TEST(QuantBiasCorrection, DequantizeWeightInvertsQuantizeWithinHalfAStep) {
  const Tensor w = random_tensor({3, 4, 2}, 15, 0.0f, 1.0f);
  for (int axis : {-1, 0, 1}) {
    auto q = quantize_weight(w, axis);
    ASSERT_TRUE(q.ok());
    const Tensor d = dequantize_weight(q->values, q->scales, axis);
    const int64_t inner = axis == 0 ? 8 : 2;
    for (int64_t i = 0; i < w.numel(); ++i) {
      const float s = axis < 0 ? q->scales[0] : q->scales[(i / inner) % (axis == 0 ? 3 : 4)];
      EXPECT_LE(std::fabs(d.data<float>()[i] - w.data<float>()[i]), 0.5f * s + 1e-7f);
    }
  }
}

}  // namespace
}  // namespace ez::quant
