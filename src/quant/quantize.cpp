#include "quant/quantize.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <chrono>

#include "core/file_util.h"
#include "quant/qdq_plan.h"
#include "quant/qdq_writer.h"

namespace ez::quant {
namespace {

Result<onnx::ModelProto> read_model(const std::string& path) {
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

std::string folder_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

Result<CalibratedModel> calibrate_model(const std::string& model_path, const DatasetList& dataset, const SampleLoader& load,
                                        const QuantizeOptions& options, const Progress& progress) {
  const auto t0 = std::chrono::steady_clock::now();
  CalibratedModel c;
  c.options = options;
  c.external_dir = folder_of(model_path);
  QuantizeReport& report = c.report;
  EZ_ASSIGN_OR_RETURN(c.model, read_model(model_path));
  name_unnamed_nodes(c.model.mutable_graph());
  // Planned before the opset upgrade, so that a model with nothing to quantize fails fast.
  EZ_ASSIGN_OR_RETURN(QdqPlan plan, plan_qdq(c.model.graph(), options.exclude, options.per_channel));
  const int min_opset = options.per_channel ? 13 : 10;
  EZ_ASSIGN_OR_RETURN(report.opset_before, upgrade_opset(&c.model, min_opset));
  report.opset_after = std::max(report.opset_before, min_opset);
  // The converter keeps node order and names but may add nodes: plan again on the result.
  EZ_ASSIGN_OR_RETURN(plan, plan_qdq(c.model.graph(), options.exclude, options.per_channel));

  EZ_ASSIGN_OR_RETURN(CalibrationResult calib,
                      calibrate(model_path, plan.activations, dataset, load, options.session, progress));
  report.samples = calib.samples;
  report.calibration_s = calib.seconds;
  for (const auto& kv : calib.skipped)
    report.notes.push_back("'" + kv.first + "' is " + dtype_name(kv.second) + ", not float: its readers stay in float");
  for (const auto& name : calib.missing) report.notes.push_back("'" + name + "' not found when calibrating: its readers stay in float");
  // Ranges are chosen once here: the KL and MSE searches are the costly part of writing a model.
  for (const std::string& name : plan.activations) {
    auto it = calib.stats.find(name);
    if (it == calib.stats.end() || it->second.count() == 0) continue;
    TensorReport tr;
    tr.name = name;
    tr.min = it->second.min();
    tr.max = it->second.max();
    tr.range = choose_range(it->second, options.range);
    tr.params = activation_params(tr.range, options.range.act);
    c.ranges[name] = tr;
  }
  report.total_s = seconds_since(t0);
  return c;
}

Result<QdqModel> build_qdq_model(const CalibratedModel& c, const std::set<std::string>& extra_exclude) {
  const auto t0 = std::chrono::steady_clock::now();
  QdqModel out{c.model, c.report};
  QuantizeReport& report = out.report;
  std::set<std::string> exclude = c.options.exclude;
  exclude.insert(extra_exclude.begin(), extra_exclude.end());
  EZ_ASSIGN_OR_RETURN(QdqPlan plan, plan_qdq(out.model.graph(), exclude, c.options.per_channel));
  report.quantizable_nodes = static_cast<int>(plan.nodes.size());
  report.notes.insert(report.notes.begin(), plan.notes.begin(), plan.notes.end());

  std::map<std::string, QuantParams> params;
  for (const std::string& name : plan.activations) {
    auto it = c.ranges.find(name);
    if (it == c.ranges.end()) continue;
    params[name] = it->second.params;
    report.tensors.push_back(it->second);
  }
  // A planned node is written quantized exactly when all its activation inputs have ranges (names
  // taken before the rewrite, which reorders the nodes).
  for (const NodeQuant& nq : plan.nodes) {
    const onnx::NodeProto& n = out.model.graph().node(nq.node);
    bool ready = true;
    for (int slot : nq.activation_inputs) ready &= params.count(n.input(slot)) > 0;
    if (ready) report.quantized.push_back(n.name());
  }
  EZ_ASSIGN_OR_RETURN(QdqCounts counts, insert_qdq(&out.model, plan, params, c.options.range.act, c.external_dir));
  report.nodes = counts.nodes;
  report.activations = counts.activations;
  report.weights = counts.weights;
  report.biases = counts.biases;
  if (counts.nodes == 0) return unsupported("no operator could be quantized (no float activation input was calibrated)");
  report.total_s = c.report.total_s + seconds_since(t0);
  return out;
}

Status save_model(const onnx::ModelProto& model, const std::string& path) {
  std::string bytes;
  if (!model.SerializeToString(&bytes)) return internal_error("serialising the quantized model failed");
  return write_file_atomic(path, bytes);
}

Result<QuantizeReport> quantize_model(const std::string& model_path, const std::string& output_path,
                                      const DatasetList& dataset, const SampleLoader& load, const QuantizeOptions& options,
                                      const Progress& progress) {
  const auto t0 = std::chrono::steady_clock::now();
  EZ_ASSIGN_OR_RETURN(CalibratedModel c, calibrate_model(model_path, dataset, load, options, progress));
  EZ_ASSIGN_OR_RETURN(QdqModel q, build_qdq_model(c));
  EZ_RETURN_IF_ERROR(save_model(q.model, output_path));
  q.report.total_s = seconds_since(t0);
  return q.report;
}

}  // namespace ez::quant
