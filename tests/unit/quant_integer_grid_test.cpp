// Integer-valued tensors (pixels) that 256 levels hold are quantized exactly, whatever the
// algorithm (src/quant/calib_range: exact_integer_params).
#include <gtest/gtest.h>

#include <fstream>

#include "core/npy.h"
#include "quant/calib_range.h"
#include "quant/quantize.h"
#include "unit/quant_test_util.h"
#include "util/onnx_builder.h"

namespace ez::quant {
namespace {

TensorHistogram histogram_of(const std::vector<float>& v) {
  TensorHistogram h;
  h.add(v.data(), static_cast<int64_t>(v.size()));
  return h;
}

TEST(QuantIntegerGrid, ExactParamsOnlyForIntegersThatFit) {
  auto pixels = exact_integer_params(histogram_of({0, 114, 114, 255, 3}), ActType::kUInt8Asymmetric);
  ASSERT_TRUE(pixels.has_value());
  EXPECT_EQ(pixels->scale, 1.0f);
  EXPECT_EQ(pixels->zero_point, 0);
  auto shifted = exact_integer_params(histogram_of({-3, 250, 7}), ActType::kUInt8Asymmetric);
  ASSERT_TRUE(shifted.has_value());
  EXPECT_EQ(shifted->zero_point, 3);
  EXPECT_FALSE(exact_integer_params(histogram_of({-3, 253}), ActType::kUInt8Asymmetric).has_value());  // 257 levels
  EXPECT_FALSE(exact_integer_params(histogram_of({0, 0.5f, 2}), ActType::kUInt8Asymmetric).has_value());
  EXPECT_FALSE(exact_integer_params(histogram_of({1e6f, 0}), ActType::kUInt8Asymmetric).has_value());
  auto sym = exact_integer_params(histogram_of({-128, 127, 0}), ActType::kInt8Symmetric);
  ASSERT_TRUE(sym.has_value());
  EXPECT_EQ(sym->zero_point, 0);
  EXPECT_FALSE(exact_integer_params(histogram_of({0, 200}), ActType::kInt8Symmetric).has_value());
  TensorHistogram nan_only;
  const float n = NAN;
  nan_only.add(&n, 1);
  EXPECT_FALSE(exact_integer_params(nan_only, ActType::kUInt8Asymmetric).has_value());
}

TEST(QuantIntegerGrid, KLKeepsEveryPixelLevel) {
  // Pixels with a big spike at the letterbox fill 114: KL alone clips the range near the spike.
  test::TempDir dir;
  test::OnnxBuilder b;
  b.input("x", {1, 3, 8, 8});
  b.initializer("w", {2, 3, 1, 1}, test::random_values(6, 4));
  b.node("Conv", {"x", "w"}, {"y"}, "conv");
  b.output("y");
  std::ofstream(dir.file("model.onnx"), std::ios::binary) << b.bytes();
  std::ofstream list(dir.file("list.txt"));
  for (int s = 0; s < 3; ++s) {
    Tensor t = Tensor::zeros(DType::kFloat32, {1, 3, 8, 8});
    for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = i % 5 == 0 ? static_cast<float>((i * 37 + s) % 256) : 114.0f;
    ASSERT_TRUE(write_npy(dir.file("p" + std::to_string(s) + ".npy"), t).ok());
    list << "p" << s << ".npy\n";
  }
  list.close();
  auto ds = read_dataset_list(dir.file("list.txt"));
  ASSERT_TRUE(ds.ok());
  QuantizeOptions o;
  o.range.algo = CalibAlgo::kKL;
  auto c = calibrate_model(dir.file("model.onnx"), *ds, test::load_npy, o);
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  const TensorReport& x = c->ranges.at("x");
  EXPECT_EQ(x.params.scale, 1.0f);
  EXPECT_EQ(x.params.zero_point, 0);
  EXPECT_EQ(x.range.hi, x.max);
}

}  // namespace
}  // namespace ez::quant
