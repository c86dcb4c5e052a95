#include "onnx/model_file.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <cstdint>

#include "core/file_util.h"

namespace ez {

Result<onnx::ModelProto> read_model_proto(const std::string& path) {
  EZ_ASSIGN_OR_RETURN(MappedFile file, MappedFile::open(path));
  if (file.size() > INT32_MAX) return unsupported("'" + path + "' is larger than 2 GiB");
  onnx::ModelProto model;
  google::protobuf::io::ArrayInputStream raw(file.data(), static_cast<int>(file.size()));
  google::protobuf::io::CodedInputStream coded(&raw);
  coded.SetTotalBytesLimit(INT32_MAX);
  if (!model.ParseFromCodedStream(&coded) || !coded.ConsumedEntireMessage() || !model.has_graph())
    return invalid_model("'" + path + "' is not a valid ONNX model");
  return model;
}

Status save_model_proto(const onnx::ModelProto& model, const std::string& path) {
  std::string bytes;
  if (!model.SerializeToString(&bytes)) return internal_error("serialising the model failed");
  return write_file_atomic(path, bytes);
}

void set_metadata(onnx::ModelProto* model, const std::string& key, const std::string& value) {
  for (auto& kv : *model->mutable_metadata_props())
    if (kv.key() == key) {
      kv.set_value(value);
      return;
    }
  auto* kv = model->add_metadata_props();
  kv->set_key(key);
  kv->set_value(value);
}

}  // namespace ez
