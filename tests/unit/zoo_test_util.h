// Helpers for the zoo tests: tensors built from known values, and box comparisons.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/tensor.h"
#include "zoo/common/detection.h"

namespace ez::zoo::testing {

// A float32 tensor filled with `fill`.
inline Tensor filled(const Shape& shape, float fill = 0.0f) {
  Tensor t = Tensor::zeros(DType::kFloat32, shape);
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = fill;
  return t;
}

inline NamedTensor named(const std::string& name, Tensor t) { return {name, std::move(t)}; }

// Element at a multi-index of a float32 tensor.
inline float& at(Tensor& t, std::initializer_list<int64_t> index) {
  int64_t flat = 0;
  size_t axis = 0;
  for (int64_t i : index) flat = flat * t.dim(static_cast<int64_t>(axis++)) + i;
  return t.data<float>()[flat];
}

inline Detection box(float x1, float y1, float x2, float y2, float score, int class_id = 0) {
  Detection d;
  d.x1 = x1, d.y1 = y1, d.x2 = x2, d.y2 = y2, d.score = score, d.class_id = class_id;
  return d;
}

// Corners within `tolerance` pixels (1e-3 px unless stated).
inline void expect_box(const Detection& d, float x1, float y1, float x2, float y2, float tolerance = 1e-3f) {
  EXPECT_NEAR(d.x1, x1, tolerance);
  EXPECT_NEAR(d.y1, y1, tolerance);
  EXPECT_NEAR(d.x2, x2, tolerance);
  EXPECT_NEAR(d.y2, y2, tolerance);
}

inline bool has_warning(const std::vector<Warning>& warnings, const std::string& code) {
  for (const Warning& w : warnings) {
    if (w.code == code) return true;
  }
  return false;
}

}  // namespace ez::zoo::testing
