#include "quant/analyze.h"

#include <chrono>

namespace ez::quant {

Result<AnalysisResult> analyze_dataset(LayerAnalyzer& analyzer, const DatasetList& list, const SampleLoader& load,
                                       const Progress& progress) {
  const auto t0 = std::chrono::steady_clock::now();
  if (analyzer.inputs().size() != 1)
    return unsupported("analysis of image lists supports models with one input; this one has " +
                       std::to_string(analyzer.inputs().size()));
  const IOInfo input = analyzer.inputs()[0];
  for (size_t i = 0; i < list.entries.size(); ++i) {
    const DatasetEntry& e = list.entries[i];
    const std::string where = "sample list '" + list.name + "' line " + std::to_string(e.line);
    auto x = load(e.path, input);
    if (!x.ok()) return x.status().with_context(where);
    std::vector<Tensor> inputs;
    inputs.push_back(std::move(*x));
    Status st = analyzer.add_sample(inputs);
    if (!st.ok()) return st.with_context(where + " ('" + e.path + "')");
    if (progress) progress(i + 1, list.entries.size());
  }
  AnalysisResult r;
  r.layers = analyzer.results();
  for (const auto& kv : analyzer.output_errors()) r.outputs.push_back({kv.first, kv.second.cosine(), kv.second.rel_error()});
  r.samples = analyzer.samples();
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

Result<AnalysisResult> analyze_models(const std::string& float_path, const std::string& quant_path, const DatasetList& list,
                                      const SampleLoader& load, const SessionOptions& options, const Progress& progress) {
  EZ_ASSIGN_OR_RETURN(std::unique_ptr<LayerAnalyzer> analyzer, LayerAnalyzer::create(float_path, quant_path, options));
  return analyze_dataset(*analyzer, list, load, progress);
}

}  // namespace ez::quant
