#include "ops/op_util.h"

namespace ez::ops {

Status expect_input_count(const std::vector<KernelInput>& inputs, size_t min, size_t max, const char* op) {
  if (inputs.size() < min || inputs.size() > max)
    return invalid_model(std::string(op) + " expects " + std::to_string(min) +
                         (max != min ? "-" + std::to_string(max) : "") + " inputs, got " +
                         std::to_string(inputs.size()));
  for (size_t i = 0; i < min; ++i)
    if (!inputs[i].present()) return invalid_model(std::string(op) + ": required input " + std::to_string(i) + " is missing");
  return Status::OK();
}

Status expect_dtype(const KernelInput& in, std::initializer_list<DType> accepted, const char* op, const char* what) {
  for (DType t : accepted)
    if (in.desc.dtype == t) return Status::OK();
  return unsupported(std::string(op) + ": " + what + " of dtype " + dtype_name(in.desc.dtype) + " is not supported");
}

Result<std::vector<int64_t>> read_int_list(const KernelInput& in, const char* op, const char* what) {
  if (!in.value) return needs_value(std::string(op) + ": '" + what + "' is not a constant");
  const Tensor& t = *in.value;
  if (t.dtype() != DType::kInt64 && t.dtype() != DType::kInt32)
    return invalid_model(std::string(op) + ": '" + what + "' must be int64, got " + dtype_name(t.dtype()));
  std::vector<int64_t> v(static_cast<size_t>(t.numel()));
  for (int64_t i = 0; i < t.numel(); ++i) v[i] = t.at_int(i);
  return v;
}

Result<std::vector<float>> read_float_list(const KernelInput& in, const char* op, const char* what) {
  if (!in.value) return needs_value(std::string(op) + ": '" + what + "' is not a constant");
  const Tensor& t = *in.value;
  std::vector<float> v(static_cast<size_t>(t.numel()));
  for (int64_t i = 0; i < t.numel(); ++i) v[i] = static_cast<float>(t.at_double(i));
  return v;
}

std::vector<KernelInput> describe(const std::vector<const Tensor*>& inputs) {
  std::vector<KernelInput> out(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i]) out[i] = {inputs[i]->desc(), inputs[i]};
  }
  return out;
}

}  // namespace ez::ops
