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
    if (stride != 1) {
      for (long long i = 0; i < n; ++i) add(v[i * stride]);
      return;
    }
    // Contiguous values: eight independent lanes, which the compiler turns into SIMD min/max (a
    // single running pair is a serial chain it may not reorder). NaNs are skipped as by add(v).
    constexpr int kLanes = 8;
    float lo[kLanes], hi[kLanes];
    std::fill(lo, lo + kLanes, min);
    std::fill(hi, hi + kLanes, max);
    long long i = 0;
    for (; i + kLanes <= n; i += kLanes)
      for (int j = 0; j < kLanes; ++j) {
        lo[j] = v[i + j] < lo[j] ? v[i + j] : lo[j];
        hi[j] = v[i + j] > hi[j] ? v[i + j] : hi[j];
      }
    for (int j = 0; j < kLanes; ++j) add_range(lo[j], hi[j]);
    for (; i < n; ++i) add(v[i]);
  }
  // Merges a [lo, hi] range.
  void add_range(float lo, float hi) {
    min = std::min(min, lo);
    max = std::max(max, hi);
  }
  bool empty() const { return min > max; }
};

}  // namespace ez::zoo
