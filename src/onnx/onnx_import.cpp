#include "onnx/onnx_import.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <algorithm>
#include <set>

#include "core/file_util.h"
#include "onnx/onnx_pb.h"
#include "onnx/shape_inference/implementation.h"
#include "onnx/tensor_proto.h"

namespace ez {
namespace {

Status convert_attribute(const onnx::AttributeProto& a, const std::string& ext_dir, Attribute* out) {
  using A = onnx::AttributeProto;
  switch (a.type()) {
    case A::FLOAT: out->kind = Attribute::Kind::kFloat; out->f = a.f(); break;
    case A::INT: out->kind = Attribute::Kind::kInt; out->i = a.i(); break;
    case A::STRING: out->kind = Attribute::Kind::kString; out->s = a.s(); break;
    case A::FLOATS: out->kind = Attribute::Kind::kFloats; out->floats.assign(a.floats().begin(), a.floats().end()); break;
    case A::INTS: out->kind = Attribute::Kind::kInts; out->ints.assign(a.ints().begin(), a.ints().end()); break;
    case A::STRINGS: out->kind = Attribute::Kind::kStrings; out->strings.assign(a.strings().begin(), a.strings().end()); break;
    case A::TENSOR: {
      out->kind = Attribute::Kind::kTensor;
      EZ_ASSIGN_OR_RETURN(out->t, tensor_from_proto(a.t(), ext_dir));
      break;
    }
    case A::GRAPH: case A::GRAPHS: out->kind = Attribute::Kind::kGraph; break;  // control flow: refused at planning
    default:
      return unsupported("attribute '" + a.name() + "' has a type edgezoo does not support (" + std::to_string(a.type()) + ")");
  }
  return Status::OK();
}

void desc_from_type(const onnx::TypeProto& type, Value* v) {
  if (!type.has_tensor_type()) return;
  const auto& tt = type.tensor_type();
  DType dt;
  if (dtype_from_onnx(tt.elem_type(), &dt)) v->desc.dtype = dt;
  if (!tt.has_shape()) return;
  v->desc.shape.clear();
  v->dim_names.clear();
  for (const auto& d : tt.shape().dim()) {
    v->desc.shape.push_back(d.has_dim_value() ? d.dim_value() : -1);
    v->dim_names.push_back(d.has_dim_param() ? d.dim_param() : "");
  }
}

// Value of a Constant node as a tensor (value, value_float(s), value_int(s)).
Result<Tensor> constant_value(onnx::NodeProto* node, const std::string& ext_dir) {
  const onnx::NodeProto& n = *node;
  for (int i = 0; i < n.attribute_size(); ++i) {
    const auto& a = n.attribute(i);
    if (a.name() == "value") return tensor_from_proto(node->mutable_attribute(i)->mutable_t(), ext_dir);
    if (a.name() == "value_float") {
      Tensor t = Tensor::zeros(DType::kFloat32, {});
      t.data<float>()[0] = a.f();
      return t;
    }
    if (a.name() == "value_int") {
      Tensor t = Tensor::zeros(DType::kInt64, {});
      t.data<int64_t>()[0] = a.i();
      return t;
    }
    if (a.name() == "value_floats" || a.name() == "value_ints") {
      const bool f = a.name() == "value_floats";
      const int64_t count = f ? a.floats_size() : a.ints_size();
      Tensor t = Tensor::zeros(f ? DType::kFloat32 : DType::kInt64, {count});
      for (int64_t i = 0; i < count; ++i) {
        if (f) t.data<float>()[i] = a.floats(static_cast<int>(i));
        else t.data<int64_t>()[i] = a.ints(static_cast<int>(i));
      }
      return t;
    }
  }
  return unsupported("Constant node '" + n.name() + "' uses a form edgezoo does not support (sparse or string)");
}

Result<Graph> convert(onnx::ModelProto& model, const ImportOptions& options, const std::string& what) {
  if (!model.has_graph() || model.ir_version() <= 0)
    return invalid_model(what + " is not an ONNX model (no graph or IR version)");
  Graph g;
  g.producer = model.producer_name();
  for (const auto& op : model.opset_import())
    if (op.domain().empty() || op.domain() == "ai.onnx") g.opset = static_cast<int>(op.version());
  if (g.opset == 0) g.opset = 1;  // ONNX: absent default-domain import means opset 1
  for (const auto& kv : model.metadata_props()) g.metadata[kv.key()] = kv.value();

  if (options.infer_shapes) {
    // ONNX shape inference only annotates; a model it rejects still loads (edgezoo infers shapes
    // itself at planning), so its errors are ignored here.
    try {
      onnx::ShapeInferenceOptions opts{false, 0, false};
      onnx::shape_inference::InferShapes(model, onnx::OpSchemaRegistry::Instance(), opts);
    } catch (...) {
    }
  }
  const onnx::GraphProto& gp = model.graph();
  for (auto& init : *model.mutable_graph()->mutable_initializer()) {
    if (g.find_value(init.name()) != kNoValue) return invalid_model("duplicate initializer '" + init.name() + "'");
    Value v;
    v.name = init.name();
    EZ_ASSIGN_OR_RETURN(v.constant, tensor_from_proto(&init, options.external_data_dir));
    v.desc = v.constant.desc();
    g.add_value(std::move(v));
  }
  if (gp.sparse_initializer_size() > 0) return unsupported("sparse initializers are not supported");
  for (const auto& in : gp.input()) {
    const ValueId existing = g.find_value(in.name());
    if (existing != kNoValue) continue;  // IR < 4 lists initializers as inputs: they stay constants
    Value v;
    v.name = in.name();
    desc_from_type(in.type(), &v);
    if (v.desc.dtype == DType::kUndefined)
      return unsupported("graph input '" + in.name() + "' is not a tensor of a supported type");
    g.inputs().push_back(g.add_value(std::move(v)));
  }
  // Shapes from value_info (ONNX's inference or the exporter's) annotate intermediate values.
  std::map<std::string, const onnx::ValueInfoProto*> infos;
  for (const auto& vi : gp.value_info()) infos[vi.name()] = &vi;
  for (const auto& vi : gp.output()) infos[vi.name()] = &vi;

  auto intern = [&](const std::string& name) -> ValueId {
    ValueId id = g.find_value(name);
    if (id != kNoValue) return id;
    Value v;
    v.name = name;
    auto it = infos.find(name);
    if (it != infos.end()) desc_from_type(it->second->type(), &v);
    return g.add_value(std::move(v));
  };
  int unnamed = 0;
  std::set<ValueId> produced;
  for (auto& mutable_node : *model.mutable_graph()->mutable_node()) {
    const onnx::NodeProto& n = mutable_node;
    const std::string node_name = n.name().empty() ? n.op_type() + "_" + std::to_string(unnamed++) : n.name();
    if (n.op_type() == "Constant" && (n.domain().empty() || n.domain() == "ai.onnx")) {
      if (n.output_size() != 1) return invalid_model("Constant node '" + node_name + "' must have one output");
      if (g.find_value(n.output(0)) != kNoValue)
        return invalid_model("value '" + n.output(0) + "' is produced twice (Constant node '" + node_name + "')");
      Value v;
      v.name = n.output(0);
      EZ_ASSIGN_OR_RETURN(v.constant, constant_value(&mutable_node, options.external_data_dir));
      v.desc = v.constant.desc();
      g.add_value(std::move(v));
      continue;
    }
    Node node;
    node.name = node_name;
    node.op_type = n.op_type();
    node.domain = n.domain() == "ai.onnx" ? "" : n.domain();
    // ONNX Runtime's com.microsoft QuantizeLinear / DequantizeLinear are the standard ops with
    // 16-bit types before opset 21 (its quantizer, and `edgezoo quantize --int16`, write them):
    // imported as the standard ops, which take those types; the QDQ fusion goes by the types.
    if (node.domain == "com.microsoft" && (node.op_type == "QuantizeLinear" || node.op_type == "DequantizeLinear"))
      node.domain.clear();
    for (const auto& a : n.attribute()) {
      Attribute attr;
      EZ_RETURN_IF_ERROR(convert_attribute(a, options.external_data_dir, &attr)
                             .with_context("node '" + node_name + "' attribute '" + a.name() + "'"));
      node.attrs.set(a.name(), std::move(attr));
    }
    for (const auto& in : n.input()) node.inputs.push_back(in.empty() ? kNoValue : intern(in));
    for (const auto& out : n.output()) {
      if (out.empty()) {
        node.outputs.push_back(intern("__unused_" + node_name + "_" + std::to_string(node.outputs.size())));
        continue;
      }
      // A name seen before is fine only if it was merely referenced (unsorted model, fixed by
      // topological_sort below), not produced or given as input/initializer.
      const ValueId id = intern(out);
      if (!produced.insert(id).second || g.value(id).is_constant() ||
          std::find(g.inputs().begin(), g.inputs().end(), id) != g.inputs().end())
        return invalid_model("value '" + out + "' is produced twice (node '" + node_name + "')");
      node.outputs.push_back(id);
    }
    g.nodes().push_back(std::move(node));
  }
  for (const auto& out : gp.output()) {
    const ValueId id = g.find_value(out.name());
    if (id == kNoValue) return invalid_model("graph output '" + out.name() + "' is produced by no node");
    g.outputs().push_back(id);
  }
  // Every node input must be a graph input, a constant or some node's output.
  std::vector<bool> defined(g.num_values(), false);
  for (ValueId id : g.inputs()) defined[id] = true;
  for (size_t i = 0; i < g.num_values(); ++i)
    if (g.value(static_cast<ValueId>(i)).is_constant()) defined[i] = true;
  for (const Node& n : g.nodes())
    for (ValueId o : n.outputs) defined[o] = true;
  for (const Node& n : g.nodes())
    for (ValueId in : n.inputs)
      if (in != kNoValue && !defined[in])
        return invalid_model("node '" + n.name + "' (" + n.op_type + ") reads '" + g.value(in).name +
                             "', which no node, input or initializer defines");
  EZ_RETURN_IF_ERROR(g.topological_sort());
  return g;
}

}  // namespace

Result<Graph> import_onnx_bytes(const void* data, size_t size, const ImportOptions& options, const std::string& what) {
  if (size == 0) return invalid_model(what + " is empty");
  onnx::ModelProto model;
  google::protobuf::io::ArrayInputStream raw(data, static_cast<int>(std::min<size_t>(size, INT32_MAX)));
  google::protobuf::io::CodedInputStream coded(&raw);
  coded.SetTotalBytesLimit(INT32_MAX);
  if (size > INT32_MAX) return unsupported(what + " is larger than 2 GiB; store weights as external data");
  if (!model.ParseFromCodedStream(&coded) || !coded.ConsumedEntireMessage())
    return invalid_model(what + " is not a valid ONNX model (protobuf parse failed: truncated or not ONNX)");
  return convert(model, options, what);
}

Result<Graph> import_onnx_file(const std::string& path, ImportOptions options) {
  if (options.external_data_dir.empty()) {
    const size_t slash = path.find_last_of('/');
    options.external_data_dir = slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
  }
  // Parsed straight from a read-only mapping: no copy of the file into a buffer first (page
  // faults on fresh memory cost more than the parse on small VMs).
  EZ_ASSIGN_OR_RETURN(MappedFile file, MappedFile::open(path));
  return import_onnx_bytes(file.data(), file.size(), options, "'" + path + "'");
}

}  // namespace ez
