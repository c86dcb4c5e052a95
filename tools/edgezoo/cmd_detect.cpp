// edgezoo detect MODEL IMAGE_OR_DIR... [-o OUT] [--json FILE]: one line per detection, annotated
// pictures, COCO-style JSON results. Thin: the pipeline lives in zoo/pipeline.
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/file_util.h"
#include "core/npy.h"
#include "tools/edgezoo/cli.h"
#include "vision/image_io.h"
#include "zoo/common/labels.h"
#include "zoo/detector.h"
#include "zoo/pipeline/detector_pipeline.h"
#include "zoo/pipeline/render.h"

namespace ez::cli {
namespace {

struct DetectArgs : ModelArgs {
  std::vector<std::string> inputs;
  std::string out, json, family, anchors, labels;
  std::string save_input, outputs_dir;  // single image: dump the input tensor / decode given outputs
  float conf = 0.25f, iou = 0.45f;
  int max_det = 300;
  bool quiet = false;
};

bool is_dir(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool has_image_extension(const std::string& name) {
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  for (const char* ext : {".jpg", ".jpeg", ".png"})
    if (lower.size() > std::strlen(ext) && lower.compare(lower.size() - std::strlen(ext), std::string::npos, ext) == 0) return true;
  return false;
}

Result<std::vector<std::string>> collect_images(const std::vector<std::string>& inputs) {
  std::vector<std::string> files;
  for (const std::string& in : inputs) {
    if (!is_dir(in)) {
      if (access(in.c_str(), R_OK) != 0) return not_found("cannot open image '" + in + "'");
      files.push_back(in);
      continue;
    }
    std::vector<std::string> found;
    if (DIR* d = opendir(in.c_str())) {
      while (dirent* e = readdir(d))
        if (has_image_extension(e->d_name)) found.push_back(in + "/" + e->d_name);
      closedir(d);
    }
    if (found.empty()) return invalid_argument("folder '" + in + "' contains no .jpg, .jpeg or .png images");
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
  }
  return files;
}

std::string base_name(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string stem(const std::string& path) {
  const std::string b = base_name(path);
  const size_t dot = b.find_last_of('.');
  return dot == std::string::npos ? b : b.substr(0, dot);
}

// COCO image ids are the file names' numbers (000000397133.jpg -> 397133); otherwise the index.
int64_t image_id_for(const std::string& path, size_t index) {
  const std::string s = stem(path);
  if (!s.empty() && s.size() < 18 && std::all_of(s.begin(), s.end(), ::isdigit)) return std::stoll(s);
  return static_cast<int64_t>(index);
}

void progress(size_t done, size_t total) {
  if (total < 2 || !isatty(STDERR_FILENO)) return;
  const int width = 30, filled = static_cast<int>(width * done / total);
  std::fprintf(stderr, "\r[%s%s] %zu/%zu", std::string(filled, '#').c_str(), std::string(width - filled, '.').c_str(), done, total);
  if (done == total) std::fprintf(stderr, "\n");
}

int run_detect(const DetectArgs& args) {
  auto files = collect_images(args.inputs);
  if (!files.ok()) return report(files.status());
  if ((!args.save_input.empty() || !args.outputs_dir.empty()) && files->size() != 1)
    return report(invalid_argument("--save-input and --outputs take exactly one image"));
  // Where pictures go: a file name for a single image, else a folder.
  const bool out_is_file = files->size() == 1 && !args.out.empty() && has_image_extension(args.out) && !is_dir(args.out);
  if (!args.out.empty() && !out_is_file && !is_dir(args.out) && mkdir(args.out.c_str(), 0755) != 0)
    return report(io_error("cannot create output folder '" + args.out + "'"));
  std::vector<std::string> labels = zoo::coco80_labels();
  if (!args.labels.empty()) {
    auto l = zoo::load_labels(args.labels);
    if (!l.ok()) return report(l.status());
    labels = std::move(l).value();
  }
  auto sopts = args.session_options();
  if (!sopts.ok()) return report(sopts.status());
  zoo::DetectorOptions opts;
  opts.session = *sopts;
  opts.family = args.family;
  opts.anchors_file = args.anchors;
  opts.decode.conf_threshold = args.conf;
  opts.decode.iou_threshold = args.iou;
  opts.decode.max_det = args.max_det;
  auto detector = zoo::Detector::create(args.model, opts);
  if (!detector.ok()) return report(detector.status());
  zoo::Detector& det = **detector;
  if (!args.quiet) std::printf("model: %s\n", det.layout().description.c_str());
  auto font = vision::Font::load(vision::kDefaultFontPath, 16);
  if (!font.ok()) std::fprintf(stderr, "warning: %s; drawing boxes without labels\n", font.status().message().c_str());

  std::vector<zoo::NamedTensor> given;
  if (!args.outputs_dir.empty()) {
    for (const IOInfo& o : det.session().outputs()) {
      std::string safe = o.name;
      for (char& c : safe)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) c = '_';
      auto t = read_npy(args.outputs_dir + "/" + safe + ".npy");
      if (!t.ok()) return report(t.status());
      given.push_back({o.name, std::move(t).value()});
    }
  }
  nlohmann::json results = nlohmann::json::array();
  std::vector<std::string> seen_warnings;
  int failures = 0;
  for (size_t i = 0; i < files->size(); ++i) {
    const std::string& path = (*files)[i];
    vision::Image image;
    auto r = det.detect_file(path, &image, args.outputs_dir.empty() ? nullptr : &given);
    if (!r.ok() && files->size() == 1) return report(r.status());
    if (!r.ok()) {
      // One bad picture in a folder does not stop the others; the exit code still says so.
      std::fprintf(stderr, "%sedgezoo: %s\n", files->size() > 1 && isatty(STDERR_FILENO) ? "\n" : "", r.status().to_string().c_str());
      ++failures;
      continue;
    }
    for (const zoo::Warning& w : r->warnings)
      if (std::find(seen_warnings.begin(), seen_warnings.end(), w.code) == seen_warnings.end()) {
        seen_warnings.push_back(w.code);
        std::fprintf(stderr, "warning: %s\n", w.message.c_str());
      }
    if (!args.quiet) {
      if (files->size() > 1) std::printf("%s: %zu detections\n", path.c_str(), r->detections.size());
      for (const zoo::Detection& d : r->detections)
        std::printf("%s @ (%.0f %.0f %.0f %.0f) %.3f\n", zoo::label_name(labels, d.class_id).c_str(), d.x1, d.y1, d.x2, d.y2, d.score);
    }
    if (!args.save_input.empty()) {
      Status st = write_npy(args.save_input, det.last_input());
      if (!st.ok()) return report(st);
    }
    const int64_t image_id = image_id_for(path, i);
    for (const zoo::Detection& d : r->detections) {
      const int cat = labels.size() == 80 ? zoo::coco80_to_category_id(d.class_id) : d.class_id;
      results.push_back({{"image_id", image_id}, {"category_id", cat},
                         {"bbox", {d.x1, d.y1, d.x2 - d.x1, d.y2 - d.y1}}, {"score", d.score}});
    }
    zoo::draw_detections(image, r->detections, labels, font.ok() ? &font.value() : nullptr, zoo::extra_points(det.layout()));
    const std::string dest = out_is_file ? args.out
                           : (args.out.empty() ? stem(path) + "_det.jpg" : args.out + "/" + base_name(path));
    Status st = vision::write_image(dest, image);
    if (!st.ok()) return report(st);
    if (files->size() == 1) std::fprintf(stderr, "wrote %s\n", dest.c_str());
    progress(i + 1, files->size());
  }
  if (!args.json.empty()) {
    Status st = write_file_atomic(args.json, results.dump(1) + "\n");
    if (!st.ok()) return report(st);
  }
  if (failures) {
    std::fprintf(stderr, "edgezoo: %d of %zu images could not be processed\n", failures, files->size());
    return 1;
  }
  return 0;
}

}  // namespace

void add_detect(CLI::App& app) {
  auto* cmd = app.add_subcommand("detect", "detect objects in images: print boxes, write annotated pictures and JSON");
  auto args = std::make_shared<DetectArgs>();
  args->add_to(cmd);
  cmd->add_option("images", args->inputs, "image files or folders of images")->required();
  cmd->add_option("-o,--output", args->out, "annotated picture (one image) or folder (default: <name>_det.jpg here)");
  cmd->add_option("--json", args->json, "write COCO-style results (image_id, category_id, bbox xywh, score)");
  cmd->add_option("--family", args->family, "force the model family: " + zoo::accepted_family_values());
  cmd->add_option("--anchors", args->anchors, "anchor file (anchor-based heads), one number a line");
  cmd->add_option("--labels", args->labels, "class names, one a line (default: COCO 80)");
  cmd->add_option("--conf", args->conf, "score threshold")->check(CLI::Range(0.0f, 1.0f));
  cmd->add_option("--iou", args->iou, "NMS IoU threshold")->check(CLI::Range(0.0f, 1.0f));
  cmd->add_option("--max-det", args->max_det, "at most this many detections per image");
  cmd->add_flag("--quiet", args->quiet, "do not print detections");
  cmd->add_option("--save-input", args->save_input, "one image: also write the model's input tensor as .npy");
  cmd->add_option("--outputs", args->outputs_dir,
                  "one image: decode these model outputs (DIR/<output name>.npy, e.g. from a board or another engine) "
                  "instead of running the model");
  cmd->callback([args] { exit_code() = run_detect(*args); });
}

}  // namespace ez::cli
