#include "zoo/pipeline/detector_pipeline.h"

#include <algorithm>
#include <chrono>

#include "vision/image_io.h"
#include "core/file_util.h"
#include "vision/letterbox.h"
#include "vision/letterbox_stream.h"
#include "vision/tensor_fill.h"
#include "zoo/common/letterbox_mapping.h"
#include "zoo/detector.h"
#include "zoo/yolov5/anchors.h"

namespace ez::zoo {
namespace {

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

Result<std::unique_ptr<Detector>> Detector::create(const std::string& model_path, const DetectorOptions& options) {
  std::unique_ptr<Detector> d(new Detector());
  EZ_ASSIGN_OR_RETURN(d->session_, Session::load_file(model_path, options.session));
  const Session& s = *d->session_;
  d->pool_ = ThreadPool(s.num_threads());
  if (s.inputs().size() != 1)
    return unsupported("'" + model_path + "' has " + std::to_string(s.inputs().size()) +
                       " inputs; a detector takes one image input");
  const TensorDesc& in = s.inputs()[0].desc;
  if (in.dtype != DType::kFloat32 || in.shape.size() != 4 || in.shape[0] != 1 || in.shape[1] != 3)
    return unsupported("'" + model_path + "' input '" + s.inputs()[0].name + "' is " + in.to_string() +
                       "; a detector needs float32[1,3,H,W]");
  LayoutQuery q;
  for (const IOInfo& o : s.outputs()) q.outputs.push_back({o.name, o.desc.shape});
  q.input_width = static_cast<int>(in.shape[3]);
  q.input_height = static_cast<int>(in.shape[2]);
  q.family = options.family;
  q.hint = model_path;
  auto desc = s.graph().metadata.find("description");
  if (desc != s.graph().metadata.end()) q.hint += " " + desc->second;
  EZ_ASSIGN_OR_RETURN(d->layout_, detect_layout(q));
  d->preprocess_ = preprocess_for(d->layout_.family);
  d->decode_ = options.decode;
  if (!options.anchors_file.empty()) {
    EZ_ASSIGN_OR_RETURN(d->decode_.anchors, load_anchors(options.anchors_file));
  }
  return d;
}

vision::LetterboxParams Detector::letterbox_params() const {
  vision::LetterboxParams lp;
  lp.target_w = layout_.input_width;
  lp.target_h = layout_.input_height;
  lp.fill = static_cast<uint8_t>(preprocess_.fill);
  return lp;
}

vision::TensorFillParams Detector::fill_params() const {
  vision::TensorFillParams fill;
  fill.order = preprocess_.bgr ? vision::ChannelOrder::kBGR : vision::ChannelOrder::kRGB;
  fill.scale = preprocess_.scale;
  for (int c = 0; c < 3; ++c) {
    fill.mean[c] = preprocess_.mean[c];
    fill.std[c] = preprocess_.std[c];
  }
  return fill;
}

Result<ImageResult> Detector::detect(const vision::Image& image, const std::vector<NamedTensor>* model_outputs) {
  ImageResult r;
  const auto t0 = std::chrono::steady_clock::now();
  vision::LetterboxInfo info;
  EZ_RETURN_IF_ERROR(vision::letterbox_into(image, letterbox_params(), &canvas_, &info, vision::ResizeMethod::kAuto, &pool_));
  Tensor input = session_->input_buffer(0);  // written in place: no extra copy
  EZ_RETURN_IF_ERROR(vision::write_input_tensor(canvas_, input.data<float>(), fill_params(), &pool_));
  r.times.preprocess_ms = ms_since(t0);
  EZ_RETURN_IF_ERROR(infer_and_decode(info, model_outputs, &r));
  return r;
}

Status Detector::infer_and_decode(const vision::LetterboxInfo& info, const std::vector<NamedTensor>* model_outputs,
                                  ImageResult* r) {
  std::vector<NamedTensor> outputs;
  if (model_outputs) {
    for (const IOInfo& o : session_->outputs()) {
      auto it = std::find_if(model_outputs->begin(), model_outputs->end(), [&](const NamedTensor& t) { return t.name == o.name; });
      if (it == model_outputs->end()) return not_found("no given tensor for model output '" + o.name + "'");
      if (it->tensor.desc().shape != o.desc.shape || it->tensor.dtype() != o.desc.dtype)
        return invalid_argument("given output '" + o.name + "' is " + it->tensor.desc().to_string() + ", the model's is " +
                                o.desc.to_string());
      outputs.push_back(*it);
    }
  } else {
    const auto t0 = std::chrono::steady_clock::now();
    EZ_RETURN_IF_ERROR(session_->run());
    r->times.inference_ms = ms_since(t0);
    for (size_t i = 0; i < session_->outputs().size(); ++i)
      outputs.push_back({session_->outputs()[i].name, session_->output(static_cast<int>(i))});
  }
  const auto t0 = std::chrono::steady_clock::now();
  EZ_ASSIGN_OR_RETURN(DecodeResult decoded, decode_detections(outputs, layout_, decode_));
  InputTransform tf;
  tf.scale_x = tf.scale_y = info.scale;
  tf.pad_x = info.pad_x;
  tf.pad_y = info.pad_y;
  tf.image_width = info.src_w;
  tf.image_height = info.src_h;
  map_to_image(decoded.detections, tf, extra_points(layout_));
  r->detections = std::move(decoded.detections);
  r->warnings = std::move(decoded.warnings);
  r->times.postprocess_ms = ms_since(t0);
  return Status::OK();
}

Result<ImageResult> Detector::detect_file(const std::string& path, vision::Image* decoded,
                                          const std::vector<NamedTensor>* model_outputs) {
  const auto t0 = std::chrono::steady_clock::now();
  EZ_ASSIGN_OR_RETURN(std::string bytes, read_file(path));
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  vision::Image img;
  ImageResult r;
  if (vision::detect_image_format(data, bytes.size()) == vision::ImageFormat::kJpeg) {
    // Letterbox and tensor fill run band by band while the JPEG decodes (letterbox_stream.h):
    // preprocess_ms is what was left after the last scanline.
    EZ_ASSIGN_OR_RETURN(vision::TensorFiller filler, vision::TensorFiller::create(fill_params(), 3));
    float* input = session_->input_buffer(0).data<float>();
    vision::LetterboxInfo info;
    vision::StreamTimes st;
    const double read_ms = ms_since(t0);
    EZ_RETURN_IF_ERROR(vision::decode_letterbox_jpeg(
        data, bytes.size(), path, letterbox_params(), &img, &canvas_, &info,
        [&](int y0, int y1) { filler.fill_rows(canvas_, input, y0, y1); }, &st));
    r.times.decode_ms = read_ms + st.decode_ms;
    r.times.preprocess_ms = st.tail_ms;
    EZ_RETURN_IF_ERROR(infer_and_decode(info, model_outputs, &r));
  } else {
    EZ_ASSIGN_OR_RETURN(img, vision::decode_image_bytes(data, bytes.size(), path));
    const double decode_ms = ms_since(t0);
    EZ_ASSIGN_OR_RETURN(r, detect(img, model_outputs));
    r.times.decode_ms = decode_ms;
  }
  if (decoded) *decoded = std::move(img);
  return r;
}

}  // namespace ez::zoo
