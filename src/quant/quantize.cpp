#include "quant/quantize.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <set>

#include "onnx/model_file.h"
#include "onnx/tensor_proto.h"
#include "quant/channel_equalize.h"
#include "quant/fill_align.h"
#include "quant/qdq_plan.h"
#include "quant/qdq_writer.h"

namespace ez::quant {
namespace {

std::string folder_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// For every activation read only by depthwise Convs with constant float weights: the summed
// importance of its channels to those readers (channel_equalize.h).
std::map<std::string, std::vector<double>> equalization_candidates(const onnx::GraphProto& g, const QdqPlan& plan,
                                                                    const std::string& external_dir) {
  const std::map<std::string, const onnx::TensorProto*> consts = constant_tensors(g);
  std::map<std::string, std::vector<double>> importance;
  std::set<std::string> rejected;
  for (const NodeQuant& nq : plan.nodes) {
    const onnx::NodeProto& n = g.node(nq.node);
    for (int slot : nq.activation_inputs) {
      const std::string& x = n.input(slot);
      if (rejected.count(x)) continue;
      std::vector<double> imp;
      if (n.op_type() == "Conv" && slot == 0 && nq.weight_input >= 0) {
        int64_t group = 1;
        for (const auto& a : n.attribute())
          if (a.name() == "group") group = a.i();
        auto w = tensor_from_proto(*consts.at(n.input(nq.weight_input)), external_dir);
        if (w.ok() && group > 1) imp = depthwise_importance(*w, group);
      }
      auto it = importance.find(x);
      if (imp.empty() || (it != importance.end() && it->second.size() != imp.size())) {
        rejected.insert(x);
        importance.erase(x);
        continue;
      }
      if (it == importance.end()) {
        importance[x] = imp;
      } else {
        for (size_t c = 0; c < imp.size(); ++c) it->second[c] += imp[c];
      }
    }
  }
  return importance;
}

}  // namespace

Result<CalibratedModel> calibrate_model(const std::string& model_path, const DatasetList& dataset, const SampleLoader& load,
                                        const QuantizeOptions& options, const Progress& progress,
                                        const Progress& error_progress) {
  const auto t0 = std::chrono::steady_clock::now();
  CalibratedModel c;
  c.options = options;
  c.external_dir = folder_of(model_path);
  QuantizeReport& report = c.report;
  EZ_ASSIGN_OR_RETURN(c.model, read_model_proto(model_path));
  name_unnamed_nodes(c.model.mutable_graph());
  EZ_RETURN_IF_ERROR(check_node_names(c.model.graph(), options.int16, "--int16"));
  // Planned before the opset upgrade, so that a model with nothing to quantize fails fast.
  EZ_ASSIGN_OR_RETURN(QdqPlan plan, plan_qdq(c.model.graph(), options.exclude, options.per_channel));
  const int min_opset = options.per_channel ? 13 : 10;
  EZ_ASSIGN_OR_RETURN(report.opset_before, upgrade_opset(&c.model, min_opset));
  report.opset_after = std::max(report.opset_before, min_opset);
  // The converter keeps node order and names but may add nodes: plan again on the result.
  EZ_ASSIGN_OR_RETURN(plan, plan_qdq(c.model.graph(), options.exclude, options.per_channel));
  // Per-channel weights only: per-tensor ones would take the 1/s_c as rounding error.
  std::map<std::string, std::vector<double>> importance;
  if (options.equalize && options.per_channel) importance = equalization_candidates(c.model.graph(), plan, c.external_dir);
  std::set<std::string> per_channel;
  for (const auto& kv : importance) per_channel.insert(kv.first);

  EZ_ASSIGN_OR_RETURN(CalibrationResult calib,
                      calibrate(model_path, plan.activations, dataset, load, options.session, progress, per_channel));
  report.samples = calib.samples;
  report.calibration_s = calib.seconds;
  for (const auto& kv : calib.skipped)
    report.notes.push_back("'" + kv.first + "' is " + dtype_name(kv.second) + ", not float: its readers stay in float");
  for (const auto& name : calib.missing) report.notes.push_back("'" + name + "' not found when calibrating: its readers stay in float");
  // Ranges are chosen once here: the KL and MSE searches are the costly part of writing a model.
  std::map<std::string, ActivationQuantizer> quantizers;
  std::set<std::string> exact_names;  // quantized without error already
  for (const std::string& name : plan.activations) {
    auto it = calib.stats.find(name);
    if (it == calib.stats.end() || it->second.count() == 0) continue;
    TensorReport tr;
    tr.name = name;
    tr.min = it->second.min();
    tr.max = it->second.max();
    tr.range = choose_range(it->second, options.range);
    tr.params = activation_params(tr.range, options.range.act);
    const std::optional<QuantParams> exact = exact_integer_params(it->second, options.range.act);
    if (exact) {
      tr.range = {tr.min, tr.max};
      tr.params = *exact;
      exact_names.insert(name);
    }
    auto ch = calib.channels.find(name);
    if (!exact && ch != calib.channels.end() && ch->second.size() == importance.at(name).size()) {
      const ChannelEqualization eq = equalize_channels(ch->second, importance.at(name), options.range.act, tr.params);
      tr.error_before = eq.error_before;
      tr.error_after = eq.error_after;
      if (eq.worthwhile()) {
        tr.channel_scale = eq.scale;
        tr.params = eq.params;
      }
    }
    quantizers[name] = {tr.params, tr.channel_scale};
    c.ranges[name] = tr;
  }
  if (options.fill_input && !c.ranges.empty()) {
    std::vector<std::string> names;
    for (const auto& kv : c.ranges) names.push_back(kv.first);
    auto found = fill_plateaus(model_path, names, options.fill_input, options.session);
    // A model whose input is no picture has no letterbox bars: nothing to align, not an error.
    if (!found.ok()) report.notes.push_back("no fill alignment: " + found.status().message());
    std::map<std::string, std::vector<float>> plateaus;
    if (found.ok()) plateaus = std::move(*found);
    for (auto& kv : c.ranges) {
      auto v = plateaus.find(kv.first);
      if (v == plateaus.end() || exact_names.count(kv.first)) continue;
      TensorReport& tr = kv.second;
      const bool moved = tr.channel_scale.empty() ? align_tensor_scale(&tr, v->second, options.range.act)
                                                  : align_channel_scales(&tr, v->second, options.range.act) > 0;
      if (!moved) continue;
      ++report.fill_aligned;
      quantizers[kv.first] = {tr.params, tr.channel_scale};
    }
  }
  if (options.bias_correction && !quantizers.empty()) {
    const auto t1 = std::chrono::steady_clock::now();
    EZ_ASSIGN_OR_RETURN(c.errors, measure_quant_error(model_path, quantizers, options.range.act, dataset, load, options.session,
                                                      error_progress));
    report.error_pass_s = seconds_since(t1);
  }
  report.total_s = seconds_since(t0);
  return c;
}

Result<QdqModel> build_qdq_model(const CalibratedModel& c, const std::set<std::string>& extra_exclude,
                                 const std::set<std::string>& extra_int16) {
  const auto t0 = std::chrono::steady_clock::now();
  QdqModel out{c.model, c.report};
  QuantizeReport& report = out.report;
  std::set<std::string> exclude = c.options.exclude;
  exclude.insert(extra_exclude.begin(), extra_exclude.end());
  std::set<std::string> int16 = c.options.int16;
  int16.insert(extra_int16.begin(), extra_int16.end());
  EZ_RETURN_IF_ERROR(check_node_names(out.model.graph(), int16, "--int16"));
  EZ_ASSIGN_OR_RETURN(QdqPlan plan, plan_qdq(out.model.graph(), exclude, c.options.per_channel));
  report.quantizable_nodes = static_cast<int>(plan.nodes.size());
  report.notes.insert(report.notes.begin(), plan.notes.begin(), plan.notes.end());
  std::set<std::string> wide;  // activations read by an int16 node
  for (const NodeQuant& nq : plan.nodes) {
    const onnx::NodeProto& n = out.model.graph().node(nq.node);
    if (int16.count(n.name()))
      for (int slot : nq.activation_inputs) wide.insert(n.input(slot));
  }

  std::map<std::string, ActivationQuant> params;
  for (const std::string& name : plan.activations) {
    auto it = c.ranges.find(name);
    if (it == c.ranges.end()) continue;
    ActivationQuant& a = params[name];
    TensorReport tr = it->second;
    auto e = c.errors.find(name);
    if (e != c.errors.end()) a.error = e->second;
    if (wide.count(name)) {
      tr.bits = 16;
      tr.range = {tr.min, tr.max};
      tr.params = activation_params16(tr.range, c.options.range.act);
      a.int16 = true;
      // The readers' biases are still corrected for their int8 weights; the measured activation
      // error is the 8-bit quantizer's, and 16 bits make it negligible. The means were measured
      // on the equalized tensor (x_c s_c) when it had channel scales: back to x_c.
      std::fill(a.error.error.begin(), a.error.error.end(), 0.0);
      if (tr.channel_scale.size() == a.error.mean.size())
        for (size_t k = 0; k < a.error.mean.size(); ++k) a.error.mean[k] /= tr.channel_scale[k];
      tr.channel_scale.clear();  // not needed with 256 times finer steps
    }
    a.quantizer = {tr.params, tr.channel_scale};
    report.tensors.push_back(tr);
  }
  // A planned node is written quantized exactly when all its activation inputs have ranges (names
  // taken before the rewrite, which reorders the nodes).
  for (const NodeQuant& nq : plan.nodes) {
    const onnx::NodeProto& n = out.model.graph().node(nq.node);
    bool ready = true, reads_wide = false;
    for (int slot : nq.activation_inputs) {
      ready &= params.count(n.input(slot)) > 0;
      reads_wide |= wide.count(n.input(slot)) > 0;
    }
    if (ready) report.quantized.push_back(n.name());
    if (ready && reads_wide) report.int16.push_back(n.name());
  }
  EZ_ASSIGN_OR_RETURN(QdqCounts counts, insert_qdq(&out.model, plan, params, c.options.range.act, c.external_dir));
  report.nodes = counts.nodes;
  report.activations = counts.activations;
  report.weights = counts.weights;
  report.biases = counts.biases;
  report.int16_activations = counts.int16_activations;
  report.equalized = counts.equalized;
  report.corrected_biases = counts.corrected_biases;
  if (counts.nodes == 0) return unsupported("no operator could be quantized (no float activation input was calibrated)");
  report.total_s = c.report.total_s + seconds_since(t0);
  return out;
}

Result<QuantizeReport> quantize_model(const std::string& model_path, const std::string& output_path,
                                      const DatasetList& dataset, const SampleLoader& load, const QuantizeOptions& options,
                                      const Progress& progress) {
  const auto t0 = std::chrono::steady_clock::now();
  EZ_ASSIGN_OR_RETURN(CalibratedModel c, calibrate_model(model_path, dataset, load, options, progress));
  EZ_ASSIGN_OR_RETURN(QdqModel q, build_qdq_model(c));
  EZ_RETURN_IF_ERROR(save_model_proto(q.model, output_path));
  q.report.total_s = seconds_since(t0);
  return q.report;
}

}  // namespace ez::quant
