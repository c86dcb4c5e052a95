// Decoders read model outputs as float. A float32 output is used in place; float16, bfloat16 and
// float64 outputs (an NPU-style runtime may hand back half precision) are converted once. Integer
// outputs are refused: without their quantization scale the numbers mean nothing.
#pragma once

#include <string>
#include <vector>

#include "core/tensor.h"

namespace ez::zoo {

class FloatView {
 public:
  // `name` is only for error messages ("output 'output0' is int8 ...").
  static Result<FloatView> of(const Tensor& tensor, const std::string& name);

  FloatView(FloatView&&) = default;  // the converted buffer moves with its pointer intact
  FloatView& operator=(FloatView&&) = default;
  FloatView(const FloatView&) = delete;
  FloatView& operator=(const FloatView&) = delete;

  const float* data() const { return data_; }
  const Shape& shape() const { return shape_; }
  int64_t size() const { return shape_numel(shape_); }

 private:
  FloatView() = default;
  const float* data_ = nullptr;
  std::vector<float> converted_;
  Shape shape_;
};

// "[1,84,8400]"-style check used by every decoder: rank and batch 1, with a clear message.
Status expect_batch_one(const Shape& shape, size_t rank, const std::string& name, const char* layout);

}  // namespace ez::zoo
