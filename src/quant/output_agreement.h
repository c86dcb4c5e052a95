// The float model's outputs on a sample list, kept so that candidate quantized models can be
// scored against them one after another (the --hybrid search tries several) without running the
// float model again. Sessions are optimised, with the caller's kernels: the score is what the
// quantized model will give when deployed.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "onnx/onnx_pb.h"
#include "quant/analyze.h"
#include "quant/calibrate.h"

namespace ez::quant {

struct Agreement {
  std::vector<OutputError> outputs;  // per model output, accumulated over the samples
  std::vector<double> sample_cosine;  // per sample: its worst output's cosine
  double min_cosine() const;         // the worst output's cosine (1 with no outputs)
  // The sample with the lowest cosine (-1 with no samples) and that cosine.
  int worst_sample() const;
  double worst_sample_cosine() const;
};

class OutputAgreement {
 public:
  // Runs the float model over `list` once. Inputs are kept too while the cache stays under
  // `cache_bytes`; beyond that they are loaded again for each candidate.
  static Result<std::unique_ptr<OutputAgreement>> create(const std::string& float_path, const DatasetList& list,
                                                         const SampleLoader& load, const SessionOptions& options,
                                                         size_t cache_bytes = size_t(1) << 30);
  // Runs `candidate` (weights resolved against `external_dir`) over the same samples (the first
  // `max_samples` of them).
  Result<Agreement> score(const onnx::ModelProto& candidate, const std::string& external_dir,
                          size_t max_samples = static_cast<size_t>(-1));
  // Same, for a session already made.
  Result<Agreement> score(Session& candidate, size_t max_samples = static_cast<size_t>(-1));

 private:
  OutputAgreement() = default;
  Result<Tensor> input(size_t sample);

  DatasetList list_;
  SampleLoader load_;
  SessionOptions options_;
  IOInfo input_;
  std::vector<std::string> output_names_;
  std::vector<std::vector<Tensor>> float_outputs_;  // [sample][output]
  std::vector<Tensor> inputs_;                      // [sample], empty when not cached
};

}  // namespace ez::quant
