// edgezoo convert MODEL -o OUT.onnx [--mean ... --std ... --rgb|--bgr]: the float model made ready
// for deployment, as RKNN-Toolkit2's config(mean_values, std_values) + export_rknn: the model is
// checked to load and plan, and its pre-processing (the zoo family's, or the one given) is written
// into its metadata for the RKNN-compatible runtime. Thin: the metadata helper is sample_input's.
#include <cstdio>

#include "onnx/model_file.h"
#include "runtime/session.h"
#include "tools/edgezoo/cli.h"
#include "tools/edgezoo/sample_input.h"

namespace ez::cli {
namespace {

struct ConvertArgs : ModelArgs {
  SampleArgs samples;
  std::string output;
};

int convert(const ConvertArgs& a) {
  auto opts = a.session_options();
  if (!opts.ok()) return report(opts.status());
  auto session = Session::load_file(a.model, *opts);  // a model that does not run is not converted
  if (!session.ok()) return report(session.status());
  auto pre = choose_preprocess(a.samples, a.model, *opts);
  if (!pre.ok()) return report(pre.status());
  auto model = read_model_proto(a.model);
  if (!model.ok()) return report(model.status());
  write_preprocess_metadata(&*model, *pre);
  Status st = save_model_proto(*model, a.output);
  if (!st.ok()) return report(st);
  for (const auto& kv : model->metadata_props())
    if (kv.key().rfind("rknn.", 0) == 0) std::printf("%-20s %s\n", kv.key().c_str(), kv.value().c_str());
  std::printf("wrote %s\n", a.output.c_str());
  return 0;
}

}  // namespace

void add_convert(CLI::App& app) {
  auto* cmd = app.add_subcommand("convert", "write a model's pre-processing into it for the RKNN-compatible runtime (librknnrt)");
  auto a = std::make_shared<ConvertArgs>();
  a->add_to(cmd);
  a->samples.add_to(cmd, false);
  cmd->add_option("-o,--output", a->output, "the model to write")->required();
  cmd->callback([a] { exit_code() = convert(*a); });
}

}  // namespace ez::cli
