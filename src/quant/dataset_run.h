// Runs a float model over a calibration list and hands chosen tensors of every sample to a
// visitor: the pass that calibration (histograms) and the quantization-error measurement (per
// channel means) share.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "quant/calibrate.h"
#include "runtime/session.h"

namespace ez::quant {

// Called with the index of a requested tensor (in the `tensors` order) and its value for the
// current sample. Calls for different tensors may run concurrently; one tensor's calls come one
// sample after the other.
using TensorVisitor = std::function<void(size_t tensor, const Tensor& value)>;

struct DatasetRunResult {
  std::vector<bool> visited;       // per requested tensor: float and found (the visitor sees it)
  std::map<std::string, DType> skipped;  // requested tensors that are not float (their dtype)
  std::vector<std::string> missing;      // requested tensors the model does not have
  double seconds = 0;
  size_t samples = 0;
};

// Runs the model unoptimised (so every requested tensor survives as an output) with `options`
// (input shapes, threads). The model must have one input. Errors name the list line.
Result<DatasetRunResult> run_dataset(const std::string& model_path, const std::vector<std::string>& tensors,
                                     const DatasetList& list, const SampleLoader& load, SessionOptions options,
                                     const TensorVisitor& visit, const Progress& progress = nullptr);

}  // namespace ez::quant
