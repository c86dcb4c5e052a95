#include "tools/edgezoo/sample_input.h"

#include <unistd.h>

#include <cctype>
#include <cstdio>

#include "core/npy.h"
#include "onnx/model_file.h"
#include "vision/image_io.h"
#include "vision/letterbox.h"
#include "vision/resize.h"
#include "vision/tensor_fill.h"

namespace ez::cli {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  if (s.size() < suffix.size()) return false;
  std::string tail = s.substr(s.size() - suffix.size());
  for (char& c : tail) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return tail == suffix;
}

}  // namespace

void SampleArgs::add_to(CLI::App* cmd, bool with_dataset) {
  if (with_dataset)
    cmd->add_option("--dataset", dataset, "sample list: one image or .npy path a line (relative to the list's folder)")->required();
  cmd->add_option("--mean", mean, "per-channel mean in pixel units (0-255), e.g. --mean 123.675 116.28 103.53")->expected(1, 3)->delimiter(',');
  cmd->add_option("--std", std, "per-channel std in pixel units, e.g. --std 58.395 57.12 57.375 (default 255)")->expected(1, 3)->delimiter(',');
  cmd->add_flag("--rgb", rgb, "feed RGB (with --mean/--std; default for models the zoo does not know)");
  cmd->add_flag("--bgr", bgr, "feed BGR");
}

namespace {

bool manual_args(const SampleArgs& a) { return !a.mean.empty() || !a.std.empty() || a.rgb || a.bgr; }

// --mean/--std are in pixel units (0-255), as RKNN-Toolkit's mean_values/std_values.
Result<Preprocess> manual_preprocess(const SampleArgs& a) {
  for (const auto* v : {&a.mean, &a.std})
    if (!v->empty() && v->size() != 1 && v->size() != 3) return invalid_argument("--mean and --std take 1 or 3 values");
  if (a.rgb && a.bgr) return invalid_argument("give --rgb or --bgr, not both");
  Preprocess p;
  p.spec.letterbox = false;
  p.spec.bgr = a.bgr;
  p.spec.scale = 1.0f;
  for (int c = 0; c < 3; ++c) {
    p.spec.mean[c] = a.mean.empty() ? 0.0f : a.mean[a.mean.size() == 1 ? 0 : c];
    p.spec.std[c] = a.std.empty() ? 255.0f : a.std[a.std.size() == 1 ? 0 : c];
    if (p.spec.std[c] == 0) return invalid_argument("--std must not be 0");
  }
  p.what = std::string("resize, ") + (p.spec.bgr ? "BGR" : "RGB") + ", (pixel - mean) / std";
  return p;
}

}  // namespace

Result<Preprocess> choose_preprocess(const SampleArgs& a, const Session& ses, const std::string& hint) {
  if (!manual_args(a) && ses.inputs().size() == 1 && ses.inputs()[0].desc.shape.size() == 4) {
    // A detection model known to the zoo: the same letterbox and normalisation as `detect`.
    zoo::LayoutQuery q;
    for (const IOInfo& o : ses.outputs()) q.outputs.push_back({o.name, o.desc.shape});
    q.input_height = static_cast<int>(ses.inputs()[0].desc.shape[2]);
    q.input_width = static_cast<int>(ses.inputs()[0].desc.shape[3]);
    q.hint = hint;
    auto layout = zoo::detect_layout(q);
    if (layout.ok()) {
      Preprocess p;
      p.spec = zoo::preprocess_for(layout->family);
      p.what = std::string(zoo::family_name(layout->family)) + " pre-processing (" +
               (p.spec.letterbox ? "letterbox, " : "resize, ") + (p.spec.bgr ? "BGR" : "RGB") + ")";
      return p;
    }
  }
  return manual_preprocess(a);
}

Result<Preprocess> choose_preprocess(const SampleArgs& a, const std::string& model, const SessionOptions& opts) {
  if (manual_args(a)) return manual_preprocess(a);  // no need to load the model
  auto s = Session::load_file(model, opts);
  if (!s.ok()) return s.status();
  return choose_preprocess(a, **s, model);
}

