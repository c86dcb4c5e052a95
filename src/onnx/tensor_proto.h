// Conversion of ONNX TensorProto (inline typed fields, raw_data or safe external data) to Tensor.
#pragma once

#include <string>

#include "core/tensor.h"
#include "onnx/onnx_pb.h"

namespace ez {

// `external_dir` is where external data may live ("" refuses external data). A location that is
// absolute, contains "..", or resolves (through symlinks) outside that folder is refused.
Result<Tensor> tensor_from_proto(const onnx::TensorProto& proto, const std::string& external_dir);
// Same, taking the proto's raw data over when it can (no copy); the proto loses it.
Result<Tensor> tensor_from_proto(onnx::TensorProto* proto, const std::string& external_dir);

}  // namespace ez
