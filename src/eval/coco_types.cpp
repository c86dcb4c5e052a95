#include "eval/coco_types.h"

#include <cmath>
#include <unordered_map>

namespace ez::eval {
namespace {

// First index of each id; an error naming both entries when an id repeats.
template <typename T>
Status check_unique(const std::vector<T>& items, const std::string& source, const std::string& what,
                    const std::string& key, std::unordered_map<int64_t, size_t>* index) {
  index->reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    auto [it, inserted] = index->emplace(items[i].id, i);
    if (!inserted) {
      return invalid_argument(source + ": duplicate " + what + " id " + std::to_string(items[i].id) + " (" + key +
                              "[" + std::to_string(it->second) + "] and " + key + "[" + std::to_string(i) + "])");
    }
  }
  return Status::OK();
}

}  // namespace

Status validate_ground_truth(const GroundTruth& gt) {
  std::unordered_map<int64_t, size_t> images, annotations, categories;
  EZ_RETURN_IF_ERROR(check_unique(gt.images, gt.source, "image", "images", &images));
  EZ_RETURN_IF_ERROR(check_unique(gt.categories, gt.source, "category", "categories", &categories));
  EZ_RETURN_IF_ERROR(check_unique(gt.annotations, gt.source, "annotation", "annotations", &annotations));
  for (size_t i = 0; i < gt.annotations.size(); ++i) {
    const GtAnnotation& a = gt.annotations[i];
    const std::string where = gt.source + ": annotations[" + std::to_string(i) + "] (id " + std::to_string(a.id) + ")";
    if (!images.count(a.image_id)) {
      return invalid_argument(where + ": image_id " + std::to_string(a.image_id) + " is not in 'images'");
    }
    if (!categories.count(a.category_id)) {
      return invalid_argument(where + ": category_id " + std::to_string(a.category_id) + " is not in 'categories'");
    }
    for (double v : a.bbox) {
      if (!std::isfinite(v)) return invalid_argument(where + ": bbox has a non-finite value");
    }
    if (!std::isfinite(a.area)) return invalid_argument(where + ": area is not finite");
  }
  return Status::OK();
}

}  // namespace ez::eval
