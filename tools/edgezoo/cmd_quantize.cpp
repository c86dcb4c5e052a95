// edgezoo quantize MODEL --dataset LIST -o OUT.onnx [--algo ...]: post-training int8 quantization
// into a standard QDQ ONNX model. Thin: calibration and writing live in src/quant; this file only
// chooses the pre-processing (the model family's, or --mean/--std/--rgb/--bgr) and reports.
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/file_util.h"
#include "core/npy.h"
#include "quant/quantize.h"
#include "tools/edgezoo/cli.h"
#include "vision/image_io.h"
#include "vision/letterbox.h"
#include "vision/resize.h"
#include "vision/tensor_fill.h"
#include "zoo/layout/model_layout.h"

namespace ez::cli {
namespace {

struct QuantizeArgs : ModelArgs {
  std::string dataset, output, json, algo = "minmax", act = "uint8";
  double percentile = 99.99;
  bool per_tensor = false, per_channel = false, rgb = false, bgr = false;
  std::vector<float> mean, std;
  std::vector<std::string> exclude;
};

// How an image becomes the input tensor.
struct Preprocess {
  zoo::PreprocessSpec spec;
  std::string what;  // for the terminal
};

bool ends_with(const std::string& s, const std::string& suffix) {
  if (s.size() < suffix.size()) return false;
  std::string tail = s.substr(s.size() - suffix.size());
  for (char& c : tail) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return tail == suffix;
}

// --mean/--std are in pixel units (0-255), as RKNN-Toolkit's mean_values/std_values.
Result<Preprocess> choose_preprocess(const QuantizeArgs& a, const SessionOptions& opts) {
  Preprocess p;
  const bool manual = !a.mean.empty() || !a.std.empty() || a.rgb || a.bgr;
  if (!manual) {
    // A detection model known to the zoo: the same letterbox and normalisation as `detect`.
    auto s = Session::load_file(a.model, opts);
    if (!s.ok()) return s.status();
    const Session& ses = **s;
    if (ses.inputs().size() == 1 && ses.inputs()[0].desc.shape.size() == 4) {
      zoo::LayoutQuery q;
      for (const IOInfo& o : ses.outputs()) q.outputs.push_back({o.name, o.desc.shape});
      q.input_height = static_cast<int>(ses.inputs()[0].desc.shape[2]);
      q.input_width = static_cast<int>(ses.inputs()[0].desc.shape[3]);
      q.hint = a.model;
      auto layout = zoo::detect_layout(q);
      if (layout.ok()) {
        p.spec = zoo::preprocess_for(layout->family);
        p.what = std::string(zoo::family_name(layout->family)) + " pre-processing (" +
                 (p.spec.letterbox ? "letterbox, " : "resize, ") + (p.spec.bgr ? "BGR" : "RGB") + ")";
        return p;
      }
    }
  }
  for (const auto* v : {&a.mean, &a.std})
    if (!v->empty() && v->size() != 1 && v->size() != 3) return invalid_argument("--mean and --std take 1 or 3 values");
  if (a.rgb && a.bgr) return invalid_argument("give --rgb or --bgr, not both");
  p.spec.letterbox = false;
  p.spec.bgr = a.bgr;
  p.spec.scale = 1.0f;
  for (int c = 0; c < 3; ++c) {
    p.spec.mean[c] = a.mean.empty() ? 0.0f : a.mean[a.mean.size() == 1 ? 0 : c];
    p.spec.std[c] = a.std.empty() ? 255.0f : a.std[a.std.size() == 1 ? 0 : c];
    if (p.spec.std[c] == 0) return invalid_argument("--std must not be 0");
  }
  p.what = std::string("resize, ") + (p.spec.bgr ? "BGR" : "RGB") + ", (pixel - mean) / std";
  return p;
}

Result<Tensor> load_sample(const std::string& path, const IOInfo& input, const Preprocess& pre) {
  if (ends_with(path, ".npy")) {
    EZ_ASSIGN_OR_RETURN(Tensor t, read_npy(path));
    if (t.desc().dtype != input.desc.dtype || t.shape() != input.desc.shape)
      return invalid_argument("'" + path + "' holds " + t.desc().to_string() + "; the model's input '" + input.name + "' is " +
                              input.desc.to_string());
    return t;
  }
  const Shape& s = input.desc.shape;
  if (input.desc.dtype != DType::kFloat32 || s.size() != 4 || s[0] != 1 || s[1] != 3)
    return unsupported("input '" + input.name + "' is " + input.desc.to_string() + ": images need float32[1,3,H,W] (give .npy tensors instead)");
  EZ_ASSIGN_OR_RETURN(vision::Image img, vision::decode_image(path));
  vision::Image sized;
  if (pre.spec.letterbox) {
    vision::LetterboxParams lp;
    lp.target_w = static_cast<int>(s[3]);
    lp.target_h = static_cast<int>(s[2]);
    lp.fill = static_cast<uint8_t>(pre.spec.fill);
    EZ_ASSIGN_OR_RETURN(vision::Letterboxed lb, vision::letterbox(img, lp));
    sized = std::move(lb.image);
  } else {
    EZ_ASSIGN_OR_RETURN(sized, vision::resize_bilinear(img, static_cast<int>(s[3]), static_cast<int>(s[2])));
  }
  vision::TensorFillParams fill;
  fill.order = pre.spec.bgr ? vision::ChannelOrder::kBGR : vision::ChannelOrder::kRGB;
  fill.scale = pre.spec.scale;
  for (int c = 0; c < 3; ++c) {
    fill.mean[c] = pre.spec.mean[c];
    fill.std[c] = pre.spec.std[c];
  }
  EZ_ASSIGN_OR_RETURN(Tensor t, Tensor::allocate(DType::kFloat32, s));
  EZ_RETURN_IF_ERROR(vision::write_input_tensor(sized, t.data<float>(), fill));
  return t;
}

void show_progress(size_t done, size_t total) {
  static const bool tty = isatty(2);
  if (tty) {
    const int width = 30, filled = static_cast<int>(width * done / total);
    std::fprintf(stderr, "\rcalibrating [%s%s] %zu/%zu", std::string(filled, '#').c_str(),
                 std::string(width - filled, ' ').c_str(), done, total);
    if (done == total) std::fprintf(stderr, "\n");
  } else if (done == total || done % std::max<size_t>(1, total / 10) == 0) {
    std::fprintf(stderr, "calibrating image %zu/%zu\n", done, total);
  }
}

nlohmann::json report_json(const quant::QuantizeReport& r, const QuantizeArgs& a, const quant::QuantizeOptions& o) {
  nlohmann::json j;
  j["model"] = a.model;
  j["output"] = a.output;
  j["dataset"] = a.dataset;
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
  j["samples"] = r.samples;
  j["calibration_s"] = r.calibration_s;
  j["total_s"] = r.total_s;
  j["notes"] = r.notes;
  nlohmann::json ts = nlohmann::json::array();
  for (const auto& t : r.tensors)
    ts.push_back({{"name", t.name}, {"min", t.min}, {"max", t.max}, {"lo", t.range.lo}, {"hi", t.range.hi},
                  {"scale", t.params.scale}, {"zero_point", t.params.zero_point}});
  j["tensors"] = ts;
  return j;
}

int quantize(QuantizeArgs& a) {
  auto opts = a.session_options();
  if (!opts.ok()) return report(opts.status());
  if (a.per_channel && a.per_tensor) return report(invalid_argument("give --per-channel or --per-tensor, not both"));
  quant::QuantizeOptions o;
  auto algo = quant::parse_calib_algo(a.algo);
  if (!algo.ok()) return report(algo.status());
  o.range.algo = *algo;
  o.range.percentile = a.percentile;
  if (!(a.percentile > 0 && a.percentile <= 100)) return report(invalid_argument("--percentile must be in (0, 100]"));
  if (a.act == "int8") o.range.act = quant::ActType::kInt8Symmetric;
  else if (a.act != "uint8") return report(invalid_argument("--act must be uint8 or int8, not '" + a.act + "'"));
  o.per_channel = !a.per_tensor;
  for (const std::string& list : a.exclude) {
    size_t pos = 0;
    while (pos <= list.size()) {
      const size_t end = std::min(list.find(',', pos), list.size());
      if (end > pos) o.exclude.insert(list.substr(pos, end - pos));
      pos = end + 1;
    }
  }
  o.session = *opts;
  auto dataset = quant::read_dataset_list(a.dataset);
  if (!dataset.ok()) return report(dataset.status());
  auto pre = choose_preprocess(a, *opts);
  if (!pre.ok()) return report(pre.status());
  std::printf("calibration: %zu samples, %s, %s\n", dataset->entries.size(), quant::calib_algo_name(o.range.algo),
              pre->what.c_str());
  std::fflush(stdout);
  const Preprocess p = *pre;
  auto loader = [p](const std::string& path, const IOInfo& in) { return load_sample(path, in, p); };
  auto r = quant::quantize_model(a.model, a.output, *dataset, loader, o, show_progress);
  if (!r.ok()) return report(r.status());
  std::printf("wrote %s: %d nodes quantized (%d activations, %d int8 weights %s, %d int32 biases), opset %d -> %d\n",
              a.output.c_str(), r->nodes, r->activations, r->weights, o.per_channel ? "per channel" : "per tensor", r->biases,
              r->opset_before, r->opset_after);
  std::printf("calibration %.2f s over %zu samples (%s), total %.2f s\n", r->calibration_s, r->samples,
              quant::calib_algo_name(o.range.algo), r->total_s);
  for (const std::string& n : r->notes) std::printf("note: %s\n", n.c_str());
  if (!a.json.empty()) {
    Status st = write_file_atomic(a.json, report_json(*r, a, o).dump(1) + "\n");
    if (!st.ok()) return report(st);
  }
  return 0;
}

}  // namespace

void add_quantize(CLI::App& app) {
  auto* cmd = app.add_subcommand("quantize", "int8 post-training quantization into a QDQ ONNX model (calibrated on a dataset)");
  auto a = std::make_shared<QuantizeArgs>();
  a->add_to(cmd);
  cmd->add_option("--dataset", a->dataset, "calibration list: one image or .npy path a line (relative to the list's folder)")->required();
  cmd->add_option("-o,--output", a->output, "the quantized model to write")->required();
  cmd->add_option("--algo", a->algo, "calibration: minmax, percentile, kl or mse (default minmax)");
  cmd->add_option("--percentile", a->percentile, "for --algo percentile (default 99.99)");
  cmd->add_flag("--per-channel", a->per_channel, "weights per output channel (default)");
  cmd->add_flag("--per-tensor", a->per_tensor, "weights per tensor");
  cmd->add_option("--act", a->act, "activations: uint8 (asymmetric, default) or int8 (symmetric)");
  cmd->add_option("--mean", a->mean, "per-channel mean in pixel units (0-255), e.g. --mean 123.675 116.28 103.53")->expected(1, 3)->delimiter(',');
  cmd->add_option("--std", a->std, "per-channel std in pixel units, e.g. --std 58.395 57.12 57.375 (default 255)")->expected(1, 3)->delimiter(',');
  cmd->add_flag("--rgb", a->rgb, "feed RGB (with --mean/--std; default for models the zoo does not know)");
  cmd->add_flag("--bgr", a->bgr, "feed BGR");
  cmd->add_option("--exclude", a->exclude, "node names kept in float, comma separated");
  cmd->add_option("--json", a->json, "write a report (ranges, scales, counts, times) as JSON");
  cmd->callback([a] { exit_code() = quantize(*a); });
}

}  // namespace ez::cli
