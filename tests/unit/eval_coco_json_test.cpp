// COCO JSON loading: well-formed files, and a clear error (file + entry + what) for malformed ones.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <unistd.h>

#include "core/file_util.h"
#include "eval/coco_json.h"
#include "eval_test_util.h"

namespace ez::eval {
namespace {

const char* kGood = R"({
  "images": [{"id": 5, "width": 640, "height": 480, "file_name": "a.jpg"}, {"id": 9}],
  "annotations": [
    {"id": 1, "image_id": 5, "category_id": 3, "bbox": [1, 2, 30.5, 40], "area": 1000.5, "iscrowd": 0,
     "segmentation": [[1, 2, 3, 4, 5, 6]], "ignore": 1},
    {"id": 2, "image_id": 9, "category_id": 3, "bbox": [0, 0, 10, 10], "area": 100, "iscrowd": true}],
  "categories": [{"id": 3, "name": "car"}]})";

// The error message of parsing `text` as ground truth named "gt.json".
std::string gt_error(const std::string& text) {
  auto r = parse_coco_gt(text, "gt.json");
  if (r.ok()) return "(parsed fine)";
  EXPECT_EQ(r.status().message().rfind("gt.json: ", 0), 0u) << r.status().message();  // names the file first
  return r.status().message();
}

std::string replace(std::string s, const std::string& from, const std::string& to) {
  const size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return at == std::string::npos ? s : s.replace(at, from.size(), to);
}

#define EXPECT_HAS(haystack, needle) EXPECT_NE((haystack).find(needle), std::string::npos) << (haystack)

TEST(EvalCocoJson, ParsesGroundTruth) {
  auto gt = parse_coco_gt(kGood, "gt.json");
  ASSERT_TRUE(gt.ok()) << gt.status().to_string();
  ASSERT_EQ(gt->images.size(), 2u);
  EXPECT_EQ(gt->images[0].width, 640);
  EXPECT_EQ(gt->images[0].file_name, "a.jpg");
  EXPECT_EQ(gt->images[1].width, 0);
  ASSERT_EQ(gt->annotations.size(), 2u);
  const GtAnnotation& a = gt->annotations[0];
  EXPECT_EQ(a.id, 1);
  EXPECT_EQ(a.image_id, 5);
  EXPECT_EQ(a.category_id, 3);
  EXPECT_EQ(a.bbox, (BoxXYWH{1, 2, 30.5, 40}));
  EXPECT_EQ(a.area, 1000.5);
  EXPECT_FALSE(a.iscrowd);  // "ignore": 1 is overwritten by iscrowd, as in pycocotools
  EXPECT_TRUE(gt->annotations[1].iscrowd);
  EXPECT_EQ(gt->categories[0].name, "car");
  EXPECT_EQ(gt->source, "gt.json");
}

