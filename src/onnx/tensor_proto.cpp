#include "onnx/tensor_proto.h"

#include <climits>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <fstream>

namespace ez {
namespace {

Status resolve_external_path(const std::string& location, const std::string& dir, const std::string& tensor,
                             std::string* out) {
  if (dir.empty())
    return invalid_model("tensor '" + tensor + "' uses external data but the model was given as a buffer "
                         "without an external-data folder");
  if (location.empty() || location[0] == '/' || location.find('\\') != std::string::npos)
    return invalid_model("tensor '" + tensor + "': external data path '" + location +
                         "' is refused (absolute paths are not allowed)");
  // Reject any '..' component outright, then check the resolved path as well (symlinks).
  size_t start = 0;
  while (start <= location.size()) {
    size_t end = location.find('/', start);
    if (end == std::string::npos) end = location.size();
    if (location.compare(start, end - start, "..") == 0 && end - start == 2)
      return invalid_model("tensor '" + tensor + "': external data path '" + location +
                           "' is refused (it leaves the model's folder)");
    start = end + 1;
  }
  char dir_real[PATH_MAX], file_real[PATH_MAX];
  if (!realpath(dir.c_str(), dir_real)) return not_found("model folder '" + dir + "' does not exist");
  const std::string full = dir + "/" + location;
  if (!realpath(full.c_str(), file_real))
    return not_found("tensor '" + tensor + "': external data file '" + full + "' not found");
  const std::string d = std::string(dir_real) + "/";
  if (std::strncmp(file_real, d.c_str(), d.size()) != 0)
    return invalid_model("tensor '" + tensor + "': external data path '" + location +
                         "' is refused (it resolves outside the model's folder)");
  *out = file_real;
  return Status::OK();
}

Status read_external(const onnx::TensorProto& p, const std::string& dir, Tensor* t) {
  std::string location;
  int64_t offset = 0, length = -1;
  for (const auto& kv : p.external_data()) {
    if (kv.key() == "location") location = kv.value();
    else if (kv.key() == "offset") offset = std::atoll(kv.value().c_str());
    else if (kv.key() == "length") length = std::atoll(kv.value().c_str());
  }
  std::string path;
  EZ_RETURN_IF_ERROR(resolve_external_path(location, dir, p.name(), &path));
  const int64_t need = static_cast<int64_t>(t->nbytes());
  if (length >= 0 && length != need)
    return invalid_model("tensor '" + p.name() + "': external data length " + std::to_string(length) +
                         " does not match " + std::to_string(need) + " bytes for " + t->desc().to_string());
  std::ifstream f(path, std::ios::binary);
  if (!f) return io_error("cannot open external data '" + path + "'");
  f.seekg(0, std::ios::end);
  const int64_t size = f.tellg();
  if (offset < 0 || offset + need > size)
    return invalid_model("tensor '" + p.name() + "': external data file '" + location + "' is too short (" +
                         std::to_string(size) + " bytes, need " + std::to_string(offset + need) + ")");
  f.seekg(offset);
  f.read(static_cast<char*>(t->raw()), need);
  if (!f) return io_error("error reading external data '" + path + "'");
  return Status::OK();
}

template <typename Dst, typename Field>
Status copy_field(const Field& field, Tensor* t, const std::string& name) {
  if (static_cast<int64_t>(field.size()) != t->numel())
    return invalid_model("tensor '" + name + "' holds " + std::to_string(field.size()) + " values, its shape " +
                         shape_to_string(t->shape()) + " needs " + std::to_string(t->numel()));
  Dst* d = t->data<Dst>();
  for (int i = 0; i < field.size(); ++i) d[i] = static_cast<Dst>(field.Get(i));
  return Status::OK();
}

}  // namespace

Result<Tensor> tensor_from_proto(onnx::TensorProto* p, const std::string& external_dir) {
  // Raw data of the right size is taken over instead of copied: a model's weights are then
  // touched once at load, not twice (fresh pages are what loading a model mostly costs).
  if (p->has_raw_data() && p->data_location() != onnx::TensorProto::EXTERNAL && !p->has_segment()) {
    DType dtype = DType::kUndefined;
    Shape shape(p->dims().begin(), p->dims().end());
    const bool known = dtype_from_onnx(p->data_type(), &dtype) && dtype != DType::kString;
    const size_t es = known ? dtype_size(dtype) : 0;
    bool ok = es > 0 && !p->raw_data().empty();
    for (int64_t d : shape) ok = ok && d >= 0;
    if (ok && p->raw_data().size() == static_cast<size_t>(shape_numel(shape)) * es &&
        reinterpret_cast<uintptr_t>(p->raw_data().data()) % es == 0) {
      std::shared_ptr<std::string> bytes(p->release_raw_data());
      void* data = &(*bytes)[0];
      return Tensor::adopt(dtype, std::move(shape), std::move(bytes), data);
    }
  }
  return tensor_from_proto(*p, external_dir);
}

Result<Tensor> tensor_from_proto(const onnx::TensorProto& p, const std::string& external_dir) {
  DType dtype;
  if (!dtype_from_onnx(p.data_type(), &dtype) || dtype == DType::kString)
    return unsupported("tensor '" + p.name() + "' has data type " + std::to_string(p.data_type()) +
                       " which edgezoo does not support");
  Shape shape(p.dims().begin(), p.dims().end());
  for (int64_t d : shape)
    if (d < 0) return invalid_model("tensor '" + p.name() + "' has a negative dimension");
  if (p.has_segment()) return unsupported("tensor '" + p.name() + "' is segmented");
  EZ_ASSIGN_OR_RETURN(Tensor t, Tensor::allocate(dtype, shape));
  const std::string& name = p.name();
  if (p.data_location() == onnx::TensorProto::EXTERNAL) {
    EZ_RETURN_IF_ERROR(read_external(p, external_dir, &t));
    return t;
  }
  if (p.has_raw_data()) {
    if (p.raw_data().size() != t.nbytes())
      return invalid_model("tensor '" + name + "' raw data has " + std::to_string(p.raw_data().size()) +
                           " bytes, expected " + std::to_string(t.nbytes()) + " for " + t.desc().to_string());
    if (t.nbytes()) std::memcpy(t.raw(), p.raw_data().data(), t.nbytes());
    return t;
  }
  Status s;
  switch (dtype) {
    case DType::kFloat32: s = copy_field<float>(p.float_data(), &t, name); break;
    case DType::kFloat64: s = copy_field<double>(p.double_data(), &t, name); break;
    case DType::kInt64: s = copy_field<int64_t>(p.int64_data(), &t, name); break;
    case DType::kUInt32: case DType::kUInt64:
      s = dtype == DType::kUInt32 ? copy_field<uint32_t>(p.uint64_data(), &t, name)
                                  : copy_field<uint64_t>(p.uint64_data(), &t, name);
      break;
    case DType::kInt32: s = copy_field<int32_t>(p.int32_data(), &t, name); break;
    case DType::kInt16: s = copy_field<int16_t>(p.int32_data(), &t, name); break;
    case DType::kUInt16: case DType::kFloat16: case DType::kBFloat16:
      s = copy_field<uint16_t>(p.int32_data(), &t, name);  // half types: bit patterns in int32_data
      break;
    case DType::kInt8: s = copy_field<int8_t>(p.int32_data(), &t, name); break;
    case DType::kUInt8: s = copy_field<uint8_t>(p.int32_data(), &t, name); break;
    case DType::kBool: s = copy_field<bool>(p.int32_data(), &t, name); break;
    default: s = unsupported("tensor '" + name + "' dtype");
  }
  if (!s.ok()) return s;
  return t;
}

}  // namespace ez
