// edgezoo quantize MODEL --dataset LIST -o OUT.onnx [--algo ...] [--hybrid auto[:TARGET]]:
// post-training int8 quantization into a standard QDQ ONNX model. Thin: calibration, writing and
// the hybrid search live in src/quant; the pre-processing is chosen in sample_input.cpp.
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "core/file_util.h"
#include "onnx/model_file.h"
#include "quant/analysis_report.h"
#include "quant/hybrid.h"
#include "quant/output_agreement.h"
#include "quant/quantize.h"
#include "tools/edgezoo/cli.h"
#include "tools/edgezoo/sample_input.h"

namespace ez::cli {
namespace {

struct QuantizeArgs : ModelArgs {
  SampleArgs samples;
  std::string output, json, algo = "minmax", act = "uint8", hybrid, hybrid_as;
  double percentile = 99.99;
  bool per_tensor = false, per_channel = false, no_equalize = false, no_bias_correction = false, no_check = false, no_fill_align = false;
  std::vector<std::string> exclude, int16;
};

std::string name_list(const std::vector<std::string>& names, size_t most = 8) {
  std::string s;
  for (size_t i = 0; i < names.size() && i < most; ++i) s += (i ? ", " : "") + names[i];
  if (names.size() > most) s += ", ... (" + std::to_string(names.size() - most) + " more)";
  return s;
}

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.6g", v);
  return buf;
}

const char* kept_as(bool int16) { return int16 ? "with 16-bit inputs" : "in float"; }

void print_trial(const quant::HybridTrial& t, double target, bool int16) {
  std::printf("hybrid: %2zu %s%s%s%s: output cosine %.6f %s %g (worst sample %.6f)\n", t.kept.size(), kept_as(int16),
              t.kept.empty() ? "" : " (", name_list(t.kept, 6).c_str(), t.kept.empty() ? "" : ")",
              t.agreement.min_cosine(), t.meets ? ">=" : "<", target, t.agreement.worst_sample_cosine());
  std::fflush(stdout);
}

nlohmann::json hybrid_json(const quant::HybridResult& h) {
  nlohmann::json j;
  j["target_cosine"] = h.target;
  j["target_met"] = h.target_met;
  j["cosine"] = h.reached.min_cosine();
  j["cosine_all_int8"] = h.cosine_all_int8;
  j["worst_sample_cosine"] = h.reached.worst_sample_cosine();
  j["kept"] = h.kept;
  j["kept_as"] = h.kept_int16 ? "int16" : "float";
  nlohmann::json outs = nlohmann::json::array();
  for (const auto& o : h.reached.outputs) outs.push_back({{"name", o.name}, {"cosine", o.cosine}, {"rel_error", o.rel_error}});
  j["outputs"] = outs;
  j["ranked_layers"] = h.ranked;
  nlohmann::json trials = nlohmann::json::array();
  for (const auto& t : h.trials)
    trials.push_back({{"kept", t.kept}, {"cosine", t.agreement.min_cosine()},
                      {"worst_sample_cosine", t.agreement.worst_sample_cosine()}, {"meets", t.meets}});
  j["trials"] = trials;
  j["analysis_s"] = h.analysis_s;
  j["search_s"] = h.search_s;
  j["scan_s"] = h.scan_s;
  nlohmann::json scan = nlohmann::json::array();
  for (const auto& s : h.sensitivity) scan.push_back({{"layer", s.first}, {"cosine_gain", s.second}});
  j["sensitivity"] = scan;
  j["analysis"] = quant::analysis_json(h.analysis);
  return j;
}

nlohmann::json report_json(const quant::QuantizeReport& r, const QuantizeArgs& a, const quant::QuantizeOptions& o) {
  nlohmann::json j;
  j["model"] = a.model;
  j["output"] = a.output;
  j["dataset"] = a.samples.dataset;
  j["algo"] = quant::calib_algo_name(o.range.algo);
  if (o.range.algo == quant::CalibAlgo::kPercentile) j["percentile"] = o.range.percentile;
  j["weights"] = o.per_channel ? "per-channel int8" : "per-tensor int8";
  j["activations"] = o.range.act == quant::ActType::kInt8Symmetric ? "int8 symmetric" : "uint8 asymmetric";
  j["opset_before"] = r.opset_before;
  j["opset_after"] = r.opset_after;
  j["quantized_nodes"] = r.nodes;
  j["qdq_activations"] = r.activations;
  j["int8_weights"] = r.weights;
  j["int32_biases"] = r.biases;
  j["int16_activations"] = r.int16_activations;
  j["int16_nodes"] = r.int16;
  j["equalize"] = o.equalize;
  j["bias_correction"] = o.bias_correction;
  j["equalized_activations"] = r.equalized;
  j["corrected_biases"] = r.corrected_biases;
  j["fill_align"] = static_cast<bool>(o.fill_input);
  j["fill_aligned_activations"] = r.fill_aligned;
  j["samples"] = r.samples;
  j["calibration_s"] = r.calibration_s;
  j["error_pass_s"] = r.error_pass_s;
  j["total_s"] = r.total_s;
  j["notes"] = r.notes;
  nlohmann::json ts = nlohmann::json::array();
  for (const auto& t : r.tensors) {
    nlohmann::json e = {{"name", t.name}, {"min", t.min}, {"max", t.max}, {"lo", t.range.lo}, {"hi", t.range.hi},
                        {"scale", t.params.scale}, {"zero_point", t.params.zero_point}, {"bits", t.bits}};
    if (t.error_before > 0) {  // equalization was tried: its expected errors, and the scales if written
      e["equalize_error_before"] = t.error_before;
      e["equalize_error_after"] = t.error_after;
      if (!t.channel_scale.empty()) e["channel_scale"] = t.channel_scale;
    }
    ts.push_back(e);
  }
  j["tensors"] = ts;
  return j;
}

Result<quant::QuantizeOptions> quantize_options(const QuantizeArgs& a, const SessionOptions& session) {
  if (a.per_channel && a.per_tensor) return invalid_argument("give --per-channel or --per-tensor, not both");
  quant::QuantizeOptions o;
  EZ_ASSIGN_OR_RETURN(o.range.algo, quant::parse_calib_algo(a.algo));
  o.range.percentile = a.percentile;
  if (!(a.percentile > 0 && a.percentile <= 100)) return invalid_argument("--percentile must be in (0, 100]");
  if (a.act == "int8") o.range.act = quant::ActType::kInt8Symmetric;
  else if (a.act != "uint8") return invalid_argument("--act must be uint8 or int8, not '" + a.act + "'");
  o.per_channel = !a.per_tensor;
  o.equalize = !a.no_equalize;
  o.bias_correction = !a.no_bias_correction;
  auto names = [](const std::vector<std::string>& lists, std::set<std::string>* out) {
    for (const std::string& list : lists) {
      size_t pos = 0;
      while (pos <= list.size()) {
        const size_t end = std::min(list.find(',', pos), list.size());
        if (end > pos) out->insert(list.substr(pos, end - pos));
        pos = end + 1;
      }
    }
  };
  names(a.exclude, &o.exclude);
  names(a.int16, &o.int16);
  o.session = session;
  return o;
}

// The search with a line per candidate; a target out of reach is an error (nothing is written).
Result<quant::HybridResult> hybrid_search(const quant::CalibratedModel& c, const std::string& model, const quant::DatasetList& list,
                                          const quant::SampleLoader& loader, const quant::HybridOptions& hopt) {
  std::printf("hybrid: target output cosine %g on the %zu calibration samples; ranking layers by isolated damage, "
              "then by the cosine each gains alone %s on %d samples\n",
              hopt.target_cosine, list.entries.size(), kept_as(hopt.int16), hopt.scan_samples);
  std::fflush(stdout);
  EZ_ASSIGN_OR_RETURN(quant::HybridResult h,
                      quant::search_hybrid(c, model, list, loader, hopt, progress_printer("analyzing"),
                                           [&](const quant::HybridTrial& t) { print_trial(t, hopt.target_cosine, hopt.int16); },
                                           progress_printer(std::string("sensitivity scan, one layer at a time ") +
                                                            kept_as(hopt.int16) + ",")));
  if (!h.target_met)
    return unsupported("--hybrid: output cosine " + fmt(hopt.target_cosine) + " cannot be reached: the best of " +
                       std::to_string(h.trials.size()) + " tries, with " + std::to_string(h.kept.size()) + " of the " +
                       std::to_string(h.ranked) + " quantized layers " + kept_as(hopt.int16) + ", gives " + fmt(h.reached.min_cosine()) +
                       " (all int8: " + fmt(h.cosine_all_int8) + "); nothing written. Lower the target or --exclude by hand");
  return h;
}

// The written model against float on the calibration samples, as deployed (optimised session,
// these kernels): what the user would otherwise find out with `edgezoo analyze`.
struct Check {
  quant::Agreement agreement;
  double seconds = 0;
};

Result<Check> check_against_float(const quant::CalibratedModel& c, const std::string& model, const quant::DatasetList& list,
                                  const quant::SampleLoader& loader, const onnx::ModelProto& quantized) {
  const auto t0 = std::chrono::steady_clock::now();
  std::printf("check: the quantized model against float on the %zu calibration samples\n", list.entries.size());
  std::fflush(stdout);
  EZ_ASSIGN_OR_RETURN(std::unique_ptr<quant::OutputAgreement> agreement,
                      quant::OutputAgreement::create(model, list, loader, c.options.session));
  Check k;
  EZ_ASSIGN_OR_RETURN(k.agreement, agreement->score(quantized, c.external_dir));
  k.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return k;
}

void print_check(const Check& k, const quant::DatasetList& list, const quant::QuantizeOptions& o) {
  const quant::Agreement& g = k.agreement;
  const int worst = g.worst_sample();
  std::printf("check: output cosine vs float %.6f", g.min_cosine());
  if (worst >= 0) std::printf(" (worst sample %.6f: line %d '%s')", g.worst_sample_cosine(), list.entries[worst].line,
                              list.entries[worst].path.c_str());
  std::printf(", %.1f s\n", k.seconds);
  if (g.min_cosine() < 0.99)
    std::printf("check: below 0.99 --%s `edgezoo analyze` shows which layers lose it, `--hybrid auto` keeps the fewest "
                "in float that reach a target (`--hybrid-as int16`: with 16-bit inputs instead)\n",
                // minmax spends the steps on the rare extremes; on yolox_nano percentile took 0.985 to 0.990.
                o.range.algo == quant::CalibAlgo::kMinMax ? " try `--algo percentile`;" : "");
}

void print_summary(const quant::QdqModel& q, const QuantizeArgs& a, const quant::QuantizeOptions& o,
                   const std::optional<quant::HybridResult>& hybrid) {
  const quant::QuantizeReport& r = q.report;
  std::printf("wrote %s: %d nodes quantized (%d activations, %d int8 weights %s, %d int32 biases), opset %d -> %d\n",
              a.output.c_str(), r.nodes, r.activations, r.weights, o.per_channel ? "per channel" : "per tensor", r.biases,
              r.opset_before, r.opset_after);
  std::printf("calibration %.2f s over %zu samples (%s)", r.calibration_s, r.samples, quant::calib_algo_name(o.range.algo));
  if (o.bias_correction) std::printf(", quantization error pass %.2f s", r.error_pass_s);
  std::printf(", total %.2f s\n", r.total_s);
  std::printf("%d activations equalized per channel (depthwise readers)%s, %d biases corrected%s, %d quantizers put on the "
              "letterbox fill's levels%s\n", r.equalized, o.equalize ? "" : " [--no-equalize]", r.corrected_biases,
              o.bias_correction ? "" : " [--no-bias-correction]", r.fill_aligned, o.fill_input ? "" : " [off]");
  if (r.int16_activations > 0)
    std::printf("%d activations with 16 bits (com.microsoft QuantizeLinear/DequantizeLinear), read by %zu nodes computing in "
                "float: %s\n", r.int16_activations, r.int16.size(), name_list(r.int16, 1000).c_str());
  if (hybrid) {
    const quant::HybridResult& h = *hybrid;
    std::printf("hybrid: kept %zu of %d quantized layers %s%s%s%s: output cosine %.6f (all int8 %.6f, worst sample %.6f), "
                "target %g; analysis %.1f s, sensitivity scan %.1f s, search %.1f s over %zu candidates\n",
                h.kept.size(), h.ranked, kept_as(h.kept_int16), h.kept.empty() ? "" : " (", name_list(h.kept, 1000).c_str(),
                h.kept.empty() ? "" : ")", h.reached.min_cosine(), h.cosine_all_int8, h.reached.worst_sample_cosine(),
                h.target, h.analysis_s, h.scan_s, h.search_s, h.trials.size());
  }
  for (const std::string& n : r.notes) std::printf("note: %s\n", n.c_str());
}

int quantize(QuantizeArgs& a) {
  const auto t0 = std::chrono::steady_clock::now();
  auto opts = a.session_options();
  if (!opts.ok()) return report(opts.status());
  auto o = quantize_options(a, *opts);
  if (!o.ok()) return report(o.status());
  quant::HybridOptions hopt;
  if (!a.hybrid.empty()) {
    auto h = quant::parse_hybrid(a.hybrid);
    if (!h.ok()) return report(h.status());
    hopt = *h;
  }
  if (!a.hybrid_as.empty() && a.hybrid.empty()) return report(invalid_argument("--hybrid-as needs --hybrid"));
  if (!a.hybrid_as.empty() && a.hybrid_as != "float" && a.hybrid_as != "int16")
    return report(invalid_argument("--hybrid-as must be float or int16, not '" + a.hybrid_as + "'"));
  hopt.int16 = a.hybrid_as == "int16";
  auto dataset = quant::read_dataset_list(a.samples.dataset);
  if (!dataset.ok()) return report(dataset.status());
  auto pre = choose_preprocess(a.samples, a.model, *opts);
  if (!pre.ok()) return report(pre.status());
  std::printf("calibration: %zu samples, %s, %s\n", dataset->entries.size(), quant::calib_algo_name(o->range.algo),
              pre->what.c_str());
  std::fflush(stdout);
  const quant::SampleLoader loader = sample_loader(*pre);
  if (!a.no_fill_align) o->fill_input = fill_input(*pre);
  auto calibrated = quant::calibrate_model(a.model, *dataset, loader, *o, progress_printer("calibrating"),
                                           progress_printer("calibrating: quantization error for bias correction,"));
  if (!calibrated.ok()) return report(calibrated.status());

  std::optional<quant::QdqModel> q;
  std::optional<quant::HybridResult> hybrid;
  if (a.hybrid.empty()) {
    auto built = quant::build_qdq_model(*calibrated);
    if (!built.ok()) return report(built.status());
    q = std::move(*built);
  } else {
    auto h = hybrid_search(*calibrated, a.model, *dataset, loader, hopt);
    if (!h.ok()) return report(h.status());
    hybrid = std::move(*h);
    q = std::move(hybrid->model);
  }
  // (--hybrid scored its model already.)
  std::optional<Check> check;
  if (!hybrid && !a.no_check) {
    auto k = check_against_float(*calibrated, a.model, *dataset, loader, q->model);
    if (!k.ok()) return report(k.status());
    check = std::move(*k);
  }
  write_preprocess_metadata(&q->model, *pre);  // for the RKNN-compatible runtime
  Status st = save_model_proto(q->model, a.output);
  if (!st.ok()) return report(st);
  q->report.total_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  print_summary(*q, a, *o, hybrid);
  if (check) print_check(*check, *dataset, *o);
  if (!a.json.empty()) {
    nlohmann::json j = report_json(q->report, a, *o);
    if (hybrid) j["hybrid"] = hybrid_json(*hybrid);
    if (check) {
      const quant::Agreement& g = check->agreement;
      nlohmann::json outs = nlohmann::json::array();
      for (const auto& out : g.outputs) outs.push_back({{"name", out.name}, {"cosine", out.cosine}, {"rel_error", out.rel_error}});
      j["check"] = {{"cosine", g.min_cosine()}, {"worst_sample_cosine", g.worst_sample_cosine()},
                    {"worst_sample", g.worst_sample() >= 0 ? dataset->entries[g.worst_sample()].path : ""},
                    {"sample_cosine", g.sample_cosine}, {"outputs", outs}, {"seconds", check->seconds}};
    }
    st = write_file_atomic(a.json, j.dump(1) + "\n");
    if (!st.ok()) return report(st);
  }
  return 0;
}

}  // namespace

