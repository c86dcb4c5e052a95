// Post-training static quantization of an ONNX model: plan the QDQ placement, calibrate the
// activations on a dataset, write a standard QDQ ONNX model (ONNX Runtime and Netron open it).
// Two stages, so that a caller trying several sets of float-kept nodes (hybrid search) calibrates
// once: calibrate_model() gathers the ranges, build_qdq_model() writes a QDQ model from them.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "onnx/onnx_pb.h"
#include "quant/calib_range.h"
#include "quant/calibrate.h"
#include "quant/quant_error.h"

namespace ez::quant {

// The model input a picture of nothing but the letterbox fill gives, pre-processed as the
// samples are (fill_align.h).
using FillInput = std::function<Result<Tensor>(const IOInfo& input)>;

struct QuantizeOptions {
  RangeOptions range;
  bool per_channel = true;
  // Per-channel scales in front of the quantizer of activations read only by depthwise
  // convolutions, where they at least halve the expected error (channel_equalize.h).
  bool equalize = true;
  // Subtract from each Conv/Gemm bias the output shift its quantization causes, measured in a
  // second pass over the dataset (bias_correction.h).
  bool bias_correction = true;
  std::set<std::string> exclude;  // node names kept in float
  // Node names whose activation inputs get 16 bits (uint16, or int16 with ActType::kInt8Symmetric)
  // over their calibrated [min, max] (no clipping: the step is already 256 times finer), written as
  // ONNX Runtime's com.microsoft QuantizeLinear/DequantizeLinear (the standard ops take 16-bit
  // types only from opset 21). Those nodes compute in float on the dequantized values; their
  // weights stay int8, their biases float. Mixed precision between int8 and --exclude: the layers
  // whose 8-bit input steps cost the most accuracy (yolox_nano's first depthwise block).
  // A node in --exclude as well stays in float.
  std::set<std::string> int16;
  SessionOptions session;         // input shapes and threads for calibration
  // When given (letterboxed inputs), the quantizers of the activations that are constant under a
  // wide fill bar put those constants on levels (fill_align.h).
  FillInput fill_input;
};

struct TensorReport {
  std::string name;
  float min = 0, max = 0;  // seen during calibration
  Range range;             // chosen by the algorithm
  QuantParams params;      // as written (of the scaled tensor when equalized)
  std::vector<float> channel_scale;  // equalization: x_c * channel_scale[c] is quantized; empty: none
  double error_before = 0, error_after = 0;  // equalization's expected weighted errors (0: not tried)
  int bits = 8;                      // 16: read by a QuantizeOptions::int16 node (params on [min, max])
};

struct QuantizeReport {
  int opset_before = 0, opset_after = 0;
  int quantizable_nodes = 0;  // planned
  int nodes = 0, activations = 0, weights = 0, biases = 0;  // written
  int int16_activations = 0;  // of `activations`, with 16 bits
  std::vector<std::string> quantized;  // names of the nodes written quantized, in graph order
  // Of those, the ones reading 16-bit activations: the int16 nodes asked for, and any other reader
  // of the same tensors (one quantizer per tensor).
  std::vector<std::string> int16;
  int equalized = 0, corrected_biases = 0;
  int fill_aligned = 0;  // activations whose quantizer was nudged onto the letterbox fill's constants
  size_t samples = 0;
  double calibration_s = 0, total_s = 0;
  double error_pass_s = 0;  // the second pass measuring the quantization error (bias correction)
  std::vector<TensorReport> tensors;
  std::vector<std::string> notes;  // what stayed in float and why
};

// The float model made ready for QDQ writing, with the range of every activation that a QDQ model
// of it (with options.exclude or more nodes in float) can need.
struct CalibratedModel {
  onnx::ModelProto model;    // float, every node named, opset raised
  std::string external_dir;  // the source model's folder, for external weights
  QuantizeOptions options;
  std::map<std::string, TensorReport> ranges;  // calibrated activations by name
  std::map<std::string, ChannelErrorStats> errors;  // measured per-channel error, for bias correction
  QuantizeReport report;     // opsets, samples, calibration time, calibration notes
};

// `error_progress` follows the second pass (bias correction).
Result<CalibratedModel> calibrate_model(const std::string& model_path, const DatasetList& dataset, const SampleLoader& load,
                                        const QuantizeOptions& options, const Progress& progress = nullptr,
                                        const Progress& error_progress = nullptr);

struct QdqModel {
  onnx::ModelProto model;
  QuantizeReport report;
};

// The QDQ model with `extra_exclude` kept in float besides options.exclude and `extra_int16` with
// 16-bit inputs besides options.int16; ranges are the calibrated ones (no new calibration).
// Errors: an unknown node name, nothing left to quantize.
Result<QdqModel> build_qdq_model(const CalibratedModel& calibrated, const std::set<std::string>& extra_exclude = {},
                                 const std::set<std::string>& extra_int16 = {});

// Both stages and the write: reads `model_path`, writes `output_path`.
Result<QuantizeReport> quantize_model(const std::string& model_path, const std::string& output_path,
                                      const DatasetList& dataset, const SampleLoader& load, const QuantizeOptions& options,
                                      const Progress& progress = nullptr);

}  // namespace ez::quant