void write_preprocess_metadata(onnx::ModelProto* model, const Preprocess& pre) {
  // value = (pixel * scale - mean) / std = (pixel - mean / scale) / (std / scale)
  std::string mean, std;
  char buf[32];
  for (int c = 0; c < 3; ++c) {
    std::snprintf(buf, sizeof(buf), "%s%.7g", c ? "," : "", pre.spec.mean[c] / pre.spec.scale);
    mean += buf;
    std::snprintf(buf, sizeof(buf), "%s%.7g", c ? "," : "", pre.spec.std[c] / pre.spec.scale);
    std += buf;
  }
  set_metadata(model, "rknn.mean_values", mean);
  set_metadata(model, "rknn.std_values", std);
  set_metadata(model, "rknn.custom_string",
               "edgezoo: " + pre.what + "; feed " + (pre.spec.bgr ? "BGR" : "RGB") + " pixels" +
                   (pre.spec.letterbox ? ", letterboxed (fill " + std::to_string(pre.spec.fill) + ")" : ", resized to the input"));
}

namespace {

// An RGB picture of the input's size as the model's input tensor.
Result<Tensor> to_tensor(const vision::Image& sized, const Shape& s, const Preprocess& pre) {
  vision::TensorFillParams fill;
  fill.order = pre.spec.bgr ? vision::ChannelOrder::kBGR : vision::ChannelOrder::kRGB;
  fill.scale = pre.spec.scale;
  for (int c = 0; c < 3; ++c) {
    fill.mean[c] = pre.spec.mean[c];
    fill.std[c] = pre.spec.std[c];
  }
  EZ_ASSIGN_OR_RETURN(Tensor t, Tensor::allocate(DType::kFloat32, s));
  EZ_RETURN_IF_ERROR(vision::write_input_tensor(sized, t.data<float>(), fill));
  return t;
}

// Pictures become float32[1,3,H,W] inputs only.
Status check_image_input(const IOInfo& input) {
  const Shape& s = input.desc.shape;
  if (input.desc.dtype != DType::kFloat32 || s.size() != 4 || s[0] != 1 || s[1] != 3)
    return unsupported("input '" + input.name + "' is " + input.desc.to_string() + ": images need float32[1,3,H,W] (give .npy tensors instead)");
  return Status::OK();
}

}  // namespace

Result<Tensor> load_sample(const std::string& path, const IOInfo& input, const Preprocess& pre) {
  if (ends_with(path, ".npy")) {
    EZ_ASSIGN_OR_RETURN(Tensor t, read_npy(path));
    if (t.desc().dtype != input.desc.dtype || t.shape() != input.desc.shape)
      return invalid_argument("'" + path + "' holds " + t.desc().to_string() + "; the model's input '" + input.name + "' is " +
                              input.desc.to_string());
    return t;
  }
  EZ_RETURN_IF_ERROR(check_image_input(input));
  const Shape& s = input.desc.shape;
  EZ_ASSIGN_OR_RETURN(vision::Image img, vision::decode_image(path));
  vision::Image sized;
  if (pre.spec.letterbox) {
    vision::LetterboxParams lp;
    lp.target_w = static_cast<int>(s[3]);
    lp.target_h = static_cast<int>(s[2]);
    lp.fill = static_cast<uint8_t>(pre.spec.fill);
    EZ_ASSIGN_OR_RETURN(vision::Letterboxed lb, vision::letterbox(img, lp));
    sized = std::move(lb.image);
  } else {
    EZ_ASSIGN_OR_RETURN(sized, vision::resize_bilinear(img, static_cast<int>(s[3]), static_cast<int>(s[2])));
  }
  return to_tensor(sized, s, pre);
}

quant::FillInput fill_input(const Preprocess& pre) {
  if (!pre.spec.letterbox) return nullptr;
  return [pre](const IOInfo& input) -> Result<Tensor> {
    EZ_RETURN_IF_ERROR(check_image_input(input));
    const Shape& s = input.desc.shape;
    const vision::Image canvas(static_cast<int>(s[3]), static_cast<int>(s[2]), 3, static_cast<uint8_t>(pre.spec.fill));
    return to_tensor(canvas, s, pre);
  };
}

quant::SampleLoader sample_loader(const Preprocess& pre) {
  return [pre](const std::string& path, const IOInfo& in) { return load_sample(path, in, pre); };
}

quant::Progress progress_printer(const std::string& what) {
  const bool tty = isatty(2);
  return [what, tty](size_t done, size_t total) {
    if (tty) {
      const int width = 30, filled = static_cast<int>(width * done / total);
      std::fprintf(stderr, "\r%s [%s%s] %zu/%zu", what.c_str(), std::string(filled, '#').c_str(),
                   std::string(width - filled, ' ').c_str(), done, total);
      if (done == total) std::fprintf(stderr, "\n");
    } else if (done == total || done % std::max<size_t>(1, total / 10) == 0) {
      std::fprintf(stderr, "%s image %zu/%zu\n", what.c_str(), done, total);
    }
  };
}

}  // namespace ez::cli