TEST(EvalCocoJson, FileErrors) {
  auto missing = load_coco_gt("/nonexistent/instances.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_HAS(missing.status().message(), "/nonexistent/instances.json");

  EXPECT_HAS(gt_error("{\"images\": [}"), "not valid JSON");
  EXPECT_HAS(gt_error(""), "not valid JSON");
  EXPECT_HAS(gt_error("[1, 2]"), "must be a JSON object with 'images'");
}

TEST(EvalCocoJson, MissingKeys) {
  EXPECT_HAS(gt_error(R"({"images": [], "annotations": []})"), "missing key 'categories'");
  EXPECT_HAS(gt_error(replace(kGood, "\"bbox\": [1, 2, 30.5, 40], ", "")), "annotations[0]: missing key 'bbox'");
  EXPECT_HAS(gt_error(replace(kGood, "\"area\": 100, ", "")), "annotations[1]: missing key 'area'");
  EXPECT_HAS(gt_error(replace(kGood, ", \"iscrowd\": 0", "")), "annotations[0]: missing key 'iscrowd'");
  EXPECT_HAS(gt_error(replace(kGood, "{\"id\": 9}", "{}")), "images[1]: missing key 'id'");
  EXPECT_HAS(gt_error(replace(kGood, "{\"id\": 3, ", "{")), "categories[0]: missing key 'id'");
}

TEST(EvalCocoJson, WrongTypes) {
  EXPECT_HAS(gt_error(replace(kGood, "\"images\": [", "\"images\": {\"x\": 1}, \"old\": [")),
             "'images' must be an array, got object");
  EXPECT_HAS(gt_error(replace(kGood, "\"id\": 5,", "\"id\": \"5\",")), "images[0]: 'id' must be an integer, got string");
  EXPECT_HAS(gt_error(replace(kGood, "\"id\": 5,", "\"id\": 5.5,")), "'id' must be an integer");
  EXPECT_HAS(gt_error(replace(kGood, "[1, 2, 30.5, 40]", "[1, 2, 30.5]")), "'bbox' must be an array of 4 numbers");
  EXPECT_HAS(gt_error(replace(kGood, "[1, 2, 30.5, 40]", "[1, 2, \"w\", 40]")), "'bbox' must hold numbers");
  EXPECT_HAS(gt_error(replace(kGood, "\"area\": 100,", "\"area\": null,")), "'area' must be a number, got null");
  EXPECT_HAS(gt_error(replace(kGood, "\"iscrowd\": 0", "\"iscrowd\": 2")), "'iscrowd' must be 0 or 1");
  EXPECT_HAS(gt_error(replace(kGood, "\"name\": \"car\"", "\"name\": 7")), "categories[0]: 'name' must be a string");
  EXPECT_HAS(gt_error(replace(kGood, "{\"id\": 9}", "7")), "images[1]: must be an object, got number");
  // An integral float id is what Python would treat as the same key.
  EXPECT_TRUE(parse_coco_gt(replace(kGood, "\"id\": 5,", "\"id\": 5.0,"), "gt.json").ok());
}

TEST(EvalCocoJson, DuplicateIdsAndUnknownReferences) {
  EXPECT_HAS(gt_error(replace(kGood, "{\"id\": 9}", "{\"id\": 5}")), "duplicate image id 5 (images[0] and images[1])");
  EXPECT_HAS(gt_error(replace(kGood, "{\"id\": 2,", "{\"id\": 1,")), "duplicate annotation id 1");
  EXPECT_HAS(gt_error(replace(kGood, "[{\"id\": 3, \"name\": \"car\"}]", "[{\"id\": 3}, {\"id\": 3}]")),
             "duplicate category id 3");
  EXPECT_HAS(gt_error(replace(kGood, "\"image_id\": 9", "\"image_id\": 10")),
             "annotations[1] (id 2): image_id 10 is not in 'images'");
  EXPECT_HAS(gt_error(replace(kGood, "\"image_id\": 9, \"category_id\": 3", "\"image_id\": 9, \"category_id\": 4")),
             "annotations[1] (id 2): category_id 4 is not in 'categories'");
}

TEST(EvalCocoJson, ResultsRoundTripAndErrors) {
  const std::vector<Detection> dets = {{5, 3, {1.25, 2.5, 30.125, 40.0625}, 0.123456789012345},
                                       {9, 1, {0, 0, 1e-3, 7}, 1.0}};
  const std::string path = ::testing::TempDir() + "/ez_results_" + std::to_string(getpid()) + ".json";
  ASSERT_TRUE(save_coco_results(path, dets).ok());
  auto back = load_coco_results(path);
  std::remove(path.c_str());
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  ASSERT_EQ(back->size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ((*back)[i].image_id, dets[i].image_id);
    EXPECT_EQ((*back)[i].category_id, dets[i].category_id);
    EXPECT_EQ((*back)[i].bbox, dets[i].bbox);  // full precision
    EXPECT_EQ((*back)[i].score, dets[i].score);
  }
  EXPECT_FALSE(save_coco_results(path, {{1, 1, {0, 0, 1, 1}, std::nan("")}}).ok());
  EXPECT_FALSE(std::ifstream(path).good());  // nothing half-written

  auto not_array = parse_coco_results("{\"image_id\": 1}", "res.json");
  ASSERT_FALSE(not_array.ok());
  EXPECT_HAS(not_array.status().message(), "res.json: a COCO results file must be a JSON array");
  auto no_score = parse_coco_results(R"([{"image_id": 1, "category_id": 2, "bbox": [0, 0, 1, 1]}])", "res.json");
  ASSERT_FALSE(no_score.ok());
  EXPECT_HAS(no_score.status().message(), "res.json: [0]: missing key 'score'");
  auto extra = parse_coco_results(R"([{"image_id": 1, "category_id": 2, "bbox": [0, 0, 1, 1], "score": 0.5,
                                       "area": 99, "id": 42, "segmentation": []}])", "res.json");
  ASSERT_TRUE(extra.ok());
  EXPECT_TRUE(parse_coco_results("[]", "res.json").ok());
}

TEST(EvalCocoJson, LoadsTheSharedValSubset) {
  const std::string path = testing::shared_data("coco/instances_val_subset.json");
  if (!std::ifstream(path)) GTEST_SKIP() << "no " << path;
  auto gt = load_coco_gt(path);
  ASSERT_TRUE(gt.ok()) << gt.status().to_string();
  EXPECT_EQ(gt->images.size(), 206u);      // numbers from the data folder's README
  EXPECT_EQ(gt->annotations.size(), 1786u);
  EXPECT_EQ(gt->categories.size(), 80u);
  size_t crowd = 0;
  for (const GtAnnotation& a : gt->annotations) crowd += a.iscrowd;
  EXPECT_EQ(crowd, 21u);
}

}  // namespace
}  // namespace ez::eval
