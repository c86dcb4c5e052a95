// edgezoo analyze FLOAT.onnx QUANT.onnx --dataset LIST [--json F] [--plot F.png] [--top N]: where
// does the int8 model lose accuracy? Per layer, isolated and accumulated cosine / relative error
// against the float model over a sample list pre-processed exactly as `quantize` does. Thin: the
// analysis is src/quant/analyze.h, the pre-processing sample_input.h, the picture analysis_plot.h.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/file_util.h"
#include "quant/analysis_report.h"
#include "quant/analyze.h"
#include "quant/output_agreement.h"
#include "tools/edgezoo/analysis_plot.h"
#include "tools/edgezoo/cli.h"
#include "tools/edgezoo/sample_input.h"
#include "vision/image_io.h"

namespace ez::cli {
namespace {

struct AnalyzeArgs : ModelArgs {
  std::string quant_model, json, plot;
  SampleArgs samples;
  int top = 20;
};

std::string file_name(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

int analyze(AnalyzeArgs& a) {
  auto opts = a.session_options();
  if (!opts.ok()) return report(opts.status());
  if (a.top < 0) return report(invalid_argument("--top must be >= 0 (0 shows every layer)"));
  if (!a.plot.empty() && vision::format_from_extension(a.plot) != vision::ImageFormat::kPng)
    return report(invalid_argument("--plot writes a PNG: give a file name ending in .png, not '" + a.plot + "'"));
  auto dataset = quant::read_dataset_list(a.samples.dataset);
  if (!dataset.ok()) return report(dataset.status());
  auto pre = choose_preprocess(a.samples, a.model, *opts);
  if (!pre.ok()) return report(pre.status().with_context("float model"));
  std::printf("analysis: %s vs %s, %zu samples, %s\n", file_name(a.model).c_str(), file_name(a.quant_model).c_str(),
              dataset->entries.size(), pre->what.c_str());
  std::fflush(stdout);
  const quant::SampleLoader loader = sample_loader(*pre);
  auto r = quant::analyze_models(a.model, a.quant_model, *dataset, loader, *opts, progress_printer("analyzing"));
  if (!r.ok()) return report(r.status());

  // The analysis runs unoptimised sessions (every tensor kept, Q/DQ computed as written); the
  // deployed model runs optimised (fused, int8 kernels where the QDQ patterns allow). Both output
  // figures are shown, so a gap between them points at the runtime rather than the quantization.
  auto agreement = quant::OutputAgreement::create(a.model, *dataset, loader, *opts);
  if (!agreement.ok()) return report(agreement.status());
  auto session = Session::load_file(a.quant_model, *opts);
  if (!session.ok()) return report(session.status().with_context("quantized model"));
  auto deployed = (*agreement)->score(**session);
  if (!deployed.ok()) return report(deployed.status());

  std::fputs(quant::format_analysis_table(*r, a.top).c_str(), stdout);
  for (const quant::OutputError& o : deployed->outputs)
    std::printf("output '%s' as deployed (optimised session, %s kernels): cosine %.6f, relative error %.5f\n", o.name.c_str(),
                a.reference ? "reference" : "fast", o.cosine, o.rel_error);
  const int worst = deployed->worst_sample();
  if (worst >= 0)
    std::printf("worst sample: line %d '%s', output cosine %.6f\n", dataset->entries[worst].line,
                dataset->entries[worst].path.c_str(), deployed->worst_sample_cosine());
  std::printf("analysis %.1f s over %d samples\n", r->seconds, r->samples);
  if (!a.json.empty()) {
    nlohmann::json j = quant::analysis_json(*r);
    j["float_model"] = a.model;
    j["quant_model"] = a.quant_model;
    j["dataset"] = a.samples.dataset;
    j["preprocess"] = pre->what;
    j["kernels"] = a.reference ? "reference" : "fast";
    nlohmann::json outs = nlohmann::json::array();
    for (const quant::OutputError& o : deployed->outputs)
      outs.push_back({{"name", o.name}, {"cosine", o.cosine}, {"rel_error", o.rel_error}});
    j["outputs_deployed"] = outs;
    nlohmann::json per = nlohmann::json::array();
    for (size_t i = 0; i < deployed->sample_cosine.size(); ++i)
      per.push_back({{"path", dataset->entries[i].path}, {"cosine", deployed->sample_cosine[i]}});
    j["samples_deployed"] = per;
    Status st = write_file_atomic(a.json, j.dump(1) + "\n");
    if (!st.ok()) return report(st);
    std::printf("wrote %s\n", a.json.c_str());
  }
  if (!a.plot.empty()) {
    const std::string title = "int8 damage per layer, " + file_name(a.quant_model) + " vs " + file_name(a.model);
    auto img = render_analysis_plot(*r, a.top > 0 ? a.top : 20, title);
    if (!img.ok()) return report(img.status());
    Status st = vision::write_image(a.plot, *img);
    if (!st.ok()) return report(st);
    std::printf("wrote %s\n", a.plot.c_str());
  }
  return 0;
}

}  // namespace

void add_analyze(CLI::App& app) {
  auto* cmd = app.add_subcommand("analyze", "per-layer accuracy of a quantized model against its float original (table, JSON, plot)");
  auto a = std::make_shared<AnalyzeArgs>();
  a->add_to(cmd);  // positional 1: the float model
  cmd->add_option("quantized", a->quant_model, "the quantized (QDQ) model, e.g. written by `edgezoo quantize`")->required();
  a->samples.add_to(cmd);
  cmd->add_option("--json", a->json, "write every figure (all layers, outputs) as JSON");
  cmd->add_option("--plot", a->plot, "write a PNG bar chart of the most damaged layers");
  cmd->add_option("--top", a->top, "layers shown in the table and the plot, most damaged first (default 20; 0: all in the table)");
  cmd->callback([a] { exit_code() = analyze(*a); });
}

}  // namespace ez::cli
