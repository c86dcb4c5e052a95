// Reading and writing whole ONNX model protos (for the tools that rewrite models: quantize,
// convert), and their metadata_props.
#pragma once

#include <string>

#include "core/status.h"
#include "onnx/onnx_pb.h"

namespace ez {

// The model at `path` (up to 2 GiB; external tensor data stays where it is).
Result<onnx::ModelProto> read_model_proto(const std::string& path);

// Serialises and writes atomically (nothing is written on error).
Status save_model_proto(const onnx::ModelProto& model, const std::string& path);

// Sets metadata_props[key] = value (replacing an entry with that key).
void set_metadata(onnx::ModelProto* model, const std::string& key, const std::string& value);

}  // namespace ez
