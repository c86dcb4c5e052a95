// edgezoo convert MODEL -o OUT.onnx [--shape NAME=DIMS] [--mean ... --std ... --rgb|--bgr]: the float
// model made ready for deployment, as RKNN-Toolkit2's config(mean_values, std_values) + build +
// export_rknn: the model is checked to load and plan (with --shape, which also fixes those input
// shapes in the written model), and its pre-processing (the zoo family's, or the one given) is
// written into its metadata for the RKNN-compatible runtime. Thin: the metadata helper is
// sample_input's.
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
  auto pre = choose_preprocess(a.samples, **session, a.model);
  if (!pre.ok()) return report(pre.status());
  auto model = read_model_proto(a.model);
  if (!model.ok()) return report(model.status());
  // --shape NAME=DIMS: fixed into the model's input (an .rknn model's shapes are fixed too).
  for (const auto& kv : opts->input_shapes) {
    for (auto& in : *model->mutable_graph()->mutable_input()) {
      if (in.name() != kv.first) continue;
      auto* shape = in.mutable_type()->mutable_tensor_type()->mutable_shape();
      shape->clear_dim();
      for (int64_t d : kv.second) shape->add_dim()->set_dim_value(d);
    }
  }
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
