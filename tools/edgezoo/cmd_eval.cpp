// edgezoo eval coco MODEL --images DIR --annotations FILE|DIR: runs the detection pipeline over a
// labelled set and scores it with pycocotools' COCOeval semantics (src/eval). Decoding of the next
// picture overlaps inference of the current one.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <future>
#include <nlohmann/json.hpp>

#include "core/file_util.h"
#include "core/npy.h"
#include "eval/coco_eval.h"
#include "eval/coco_json.h"
#include "eval/yolo_labels.h"
#include "tools/edgezoo/cli.h"
#include "vision/image_io.h"
#include "zoo/common/labels.h"
#include "zoo/pipeline/detector_pipeline.h"

namespace ez::cli {
namespace {

struct EvalArgs : ModelArgs {
  std::string images, annotations, json, report, family, split = "val";
  float conf = 0.001f, iou = 0.65f;
  int max_det = 100;
  bool multi_label = false, per_class = false;
  std::string save_inputs, outputs_dir;  // DIR/<image stem>.npy inputs; DIR/<image stem>/<output>.npy outputs
};

std::string stem_of(const std::string& file) {
  const size_t slash = file.find_last_of('/');
  std::string b = slash == std::string::npos ? file : file.substr(slash + 1);
  const size_t dot = b.find_last_of('.');
  return dot == std::string::npos ? b : b.substr(0, dot);
}

std::string file_safe(std::string s) {
  for (char& c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) c = '_';
  return s;
}

bool is_dir(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

void progress(size_t done, size_t total, double elapsed_s) {
  if (!isatty(STDERR_FILENO)) return;
  const int width = 30, filled = static_cast<int>(width * done / std::max<size_t>(total, 1));
  std::fprintf(stderr, "\r[%s%s] %zu/%zu  %.1f img/s", std::string(filled, '#').c_str(),
               std::string(width - filled, '.').c_str(), done, total, elapsed_s > 0 ? done / elapsed_s : 0.0);
  if (done == total) std::fprintf(stderr, "\n");
}

int run_eval_coco(const EvalArgs& args) {
  // Ground truth: a COCO JSON file, or an Ultralytics dataset folder (images/<split>, labels/<split>).
  Result<eval::GroundTruth> gt = is_dir(args.annotations) ? [&] {
    eval::YoloDatasetOptions yo;
    yo.split = args.split;
    return eval::load_yolo_gt(args.annotations, yo);
  }() : eval::load_coco_gt(args.annotations);
  if (!gt.ok()) return report(gt.status());
  std::string image_dir = args.images;
  if (image_dir.empty()) {
    if (!is_dir(args.annotations)) return report(invalid_argument("--images is required with a COCO JSON annotation file"));
    image_dir = args.annotations + "/images/" + args.split;
  }
  if (!is_dir(image_dir)) return report(not_found("image folder '" + image_dir + "' does not exist"));
  // Every annotated image must be there before any work starts.
  std::vector<std::string> paths;
  for (const eval::GtImage& im : gt->images) {
    const std::string p = image_dir + "/" + im.file_name;
    if (access(p.c_str(), R_OK) != 0)
      return report(not_found("image " + std::to_string(im.id) + " '" + im.file_name + "' of '" + args.annotations +
                              "' is not in '" + image_dir + "'"));
    paths.push_back(p);
  }
  if (paths.empty()) return report(invalid_argument("'" + args.annotations + "' lists no images"));

  auto sopts = args.session_options();
  if (!sopts.ok()) return report(sopts.status());
  zoo::DetectorOptions opts;
  opts.session = *sopts;
  opts.family = args.family;
  opts.decode.conf_threshold = args.conf;
  opts.decode.iou_threshold = args.iou;
  opts.decode.max_det = args.max_det;
  opts.decode.multi_label = args.multi_label;
  auto detector = zoo::Detector::create(args.model, opts);
  if (!detector.ok()) return report(detector.status());
  zoo::Detector& det = **detector;
  std::fprintf(stderr, "model: %s\n", det.layout().description.c_str());

  std::vector<eval::Detection> dets;
  zoo::StageTimes sum;
  const auto t0 = std::chrono::steady_clock::now();
  auto decode = [](const std::string& p) { return vision::decode_image(p); };
  std::future<Result<vision::Image>> next = std::async(std::launch::async, decode, paths[0]);
  for (size_t i = 0; i < paths.size(); ++i) {
    const auto td = std::chrono::steady_clock::now();
    Result<vision::Image> img = next.get();
    const double wait_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - td).count();
    if (i + 1 < paths.size()) next = std::async(std::launch::async, decode, paths[i + 1]);
    if (!img.ok()) return report(img.status());
    std::vector<zoo::NamedTensor> given;
    if (!args.outputs_dir.empty()) {
      for (const IOInfo& o : det.session().outputs()) {
        auto t = read_npy(args.outputs_dir + "/" + stem_of(paths[i]) + "/" + file_safe(o.name) + ".npy");
        if (!t.ok()) return report(t.status());
        given.push_back({o.name, std::move(t).value()});
      }
    }
    auto r = det.detect(*img, args.outputs_dir.empty() ? nullptr : &given);
    if (!r.ok()) return report(r.status().with_context(paths[i]));
    if (!args.save_inputs.empty()) {
      Status st = write_npy(args.save_inputs + "/" + stem_of(paths[i]) + ".npy", det.last_input());
      if (!st.ok()) return report(st);
    }
    sum.decode_ms += wait_ms;  // only the part of decoding that inference did not hide
    sum.preprocess_ms += r->times.preprocess_ms;
    sum.inference_ms += r->times.inference_ms;
    sum.postprocess_ms += r->times.postprocess_ms;
    for (const zoo::Detection& d : r->detections) {
      eval::Detection e;
      e.image_id = gt->images[i].id;
      e.category_id = zoo::coco80_to_category_id(d.class_id);
      e.bbox = {d.x1, d.y1, d.x2 - d.x1, d.y2 - d.y1};
      e.score = d.score;
      dets.push_back(e);
    }
    progress(i + 1, paths.size(), std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  auto result = eval::evaluate_bbox(*gt, dets);
  if (!result.ok()) return report(result.status());
  std::printf("%s", result->summary().c_str());
  if (args.per_class) {
    std::printf("\nper-class AP (IoU .50:.95, all areas, 100 detections)\n");
    for (size_t k = 0; k < result->category_ids.size(); ++k) {
      const double ap = result->category_ap(k);
      std::string name = std::to_string(result->category_ids[k]);
      for (const auto& c : gt->categories)
        if (c.id == result->category_ids[k]) name = c.name;
      if (ap >= 0) std::printf("  %-20s %.3f\n", name.c_str(), ap);
    }
  }
  const size_t n = paths.size();
  std::printf("%zu images in %.1f s: %.1f images/s (per image: decode wait %.1f ms, pre %.1f ms, inference %.1f ms, post %.1f ms)\n",
              n, seconds, n / seconds, sum.decode_ms / n, sum.preprocess_ms / n, sum.inference_ms / n, sum.postprocess_ms / n);
  if (!args.json.empty()) {
    Status st = eval::save_coco_results(args.json, dets);
    if (!st.ok()) return report(st);
  }
  if (!args.report.empty()) {
    nlohmann::json j = {{"model", args.model}, {"annotations", args.annotations}, {"images", image_dir},
                        {"layout", det.layout().description},
                        {"settings", {{"conf", args.conf}, {"iou", args.iou}, {"max_det", args.max_det},
                                      {"multi_label", args.multi_label}, {"threads", det.session().num_threads()}}},
                        {"stats", result->stats}, {"num_images", n}, {"seconds", seconds}, {"images_per_s", n / seconds},
                        {"per_image_ms", {{"decode_wait", sum.decode_ms / n}, {"preprocess", sum.preprocess_ms / n},
                                          {"inference", sum.inference_ms / n}, {"postprocess", sum.postprocess_ms / n}}}};
    Status st = write_file_atomic(args.report, j.dump(1) + "\n");
    if (!st.ok()) return report(st);
  }
  return 0;
}

}  // namespace

void add_eval(CLI::App& app) {
  auto* eval = app.add_subcommand("eval", "evaluate a model on a labelled set");
  eval->require_subcommand(1);
  auto* coco = eval->add_subcommand("coco", "COCO box mAP (pycocotools COCOeval semantics) of a detector");
  auto args = std::make_shared<EvalArgs>();
  args->add_to(coco);
  coco->add_option("--annotations", args->annotations, "COCO instances JSON, or an Ultralytics dataset folder (images/, labels/)")->required();
  coco->add_option("--images", args->images, "image folder (default for a dataset folder: DIR/images/<split>)");
  coco->add_option("--split", args->split, "dataset folder split (default val)");
  coco->add_option("--json", args->json, "write the detections as COCO results JSON");
  coco->add_option("--report", args->report, "write the figures, settings and timings as JSON");
  coco->add_option("--conf", args->conf, "score threshold (default 0.001)");
  coco->add_option("--iou", args->iou, "NMS IoU threshold (default 0.65)");
  coco->add_option("--max-det", args->max_det, "detections per image (default 100)");
  coco->add_option("--family", args->family, "force the detector family");
  coco->add_flag("--multi-label", args->multi_label, "every class above the threshold is a candidate");
  coco->add_flag("--per-class", args->per_class, "print the AP of every category");
  coco->add_option("--save-inputs", args->save_inputs, "also write each model input as DIR/<image stem>.npy");
  coco->add_option("--outputs", args->outputs_dir,
                   "decode given model outputs DIR/<image stem>/<output>.npy (another engine's) instead of running the model");
  coco->callback([args] { exit_code() = run_eval_coco(*args); });
  add_eval_imagenet(*eval);
}

}  // namespace ez::cli
