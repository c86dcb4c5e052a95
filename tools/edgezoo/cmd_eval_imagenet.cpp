// edgezoo eval imagenet MODEL --images DIR --labels FILE: top-1 / top-5 of a classifier with the
// usual pre-processing (shorter side resized, centre crop, mean/std), all configurable.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "eval/topk.h"
#include "tools/edgezoo/cli.h"
#include "vision/image_io.h"
#include "vision/resize.h"
#include "vision/tensor_fill.h"

namespace ez::cli {
namespace {

struct ImagenetArgs : ModelArgs {
  std::string images, labels;
  int resize = 256;  // shorter side before the crop (0: stretch straight to the input size)
  std::vector<float> mean = {0.485f, 0.456f, 0.406f}, std = {0.229f, 0.224f, 0.225f};
  float scale = 1.0f / 255.0f;
  bool bgr = false;
};

// "file_name class_index" per line (the ILSVRC val.txt form).
Result<std::vector<std::pair<std::string, int64_t>>> load_label_list(const std::string& path) {
  std::ifstream f(path);
  if (!f) return not_found("cannot open label list '" + path + "'");
  std::vector<std::pair<std::string, int64_t>> out;
  std::string line;
  for (int n = 1; std::getline(f, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::istringstream ss(line);
    std::string file;
    int64_t label;
    if (!(ss >> file >> label) || label < 0)
      return invalid_argument("'" + path + "' line " + std::to_string(n) + ": expected 'file_name class_index'");
    out.emplace_back(file, label);
  }
  if (out.empty()) return invalid_argument("'" + path + "' lists no images");
  return out;
}

// Shorter side to `resize`, then the centre (W x H) crop; resize 0 stretches to W x H directly.
Result<vision::Image> resize_and_crop(const vision::Image& img, int resize, int w, int h) {
  if (resize <= 0) return vision::resize_bilinear(img, w, h);
  const double s = static_cast<double>(resize) / std::min(img.width, img.height);
  const int rw = std::max(w, static_cast<int>(std::lround(img.width * s)));
  const int rh = std::max(h, static_cast<int>(std::lround(img.height * s)));
  EZ_ASSIGN_OR_RETURN(vision::Image r, vision::resize_bilinear(img, rw, rh));
  vision::Image crop(w, h, 3);
  const int x0 = (rw - w) / 2, y0 = (rh - h) / 2;
  for (int y = 0; y < h; ++y) std::copy(r.at(x0, y0 + y), r.at(x0, y0 + y) + 3 * w, crop.row(y));
  return crop;
}

int run_eval_imagenet(const ImagenetArgs& args) {
  auto list = load_label_list(args.labels);
  if (!list.ok()) return report(list.status());
  if (args.mean.size() != 3 || args.std.size() != 3) return report(invalid_argument("--mean and --std take 3 values"));
  auto sopts = args.session_options();
  if (!sopts.ok()) return report(sopts.status());
  auto session = Session::load_file(args.model, *sopts);
  if (!session.ok()) return report(session.status());
  Session& s = **session;
  const TensorDesc& in = s.inputs()[0].desc;
  if (s.inputs().size() != 1 || in.dtype != DType::kFloat32 || in.shape.size() != 4 || in.shape[1] != 3)
    return report(unsupported("a classifier needs one float32[1,3,H,W] input; '" + args.model + "' has " + in.to_string()));
  const int h = static_cast<int>(in.shape[2]), w = static_cast<int>(in.shape[3]);
  vision::TensorFillParams fill;
  fill.order = args.bgr ? vision::ChannelOrder::kBGR : vision::ChannelOrder::kRGB;
  fill.scale = args.scale;
  for (int c = 0; c < 3; ++c) {
    fill.mean[c] = args.mean[c];
    fill.std[c] = args.std[c];
  }
  eval::TopKAccuracy acc;
  const auto t0 = std::chrono::steady_clock::now();
  for (const auto& [file, label] : *list) {
    auto img = vision::decode_image(args.images + "/" + file);
    if (!img.ok()) return report(img.status());
    auto crop = resize_and_crop(*img, args.resize, w, h);
    if (!crop.ok()) return report(crop.status());
    Status st = vision::write_input_tensor(*crop, s.input_buffer(0).data<float>(), fill);
    if (st.ok()) st = s.run();
    if (!st.ok()) return report(st.with_context(file));
    const Tensor& out = s.output(0);
    if (out.dtype() != DType::kFloat32) return report(unsupported("classifier output must be float32"));
    st = acc.add(out.data<float>(), static_cast<size_t>(out.numel()), label);
    if (!st.ok()) return report(st.with_context(file));
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("top-1 %.4f  top-5 %.4f  (%zu images, %.1f images/s)\n", acc.top1(), acc.top5(), acc.count(), acc.count() / secs);
  return 0;
}

}  // namespace

void add_eval_imagenet(CLI::App& eval) {
  auto* cmd = eval.add_subcommand("imagenet", "top-1 / top-5 accuracy of a classifier");
  auto args = std::make_shared<ImagenetArgs>();
  args->add_to(cmd);
  cmd->add_option("--images", args->images, "image folder")->required();
  cmd->add_option("--labels", args->labels, "label list: 'file_name class_index' per line")->required();
  cmd->add_option("--resize", args->resize, "shorter side before the centre crop (0: stretch to the input)");
  cmd->add_option("--mean", args->mean, "per-channel mean after scaling (default ImageNet)")->expected(3);
  cmd->add_option("--std", args->std, "per-channel std (default ImageNet)")->expected(3);
  cmd->add_option("--scale", args->scale, "pixel scale before mean/std (default 1/255)");
  cmd->add_flag("--bgr", args->bgr, "feed BGR instead of RGB");
  cmd->callback([args] { exit_code() = run_eval_imagenet(*args); });
}

}  // namespace ez::cli
