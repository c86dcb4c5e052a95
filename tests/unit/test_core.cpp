#include <gtest/gtest.h>

#include "core/dtype.h"
#include "core/shape.h"
#include "core/tensor.h"

namespace ez {

TEST(Shape, BroadcastFollowsNumpyRules) {
  EXPECT_EQ(broadcast_shapes({2, 1, 4}, {3, 1}).value(), (Shape{2, 3, 4}));
  EXPECT_EQ(broadcast_shapes({}, {5}).value(), (Shape{5}));
  EXPECT_FALSE(broadcast_shapes({2, 3}, {4}).ok());
}

TEST(Shape, ParsesCommandLineDims) {
  EXPECT_EQ(parse_shape("1x3x640x640").value(), (Shape{1, 3, 640, 640}));
  EXPECT_EQ(parse_shape("2,5").value(), (Shape{2, 5}));
  EXPECT_FALSE(parse_shape("1xax3").ok());
  EXPECT_FALSE(parse_shape("").ok());
}

TEST(DType, HalfRoundTripsExactValuesAndRoundsToNearestEven) {
  for (float f : {0.0f, 1.0f, -2.5f, 65504.0f, 6.103515625e-05f /* min normal */, 5.960464477539063e-08f /* min subnormal */}) {
    EXPECT_EQ(half_to_float(float_to_half(f)), f) << f;
  }
  // 1 + 2^-11 is halfway between 1 and 1+2^-10: ties to even -> 1.
  EXPECT_EQ(half_to_float(float_to_half(1.0f + 1.0f / 2048)), 1.0f);
  EXPECT_EQ(float_to_half(1e6f), 0x7c00);  // overflow to +inf
}

TEST(Tensor, CloneIsDeepAndReshapeShares) {
  Tensor a = Tensor::zeros(DType::kFloat32, {2, 3});
  a.data<float>()[4] = 7;
  Tensor b = a.clone();
  Tensor c = a.reshaped({6});
  a.data<float>()[4] = 9;
  EXPECT_EQ(b.data<float>()[4], 7);
  EXPECT_EQ(c.data<float>()[4], 9);
  EXPECT_EQ(c.shape(), (Shape{6}));
}

}  // namespace ez
