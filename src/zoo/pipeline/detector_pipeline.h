// The whole detection pipeline for one model: image -> letterbox -> input tensor -> Session ->
// family decoder -> NMS -> boxes on the original image, with the time of each stage. The family
// and export layout are detected from the model's outputs (or forced with `family`).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "runtime/session.h"
#include "vision/image.h"
#include "vision/letterbox.h"
#include "vision/tensor_fill.h"
#include "zoo/common/detection.h"
#include "zoo/layout/model_layout.h"

namespace ez::zoo {

struct DetectorOptions {
  SessionOptions session;
  std::string family;        // "" = detect from the outputs; else a value of accepted_family_values()
  std::string anchors_file;  // anchor-based heads: overrides the family's default anchors
  DecodeOptions decode;
};

struct StageTimes {
  double decode_ms = 0, preprocess_ms = 0, inference_ms = 0, postprocess_ms = 0;
  double total_ms() const { return decode_ms + preprocess_ms + inference_ms + postprocess_ms; }
};

struct ImageResult {
  std::vector<Detection> detections;  // corners in original-image pixels, best first
  std::vector<Warning> warnings;
  StageTimes times;
};

class Detector {
 public:
  static Result<std::unique_ptr<Detector>> create(const std::string& model_path, const DetectorOptions& options);

  const ModelLayout& layout() const { return layout_; }
  Session& session() { return *session_; }
  int input_width() const { return layout_.input_width; }
  int input_height() const { return layout_.input_height; }

  // Pre-processing, inference and post-processing of a decoded image. With `model_outputs`, the
  // inference is not run: those tensors (by output name) are decoded instead — outputs computed
  // by another engine or dumped on a board, put through exactly the same pre/post-processing.
  Result<ImageResult> detect(const vision::Image& image, const std::vector<NamedTensor>* model_outputs = nullptr);
  // Reads and decodes the file too (timed as decode_ms). A JPEG is letterboxed and put into the
  // input tensor band by band while it decodes (on one helper thread; same pixels), so
  // preprocess_ms is then only the part left after decoding.
  Result<ImageResult> detect_file(const std::string& path, vision::Image* decoded = nullptr,
                                  const std::vector<NamedTensor>* model_outputs = nullptr);
  // The input tensor of the last detect() (what the model was fed).
  Tensor last_input() { return session_->input_buffer(0); }

 private:
  Detector() = default;
  vision::LetterboxParams letterbox_params() const;
  vision::TensorFillParams fill_params() const;
  // Inference on the filled input tensor (or the given outputs), then the family decoder, NMS
  // and the mapping back to the image `info` letterboxed.
  Status infer_and_decode(const vision::LetterboxInfo& info, const std::vector<NamedTensor>* model_outputs, ImageResult* r);
  std::unique_ptr<Session> session_;
  ModelLayout layout_;
  PreprocessSpec preprocess_;
  DecodeOptions decode_;
  vision::Image canvas_;  // letterbox buffer reused across images
  ThreadPool pool_{1};    // the session's thread count, for the letterbox resize and tensor fill
};

}  // namespace ez::zoo
