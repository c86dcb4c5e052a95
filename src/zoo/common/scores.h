// Small numeric helpers every decoder shares.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>

namespace ez::zoo {

inline float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }
// The inverse of sigmoid; tests use it to build raw outputs from known probabilities.
inline float logit(float p) { return std::log(p / (1.0f - p)); }

// Running minimum and maximum of a set of values (to tell probabilities from logits).
struct ValueRange {
  float min = std::numeric_limits<float>::infinity();
  float max = -std::numeric_limits<float>::infinity();
  void add(float v) {
    min = std::min(min, v);
    max = std::max(max, v);
  }
  void add(const float* v, long long n, long long stride = 1) {
    for (long long i = 0; i < n; ++i) add(v[i * stride]);
  }
  bool empty() const { return min > max; }
};

}  // namespace ez::zoo
