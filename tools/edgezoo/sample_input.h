// How the images of a calibration list become model inputs, shared by `quantize` and `analyze`
// so that both see exactly the same tensors: the model family's pre-processing when the zoo
// knows the model, else the user's --mean/--std/--rgb/--bgr. Lives with the command line because
// it joins layers the quant library must not know (vision, zoo).
#pragma once

#include <string>
#include <vector>

#include "onnx/onnx_pb.h"
#include "quant/calibrate.h"
#include "quant/quantize.h"
#include "runtime/session.h"
#include "tools/edgezoo/cli.h"
#include "zoo/layout/model_layout.h"

namespace ez::cli {

// The pre-processing options, as given on the command line.
struct SampleArgs {
  std::string dataset;
  std::vector<float> mean, std;
  bool rgb = false, bgr = false;
  void add_to(CLI::App* cmd, bool with_dataset = true);
};

struct Preprocess {
  zoo::PreprocessSpec spec;
  std::string what;  // for the terminal
};

// Chooses the pre-processing for `model` (its family's, or the manual one from `args`); loads the
// model only when `args` give none.
Result<Preprocess> choose_preprocess(const SampleArgs& args, const std::string& model, const SessionOptions& opts);
// The same for a model already loaded (`hint`: its path, which helps the zoo tell families apart).
Result<Preprocess> choose_preprocess(const SampleArgs& args, const Session& session, const std::string& hint);

// RKNN-Toolkit2 bakes the normalisation into an .rknn model; edgezoo writes it into the ONNX
// model's metadata, where its RKNN-compatible runtime (include/edgezoo/rknn_api.h) applies it to
// rknn_inputs_set buffers: rknn.mean_values / rknn.std_values in pixel units, and what the input
// expects (channel order, letterbox) in rknn.custom_string.
void write_preprocess_metadata(onnx::ModelProto* model, const Preprocess& pre);

// Decodes and pre-processes an image, or reads a .npy tensor that must match `input`.
Result<Tensor> load_sample(const std::string& path, const IOInfo& input, const Preprocess& pre);

// A picture of nothing but the letterbox fill, pre-processed (quant::QuantizeOptions::fill_input);
// nullptr when the pre-processing does not letterbox.
quant::FillInput fill_input(const Preprocess& pre);

// A loader for quant::calibrate and the analysis.
quant::SampleLoader sample_loader(const Preprocess& pre);

// Progress on stderr: a bar on a terminal, a line every tenth otherwise, each starting with `what`
// ("calibrating", "analyzing"), so scripts can tell progress from errors.
quant::Progress progress_printer(const std::string& what);

}  // namespace ez::cli
