// `edgezoo analyze` as a library call: a LayerAnalyzer run over a sample list, with the figures
// the command prints and --hybrid ranks layers by.
#pragma once

#include <string>
#include <vector>

#include "quant/calibrate.h"
#include "quant/layer_analysis.h"

namespace ez::quant {

struct OutputError {
  std::string name;
  double cosine = 1, rel_error = 0;
};

struct AnalysisResult {
  std::vector<LayerError> layers;    // most damaging first (LayerAnalyzer::results())
  std::vector<OutputError> outputs;  // the models' final outputs, in model order
  int samples = 0;
  double seconds = 0;
};

// Feeds every entry of `list` (through `load`, against the float model's input) to `analyzer`.
// Errors name the list line of the sample that failed.
Result<AnalysisResult> analyze_dataset(LayerAnalyzer& analyzer, const DatasetList& list, const SampleLoader& load,
                                       const Progress& progress = nullptr);

// Both models from files (the quantized one must keep the float one's tensor names, as
// `edgezoo quantize` and ONNX Runtime's quantizer do).
Result<AnalysisResult> analyze_models(const std::string& float_path, const std::string& quant_path, const DatasetList& list,
                                      const SampleLoader& load, const SessionOptions& options,
                                      const Progress& progress = nullptr);

}  // namespace ez::quant
