// Top-1 / top-5 classification accuracy.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "eval/topk.h"

namespace ez::eval {
namespace {

TEST(EvalTopK, RankAndTies) {
  const std::vector<float> s = {0.1f, 0.7f, 0.3f, 0.7f, 0.05f, 0.2f, 0.6f};
  EXPECT_EQ(*class_rank(s.data(), s.size(), 1), 0u);  // tie with class 3: the lower index ranks first
  EXPECT_EQ(*class_rank(s.data(), s.size(), 3), 1u);
  EXPECT_EQ(*class_rank(s.data(), s.size(), 6), 2u);
  EXPECT_EQ(*class_rank(s.data(), s.size(), 4), 6u);
  EXPECT_TRUE(*in_top_k(s.data(), s.size(), 5, 5));   // rank 4
  EXPECT_FALSE(*in_top_k(s.data(), s.size(), 0, 5));  // rank 5
  EXPECT_FALSE(class_rank(s.data(), s.size(), 7).ok());
  EXPECT_FALSE(class_rank(s.data(), s.size(), -1).ok());
}

TEST(EvalTopK, NanRanksLast) {
  const std::vector<float> s = {NAN, 0.1f, NAN, 0.0f};
  EXPECT_EQ(*class_rank(s.data(), s.size(), 1), 0u);
  EXPECT_EQ(*class_rank(s.data(), s.size(), 3), 1u);
  EXPECT_EQ(*class_rank(s.data(), s.size(), 0), 2u);
  EXPECT_EQ(*class_rank(s.data(), s.size(), 2), 3u);
}

TEST(EvalTopK, Accumulates) {
  TopKAccuracy acc;
  EXPECT_EQ(acc.top1(), 0.0);
  std::vector<float> s(10);
  for (int i = 0; i < 10; ++i) s[i] = static_cast<float>(i);  // class 9 best, class 0 worst
  ASSERT_TRUE(acc.add(s, 9).ok());  // top-1
  ASSERT_TRUE(acc.add(s, 6).ok());  // rank 3: top-5 only
  ASSERT_TRUE(acc.add(s, 4).ok());  // rank 5: neither
  ASSERT_TRUE(acc.add(s, 5).ok());  // rank 4: top-5 only
  EXPECT_FALSE(acc.add(s, 10).ok());
  EXPECT_EQ(acc.count(), 4u);
  EXPECT_DOUBLE_EQ(acc.top1(), 0.25);
  EXPECT_DOUBLE_EQ(acc.top5(), 0.75);
}

}  // namespace
}  // namespace ez::eval