void add_quantize(CLI::App& app) {
  auto* cmd = app.add_subcommand("quantize", "int8 post-training quantization into a QDQ ONNX model (calibrated on a dataset)");
  auto a = std::make_shared<QuantizeArgs>();
  a->add_to(cmd);
  a->samples.add_to(cmd);
  cmd->add_option("-o,--output", a->output, "the quantized model to write")->required();
  cmd->add_option("--algo", a->algo, "calibration: minmax, percentile, kl or mse (default minmax)");
  cmd->add_option("--percentile", a->percentile, "for --algo percentile (default 99.99)");
  cmd->add_flag("--per-channel", a->per_channel, "weights per output channel (default)");
  cmd->add_flag("--per-tensor", a->per_tensor, "weights per tensor");
  cmd->add_option("--act", a->act, "activations: uint8 (asymmetric, default) or int8 (symmetric)");
  cmd->add_flag("--no-equalize", a->no_equalize, "no per-channel scales in front of the activations that only depthwise "
               "convolutions read (by default given where they at least halve the expected error)");
  cmd->add_flag("--no-bias-correction", a->no_bias_correction, "keep the float biases (by default each Conv/Gemm bias is "
               "corrected for the output shift quantization causes, measured in a second pass over the dataset)");
  cmd->add_flag("--no-fill-align", a->no_fill_align, "do not nudge the quantizers of the activations that are constant "
               "under a letterbox bar so that those constants fall on levels (done by default for letterboxed inputs)");
  cmd->add_option("--exclude", a->exclude, "node names kept in float, comma separated");
  cmd->add_option("--int16", a->int16, "node names whose activation inputs get 16 bits (ONNX Runtime's com.microsoft "
                  "QuantizeLinear/DequantizeLinear; the nodes compute in float, their weights stay int8), comma separated");
  cmd->add_option("--hybrid", a->hybrid, "auto[:TARGET_COSINE]: keep the fewest layers in float that bring the output cosine on the "
                  "calibration set to the target (default 0.99)");
  cmd->add_option("--hybrid-as", a->hybrid_as, "what --hybrid keeps its layers as: float (default), or int16 (16-bit "
                  "activation inputs, int8 weights: see --int16)");
  cmd->add_flag("--no-check", a->no_check, "do not run the written model against float on the calibration samples "
               "(by default its output cosine is reported)");
  cmd->add_option("--json", a->json, "write a report (ranges, scales, counts, times, accuracy check, hybrid search) as JSON");
  cmd->callback([a] { exit_code() = quantize(*a); });
}

}  // namespace ez::cli
