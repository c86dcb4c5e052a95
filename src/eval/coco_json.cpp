#include "eval/coco_json.h"

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/file_util.h"

namespace ez::eval {
namespace {

using json = nlohmann::json;

const char* type_name(const json& v) { return v.type_name(); }

Status parse_json(const std::string& text, const std::string& name, json* out) {
  try {
    *out = json::parse(text);
  } catch (const json::exception& e) {
    return invalid_argument(name + ": not valid JSON (" + e.what() + ")");
  }
  return Status::OK();
}

// The member `key` of object `obj`, or an error naming `where` and the key.
Result<const json*> member(const json& obj, const char* key, const std::string& where) {
  auto it = obj.find(key);
  if (it == obj.end()) return invalid_argument(where + ": missing key '" + key + "'");
  return &*it;
}

// An integer id (an integral float such as 7.0 is accepted, as Python would compare it equal to 7).
Result<int64_t> get_int(const json& obj, const char* key, const std::string& where) {
  EZ_ASSIGN_OR_RETURN(const json* v, member(obj, key, where));
  if (v->is_number_integer()) {
    if (v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return invalid_argument(where + ": '" + key + "' is out of range");
    }
    return v->get<int64_t>();
  }
  if (v->is_number_float()) {
    const double d = v->get<double>();
    if (d == std::floor(d) && std::fabs(d) < 9.0e18) return static_cast<int64_t>(d);
  }
  return invalid_argument(where + ": '" + key + "' must be an integer, got " + type_name(*v) + " " + v->dump());
}

Result<double> get_number(const json& obj, const char* key, const std::string& where) {
  EZ_ASSIGN_OR_RETURN(const json* v, member(obj, key, where));
  if (!v->is_number()) return invalid_argument(where + ": '" + key + "' must be a number, got " + type_name(*v));
  return v->get<double>();
}

Result<BoxXYWH> get_bbox(const json& obj, const std::string& where) {
  EZ_ASSIGN_OR_RETURN(const json* v, member(obj, "bbox", where));
  if (!v->is_array() || v->size() != 4) {
    return invalid_argument(where + ": 'bbox' must be an array of 4 numbers [x, y, w, h], got " + v->dump());
  }
  BoxXYWH box{};
  for (size_t i = 0; i < 4; ++i) {
    if (!(*v)[i].is_number()) return invalid_argument(where + ": 'bbox' must hold numbers, got " + v->dump());
    box[i] = (*v)[i].get<double>();
  }
  return box;
}

Result<const json*> get_array(const json& root, const char* key, const std::string& name) {
  EZ_ASSIGN_OR_RETURN(const json* v, member(root, key, name));
  if (!v->is_array()) return invalid_argument(name + ": '" + key + "' must be an array, got " + type_name(*v));
  return v;
}

std::string entry(const std::string& name, const char* key, size_t i) {
  return name + ": " + key + "[" + std::to_string(i) + "]";
}

Status check_object(const json& v, const std::string& where) {
  if (!v.is_object()) return invalid_argument(where + ": must be an object, got " + type_name(v));
  return Status::OK();
}

Status parse_image(const json& v, const std::string& where, GtImage* img) {
  EZ_RETURN_IF_ERROR(check_object(v, where));
  EZ_ASSIGN_OR_RETURN(img->id, get_int(v, "id", where));
  for (const char* key : {"width", "height"}) {
    if (!v.contains(key)) continue;
    EZ_ASSIGN_OR_RETURN(int64_t size, get_int(v, key, where));
    if (size < 0 || size > std::numeric_limits<int>::max()) return invalid_argument(where + ": bad '" + key + "'");
    (key[0] == 'w' ? img->width : img->height) = static_cast<int>(size);
  }
  if (v.contains("file_name")) {
    if (!v["file_name"].is_string()) return invalid_argument(where + ": 'file_name' must be a string");
    img->file_name = v["file_name"].get<std::string>();
  }
  return Status::OK();
}

Status parse_annotation(const json& v, const std::string& where, GtAnnotation* ann) {
  EZ_RETURN_IF_ERROR(check_object(v, where));
  EZ_ASSIGN_OR_RETURN(ann->id, get_int(v, "id", where));
  EZ_ASSIGN_OR_RETURN(ann->image_id, get_int(v, "image_id", where));
  EZ_ASSIGN_OR_RETURN(ann->category_id, get_int(v, "category_id", where));
  EZ_ASSIGN_OR_RETURN(ann->bbox, get_bbox(v, where));
  EZ_ASSIGN_OR_RETURN(ann->area, get_number(v, "area", where));
  EZ_ASSIGN_OR_RETURN(const json* crowd, member(v, "iscrowd", where));
  if (crowd->is_boolean()) {
    ann->iscrowd = crowd->get<bool>();
  } else if (crowd->is_number_integer() && (crowd->get<int64_t>() == 0 || crowd->get<int64_t>() == 1)) {
    ann->iscrowd = crowd->get<int64_t>() == 1;
  } else {
    return invalid_argument(where + ": 'iscrowd' must be 0 or 1, got " + crowd->dump());
  }
  return Status::OK();
}

Status parse_category(const json& v, const std::string& where, Category* cat) {
  EZ_RETURN_IF_ERROR(check_object(v, where));
  EZ_ASSIGN_OR_RETURN(cat->id, get_int(v, "id", where));
  if (v.contains("name")) {
    if (!v["name"].is_string()) return invalid_argument(where + ": 'name' must be a string");
    cat->name = v["name"].get<std::string>();
  }
  return Status::OK();
}

}  // namespace

Result<GroundTruth> parse_coco_gt(const std::string& json_text, const std::string& name) {
  json root;
  EZ_RETURN_IF_ERROR(parse_json(json_text, name, &root));
  if (!root.is_object()) {
    return invalid_argument(name + ": a COCO ground-truth file must be a JSON object with 'images', "
                                   "'annotations' and 'categories', got " + std::string(type_name(root)));
  }
  GroundTruth gt;
  gt.source = name;
  EZ_ASSIGN_OR_RETURN(const json* images, get_array(root, "images", name));
  EZ_ASSIGN_OR_RETURN(const json* annotations, get_array(root, "annotations", name));
  EZ_ASSIGN_OR_RETURN(const json* categories, get_array(root, "categories", name));
  gt.images.resize(images->size());
  for (size_t i = 0; i < images->size(); ++i) {
    EZ_RETURN_IF_ERROR(parse_image((*images)[i], entry(name, "images", i), &gt.images[i]));
  }
  gt.annotations.resize(annotations->size());
  for (size_t i = 0; i < annotations->size(); ++i) {
    EZ_RETURN_IF_ERROR(parse_annotation((*annotations)[i], entry(name, "annotations", i), &gt.annotations[i]));
  }
  gt.categories.resize(categories->size());
  for (size_t i = 0; i < categories->size(); ++i) {
    EZ_RETURN_IF_ERROR(parse_category((*categories)[i], entry(name, "categories", i), &gt.categories[i]));
  }
  EZ_RETURN_IF_ERROR(validate_ground_truth(gt));
  return gt;
}

Result<GroundTruth> load_coco_gt(const std::string& path) {
  EZ_ASSIGN_OR_RETURN(std::string text, read_file(path));
  return parse_coco_gt(text, path);
}

Result<std::vector<Detection>> parse_coco_results(const std::string& json_text, const std::string& name) {
  json root;
  EZ_RETURN_IF_ERROR(parse_json(json_text, name, &root));
  if (!root.is_array()) {
    return invalid_argument(name + ": a COCO results file must be a JSON array of {image_id, category_id, bbox, "
                                   "score}, got " + std::string(type_name(root)));
  }
  std::vector<Detection> dets(root.size());
  for (size_t i = 0; i < root.size(); ++i) {
    const std::string where = name + ": [" + std::to_string(i) + "]";
    const json& v = root[i];
    EZ_RETURN_IF_ERROR(check_object(v, where));
    EZ_ASSIGN_OR_RETURN(dets[i].image_id, get_int(v, "image_id", where));
    EZ_ASSIGN_OR_RETURN(dets[i].category_id, get_int(v, "category_id", where));
    EZ_ASSIGN_OR_RETURN(dets[i].bbox, get_bbox(v, where));
    EZ_ASSIGN_OR_RETURN(dets[i].score, get_number(v, "score", where));
  }
  return dets;
}

Result<std::vector<Detection>> load_coco_results(const std::string& path) {
  EZ_ASSIGN_OR_RETURN(std::string text, read_file(path));
  return parse_coco_results(text, path);
}

std::string coco_results_json(const std::vector<Detection>& dets) {
  json out = json::array();
  for (const Detection& d : dets) {
    out.push_back({{"image_id", d.image_id},
                   {"category_id", d.category_id},
                   {"bbox", {d.bbox[0], d.bbox[1], d.bbox[2], d.bbox[3]}},
                   {"score", d.score}});
  }
  return out.dump() + "\n";
}

Status save_coco_results(const std::string& path, const std::vector<Detection>& dets) {
  for (size_t i = 0; i < dets.size(); ++i) {
    bool finite = std::isfinite(dets[i].score);
    for (double v : dets[i].bbox) finite = finite && std::isfinite(v);
    if (!finite) return invalid_argument(path + ": detection " + std::to_string(i) + " has a non-finite value");
  }
  return write_file_atomic(path, coco_results_json(dets));
}

}  // namespace ez::eval
