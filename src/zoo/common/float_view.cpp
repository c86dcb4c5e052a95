#include "zoo/common/float_view.h"

namespace ez::zoo {

Result<FloatView> FloatView::of(const Tensor& tensor, const std::string& name) {
  if (tensor.empty()) return invalid_argument("output '" + name + "' is empty");
  if (!shape_is_static(tensor.shape())) {
    return invalid_argument("output '" + name + "' has an unknown shape " + shape_to_string(tensor.shape()));
  }
  FloatView view;
  view.shape_ = tensor.shape();
  const int64_t n = tensor.numel();
  switch (tensor.dtype()) {
    case DType::kFloat32:
      view.data_ = tensor.data<float>();
      return view;
    case DType::kFloat16: {
      view.converted_.resize(static_cast<size_t>(n));
      const Half* src = tensor.data<Half>();
      for (int64_t i = 0; i < n; ++i) view.converted_[i] = half_to_float(src[i].bits);
      break;
    }
    case DType::kBFloat16: {
      view.converted_.resize(static_cast<size_t>(n));
      const BFloat16* src = tensor.data<BFloat16>();
      for (int64_t i = 0; i < n; ++i) view.converted_[i] = bf16_to_float(src[i].bits);
      break;
    }
    case DType::kFloat64: {
      view.converted_.resize(static_cast<size_t>(n));
      const double* src = tensor.data<double>();
      for (int64_t i = 0; i < n; ++i) view.converted_[i] = static_cast<float>(src[i]);
      break;
    }
    default:
      return invalid_argument("output '" + name + "' is " + dtype_name(tensor.dtype()) +
                              "; decoders need float outputs (dequantize integer outputs with their scale first)");
  }
  view.data_ = view.converted_.data();
  return view;
}

Status expect_batch_one(const Shape& shape, size_t rank, const std::string& name, const char* layout) {
  if (shape.size() != rank) {
    return invalid_argument("output '" + name + "' has shape " + shape_to_string(shape) + "; expected " + layout);
  }
  if (shape[0] != 1) {
    return unsupported("output '" + name + "' has batch " + std::to_string(shape[0]) +
                       "; decoders take one image at a time (batch 1)");
  }
  return Status::OK();
}

}  // namespace ez::zoo
