#include "eval/yolo_labels.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <sstream>

#include "core/file_util.h"

namespace ez::eval {
namespace fs = std::filesystem;
namespace {

constexpr int kCoco80To91[80] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21,
                                 22, 23, 24, 25, 27, 28, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44,
                                 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65,
                                 67, 70, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 84, 85, 86, 87, 88, 89, 90};

// Ultralytics IMG_FORMATS.
bool is_image_file(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  static const std::set<std::string> kFormats = {".bmp", ".dng", ".jpeg", ".jpg", ".mpo", ".png",
                                                 ".tif", ".tiff", ".webp", ".pfm", ".heic"};
  return kFormats.count(ext) > 0;
}

bool all_digits(const std::string& s) {
  return !s.empty() && s.size() <= 18 && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

struct Row {
  int cls;
  double cx, cy, w, h;
  bool operator==(const Row& o) const { return cls == o.cls && cx == o.cx && cy == o.cy && w == o.w && h == o.h; }
};

// The rows of one label file, as boxes (polygon files reduced to their extents).
Result<std::vector<Row>> parse_label_file(const std::string& text, const std::string& path, int num_classes) {
  std::vector<std::vector<double>> rows;
  std::vector<int> line_of;
  std::istringstream lines(text);
  std::string line;
  for (int n = 1; std::getline(lines, line); ++n) {
    std::istringstream fields(line);
    std::vector<double> values;
    std::string field;
    while (fields >> field) {
      char* end = nullptr;
      const double v = std::strtod(field.c_str(), &end);
      if (end == field.c_str() || *end != '\0' || !std::isfinite(v)) {
        return invalid_argument(path + ":" + std::to_string(n) + ": '" + field + "' is not a number");
      }
      values.push_back(v);
    }
    if (values.empty()) continue;
    rows.push_back(std::move(values));
    line_of.push_back(n);
  }
  const bool polygons = std::any_of(rows.begin(), rows.end(), [](const auto& r) { return r.size() > 6; });
  std::vector<Row> out;
  for (size_t i = 0; i < rows.size(); ++i) {
    const std::vector<double>& v = rows[i];
    const std::string where = path + ":" + std::to_string(line_of[i]);
    if (polygons ? (v.size() < 3 || v.size() % 2 == 0) : v.size() != 5) {
      return invalid_argument(where + ": expected " +
                              (polygons ? std::string("'class x1 y1 x2 y2 ...' (a polygon)")
                                        : std::string("5 values 'class cx cy w h'")) +
                              ", got " + std::to_string(v.size()) + " values");
    }
    if (v[0] != std::floor(v[0]) || v[0] < 0 || v[0] >= num_classes) {
      return invalid_argument(where + ": class " + std::to_string(v[0]) + " is not an integer in 0.." +
                              std::to_string(num_classes - 1));
    }
    for (size_t j = 1; j < v.size(); ++j) {
      if (v[j] < -0.01 || v[j] > 1) {  // Ultralytics' verify_image_label bounds
        return invalid_argument(where + ": coordinate " + std::to_string(v[j]) + " is not normalised to 0..1");
      }
    }
    Row r{static_cast<int>(v[0]), 0, 0, 0, 0};
    if (polygons) {  // segments2boxes: min/max of the points, then xyxy -> xywh
      double x1 = v[1], x2 = v[1], y1 = v[2], y2 = v[2];
      for (size_t j = 1; j + 1 < v.size(); j += 2) {
        x1 = std::min(x1, v[j]), x2 = std::max(x2, v[j]);
        y1 = std::min(y1, v[j + 1]), y2 = std::max(y2, v[j + 1]);
      }
      r = {r.cls, (x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1};
    } else {
      r = {r.cls, v[1], v[2], v[3], v[4]};
    }
    if (std::find(out.begin(), out.end(), r) == out.end()) out.push_back(r);  // duplicates removed
  }
  return out;
}

}  // namespace

int coco80_to_91(int class_index) { return class_index >= 0 && class_index < 80 ? kCoco80To91[class_index] : -1; }

Result<GroundTruth> load_yolo_gt(const std::string& root, const YoloDatasetOptions& options) {
  const fs::path image_dir = fs::path(root) / "images" / options.split;
  const fs::path label_dir = fs::path(root) / "labels" / options.split;
  if (options.num_classes <= 0 || (options.coco80_to_91 && options.num_classes > 80)) {
    return invalid_argument(root + ": num_classes must be 1..80 with the COCO 80->91 map, got " +
                            std::to_string(options.num_classes));
  }
  std::error_code ec;
  if (!fs::is_directory(image_dir, ec)) return not_found(root + ": no image folder '" + image_dir.string() + "'");
  std::vector<fs::path> files;
  for (fs::directory_iterator it(image_dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (is_image_file(it->path())) files.push_back(it->path());
  }
  if (ec) return io_error(root + ": cannot list '" + image_dir.string() + "': " + ec.message());
  if (files.empty()) return not_found(root + ": no images in '" + image_dir.string() + "'");
  std::sort(files.begin(), files.end());

  GroundTruth gt;
  gt.source = root;
  for (int i = 0; i < options.num_classes; ++i) {
    const std::string name = i < static_cast<int>(options.class_names.size()) ? options.class_names[i] : "";
    gt.categories.push_back({options.coco80_to_91 ? coco80_to_91(i) : i, name});
  }
  const bool numeric_ids = std::all_of(files.begin(), files.end(), [](const fs::path& p) { return all_digits(p.stem().string()); });
  for (size_t n = 0; n < files.size(); ++n) {
    const std::string image_path = files[n].string();
    Result<ImageSize> size = options.image_size ? options.image_size(image_path) : read_image_size(image_path);
    if (!size.ok()) return size.status();
    if (size->width <= 0 || size->height <= 0) return invalid_argument(image_path + ": bad image size");
    GtImage img;
    img.id = numeric_ids ? std::stoll(files[n].stem().string()) : static_cast<int64_t>(n + 1);
    img.width = size->width;
    img.height = size->height;
    img.file_name = files[n].filename().string();
    gt.images.push_back(img);

    const fs::path label_path = label_dir / (files[n].stem().string() + ".txt");
    if (!fs::exists(label_path, ec)) continue;  // background image
    EZ_ASSIGN_OR_RETURN(std::string text, read_file(label_path.string()));
    EZ_ASSIGN_OR_RETURN(std::vector<Row> rows, parse_label_file(text, label_path.string(), options.num_classes));
    const double W = img.width, H = img.height;
    for (const Row& r : rows) {
      GtAnnotation a;
      a.id = static_cast<int64_t>(gt.annotations.size() + 1);
      a.image_id = img.id;
      a.category_id = gt.categories[r.cls].id;
      a.bbox = {(r.cx - r.w / 2) * W, (r.cy - r.h / 2) * H, r.w * W, r.h * H};
      a.area = a.bbox[2] * a.bbox[3];
      gt.annotations.push_back(a);
    }
  }
  EZ_RETURN_IF_ERROR(validate_ground_truth(gt));  // e.g. two numeric stems naming the same id
  return gt;
}

}  // namespace ez::eval
