// Post-training static quantization of an ONNX model: plan the QDQ placement, calibrate the
// activations on a dataset, write a standard QDQ ONNX model (ONNX Runtime and Netron open it).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "quant/calib_range.h"
#include "quant/calibrate.h"

namespace ez::quant {

struct QuantizeOptions {
  RangeOptions range;
  bool per_channel = true;
  std::set<std::string> exclude;  // node names kept in float
  SessionOptions session;         // input shapes and threads for calibration
};

struct TensorReport {
  std::string name;
  float min = 0, max = 0;  // seen during calibration
  Range range;             // chosen by the algorithm
  QuantParams params;
};

struct QuantizeReport {
  int opset_before = 0, opset_after = 0;
  int quantizable_nodes = 0;  // planned
  int nodes = 0, activations = 0, weights = 0, biases = 0;  // written
  size_t samples = 0;
  double calibration_s = 0, total_s = 0;
  std::vector<TensorReport> tensors;
  std::vector<std::string> notes;  // what stayed in float and why
};

// Reads `model_path`, writes `output_path` atomically (nothing is written on error).
Result<QuantizeReport> quantize_model(const std::string& model_path, const std::string& output_path,
                                      const DatasetList& dataset, const SampleLoader& load, const QuantizeOptions& options,
                                      const Progress& progress = nullptr);

}  // namespace ez::quant
