// edgezoo info MODEL: inputs, outputs, opset, operator counts, parameters, MACs.
#include <cstdio>

#include "onnx/onnx_import.h"
#include "runtime/model_info.h"
#include "tools/edgezoo/cli.h"

namespace ez::cli {
namespace {

std::string io_line(const Value& v) {
  std::string dims = "[";
  for (size_t d = 0; d < v.desc.shape.size(); ++d) {
    if (d) dims += ",";
    const bool named = d < v.dim_names.size() && !v.dim_names[d].empty();
    dims += v.desc.shape[d] >= 0 ? std::to_string(v.desc.shape[d]) : (named ? v.dim_names[d] : "?");
  }
  return std::string(dtype_name(v.desc.dtype)) + dims + "]";
}

int run_info(const ModelArgs& args) {
  auto graph = import_onnx_file(args.model);
  if (!graph.ok()) return report(graph.status());
  std::printf("model     %s\n", args.model.c_str());
  std::printf("opset     %d%s%s\n", graph->opset, graph->producer.empty() ? "" : "   producer ", graph->producer.c_str());
  for (ValueId id : graph->inputs()) std::printf("input     %-24s %s\n", graph->value(id).name.c_str(), io_line(graph->value(id)).c_str());
  for (ValueId id : graph->outputs()) std::printf("output    %-24s %s\n", graph->value(id).name.c_str(), io_line(graph->value(id)).c_str());

  auto opts = args.session_options();
  if (!opts.ok()) return report(opts.status());
  Graph planned_copy = graph.value();
  auto session = Session::from_graph(std::move(planned_copy), *opts);
  ModelFigures f = model_figures(graph.value(), session.ok() ? (*session)->graph() : graph.value());
  if (!session.ok()) f.macs = -1;
  std::printf("params    %lld (%.2f M)\n", static_cast<long long>(f.parameters), f.parameters / 1e6);
  if (f.macs >= 0)
    std::printf("MACs      %lld (%.2f G)\n", static_cast<long long>(f.macs), f.macs / 1e9);
  else
    std::printf("MACs      unknown (%s)\n", session.ok() ? "data-dependent shapes" : session.status().to_string().c_str());
  if (session.ok()) {
    const SessionStats& st = (*session)->stats();
    std::printf("memory    activations %.2f MB (without reuse %.2f MB), weights %.2f MB\n", st.arena_bytes / 1e6,
                st.naive_bytes / 1e6, st.constant_bytes / 1e6);
  }
  std::printf("operators");
  int total = 0;
  for (const auto& kv : f.op_counts) total += kv.second;
  std::printf(" %d nodes\n", total);
  for (const auto& kv : f.op_counts)
    std::printf("  %-24s %4d%s\n", kv.first.c_str(), kv.second, ops::is_supported_op(kv.first) ? "" : "   (not supported)");
  return 0;
}

}  // namespace

void add_info(CLI::App& app) {
  auto* cmd = app.add_subcommand("info", "print a model's inputs, outputs, operators, parameters and MACs");
  auto args = std::make_shared<ModelArgs>();
  args->add_to(cmd);
  cmd->callback([args] { exit_code() = run_info(*args); });
}

}  // namespace ez::cli
