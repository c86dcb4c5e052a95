#include "quant/dataset_run.h"

#include <chrono>

#include "onnx/onnx_import.h"

namespace ez::quant {

Result<DatasetRunResult> run_dataset(const std::string& model_path, const std::vector<std::string>& tensors,
                                     const DatasetList& list, const SampleLoader& load, SessionOptions options,
                                     const TensorVisitor& visit, const Progress& progress) {
  const auto t0 = std::chrono::steady_clock::now();
  ImportOptions io;
  io.infer_shapes = false;
  EZ_ASSIGN_OR_RETURN(Graph g, import_onnx_file(model_path, io));
  if (g.inputs().size() != 1)
    return unsupported("calibration supports models with one input; '" + model_path + "' has " + std::to_string(g.inputs().size()));
  DatasetRunResult r;
  r.visited.assign(tensors.size(), false);
  const std::string input_name = g.value(g.inputs()[0]).name;
  int input_tensor = -1;           // index of the model input among `tensors`, if requested
  std::vector<size_t> requested;   // indices (in `tensors`) read from session outputs
  std::vector<std::string> outputs;
  for (size_t k = 0; k < tensors.size(); ++k) {
    const std::string& name = tensors[k];
    const ValueId id = g.find_value(name);
    if (id == kNoValue) {
      r.missing.push_back(name);
      continue;
    }
    if (name == input_name) {
      input_tensor = static_cast<int>(k);
      continue;
    }
    requested.push_back(k);
    outputs.push_back(name);
    bool already = false;
    for (ValueId o : g.outputs()) already |= o == id;
    if (already) continue;
    // Read through a copy: making the value itself a graph output crashes the unoptimised
    // runtime on some models (ppocrv4_rec: a broadcast Add reads a bad buffer), and a copy keeps
    // the value an ordinary intermediate for the memory plan.
    Value copy;
    copy.name = name + "__ez_calibration";
    copy.desc = g.value(id).desc;
    Node identity;
    identity.name = copy.name;
    identity.op_type = "Identity";
    identity.inputs = {id};
    identity.outputs = {g.add_value(std::move(copy))};
    g.outputs().push_back(identity.outputs[0]);
    g.nodes().push_back(std::move(identity));
  }
  options.optimize = false;
  EZ_ASSIGN_OR_RETURN(std::unique_ptr<Session> session, Session::from_graph(std::move(g), options));
  const IOInfo& input = session->inputs()[0];
  std::vector<int> out_index;
  for (const std::string& name : outputs) {
    out_index.push_back(session->output_index(name + "__ez_calibration"));
    if (out_index.back() < 0) out_index.back() = session->output_index(name);
  }
  if (input_tensor >= 0 && input.desc.dtype != DType::kFloat32) {
    r.skipped[input_name] = input.desc.dtype;
  } else if (input_tensor >= 0) {
    r.visited[input_tensor] = true;
  }
  for (size_t k = 0; k < outputs.size(); ++k) {
    const DType t = session->outputs()[out_index[k]].desc.dtype;
    if (t != DType::kFloat32) r.skipped[outputs[k]] = t;
    else r.visited[requested[k]] = true;
  }
  for (size_t i = 0; i < list.entries.size(); ++i) {
    const DatasetEntry& e = list.entries[i];
    const std::string where = "calibration list '" + list.name + "' line " + std::to_string(e.line);
    auto x = load(e.path, input);
    if (!x.ok()) return x.status().with_context(where);
    Status st = session->set_input(0, *x);
    if (!st.ok()) return st.with_context(where + " ('" + e.path + "')");
    st = session->run();
    if (!st.ok()) return st.with_context(where + " ('" + e.path + "')");
    // Tensors are independent: visit them in parallel (histogram binning is the costly part).
    const int n = static_cast<int>(outputs.size()) + (input_tensor >= 0 ? 1 : 0);
#pragma omp parallel for schedule(dynamic)
    for (int k = 0; k < n; ++k) {
      const bool is_input = k == static_cast<int>(outputs.size());
      const size_t index = is_input ? static_cast<size_t>(input_tensor) : requested[k];
      if (!r.visited[index]) continue;
      const Tensor& t = is_input ? *x : session->output(out_index[k]);
      if (t.dtype() == DType::kFloat32) visit(index, t);
    }
    r.samples = i + 1;
    if (progress) progress(i + 1, list.entries.size());
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace ez::quant
