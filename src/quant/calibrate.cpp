#include "quant/calibrate.h"

#include <sys/stat.h>

#include <chrono>
#include <sstream>

#include "core/file_util.h"
#include "onnx/onnx_import.h"

namespace ez::quant {

Result<DatasetList> read_dataset_list(const std::string& path) {
  auto text = read_file(path);
  if (!text.ok()) return text.status().with_context("calibration list");
  DatasetList list;
  list.name = path;
  const size_t slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  std::istringstream in(*text);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    const size_t b = line.find_first_not_of(" \t\r");
    if (b == std::string::npos || line[b] == '#') continue;
    const size_t e = line.find_last_not_of(" \t\r");
    std::string p = line.substr(b, e - b + 1);
    if (p[0] != '/') p = dir + p;
    struct stat st;
    if (stat(p.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
      return not_found("calibration list '" + path + "' line " + std::to_string(number) + ": no such file '" + p + "'");
    list.entries.push_back({p, number});
  }
  if (list.entries.empty()) return invalid_argument("calibration list '" + path + "' names no image or .npy file");
  return list;
}

Result<CalibrationResult> calibrate(const std::string& model_path, const std::vector<std::string>& tensors,
                                    const DatasetList& list, const SampleLoader& load, SessionOptions options,
                                    const Progress& progress) {
  const auto t0 = std::chrono::steady_clock::now();
  ImportOptions io;
  io.infer_shapes = false;
  EZ_ASSIGN_OR_RETURN(Graph g, import_onnx_file(model_path, io));
  if (g.inputs().size() != 1)
    return unsupported("calibration supports models with one input; '" + model_path + "' has " + std::to_string(g.inputs().size()));
  CalibrationResult r;
  const std::string input_name = g.value(g.inputs()[0]).name;
  bool want_input = false;
  std::vector<std::string> outputs;  // requested tensors read from session outputs
  for (const std::string& name : tensors) {
    const ValueId id = g.find_value(name);
    if (id == kNoValue) {
      r.missing.push_back(name);
      continue;
    }
    if (name == input_name) {
      want_input = true;
      continue;
    }
    bool already = false;
    for (ValueId o : g.outputs()) already |= o == id;
    if (already) {
      outputs.push_back(name);
      continue;
    }
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
    outputs.push_back(name);
  }
  options.optimize = false;
  EZ_ASSIGN_OR_RETURN(std::unique_ptr<Session> session, Session::from_graph(std::move(g), options));
  const IOInfo& input = session->inputs()[0];
  std::vector<int> out_index;
  for (const std::string& name : outputs) {
    out_index.push_back(session->output_index(name + "__ez_calibration"));
    if (out_index.back() < 0) out_index.back() = session->output_index(name);
  }
  if (want_input && input.desc.dtype != DType::kFloat32) {
    r.skipped[input_name] = input.desc.dtype;
    want_input = false;
  }
  for (size_t k = 0; k < outputs.size(); ++k) {
    const DType t = session->outputs()[out_index[k]].desc.dtype;
    if (t != DType::kFloat32) r.skipped[outputs[k]] = t;
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
    // Tensors are independent: histogram them in parallel (the binning is the costly part).
    const int n = static_cast<int>(outputs.size()) + (want_input ? 1 : 0);
#pragma omp parallel for schedule(dynamic)
    for (int k = 0; k < n; ++k) {
      const bool is_input = k == static_cast<int>(outputs.size());
      const std::string& name = is_input ? input_name : outputs[k];
      const Tensor& t = is_input ? *x : session->output(out_index[k]);
      if (t.dtype() != DType::kFloat32) continue;
      TensorHistogram* h;
#pragma omp critical(ez_calib_map)
      h = &r.stats[name];
      h->add(t.data<float>(), t.numel());
    }
    r.samples = i + 1;
    if (progress) progress(i + 1, list.entries.size());
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace ez::quant
