// Calibration: run the float model over a dataset and gather statistics of chosen tensors.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "quant/histogram.h"
#include "runtime/session.h"

namespace ez::quant {

// One line of a calibration list: an image or .npy path (resolved against the list's folder).
struct DatasetEntry {
  std::string path;
  int line = 0;
};
struct DatasetList {
  std::string name;  // the list file, for messages
  std::vector<DatasetEntry> entries;
};

// One path a line; blank lines and lines starting with '#' are skipped. Errors: unreadable list,
// empty list, a named file that does not exist (with its line number) — checked up front so a
// long calibration does not fail at its last image.
Result<DatasetList> read_dataset_list(const std::string& path);

// Turns one entry into the model's input tensor (decode + pre-process, or read a .npy). Supplied
// by the caller: pre-processing belongs to the model family, which this layer does not know.
// `input` is the model's (only) input as planned.
using SampleLoader = std::function<Result<Tensor>(const std::string& path, const IOInfo& input)>;
using Progress = std::function<void(size_t done, size_t total)>;

struct CalibrationResult {
  std::map<std::string, TensorHistogram> stats;  // float tensors only
  // Per channel (axis 1), for the tensors asked for: TensorHistogram(kChannelBins) each.
  std::map<std::string, std::vector<TensorHistogram>> channels;
  std::map<std::string, DType> skipped;          // requested tensors that are not float (their dtype)
  std::vector<std::string> missing;              // requested tensors the model does not have
  double seconds = 0;
  size_t samples = 0;
};

constexpr int kChannelBins = 1024;

// Runs the model unoptimised (so every requested tensor survives as an output) with `options`
// (input shapes, threads). The model must have one input. `per_channel` names tensors (of rank
// >= 2, among `tensors`) that also get a histogram per channel along axis 1.
Result<CalibrationResult> calibrate(const std::string& model_path, const std::vector<std::string>& tensors,
                                    const DatasetList& list, const SampleLoader& load, SessionOptions options,
                                    const Progress& progress = nullptr, const std::set<std::string>& per_channel = {});

}  // namespace ez::quant
