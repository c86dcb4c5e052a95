// COCO bbox evaluation against pycocotools.
//
// HOW THE EXPECTED NUMBERS WERE PRODUCED: pycocotools cannot be installed here, so its Python
// source was read from GitHub cocodataset/cocoapi (PythonAPI/pycocotools/cocoeval.py at commit
// e81c312b4e5e400c740c66c42eff5ecce6736f65, coco.py at 815c3594cb5c192f698ff9ed4dfcad0669c46437)
// and saved under /tmp (never in this repository) with two changes only: `np.float` -> `float`
// (numpy 1.24 removed the alias) and the compiled maskUtils.iou replaced by a line-by-line Python
// transcription of maskApi.c bbIou (the only C code bbox evaluation uses). Then, with Debian's
// /usr/bin/python3 (numpy 1.24.2):
//   /usr/bin/python3 tests/eval/make_coco_fixtures.py --pycocotools /tmp/pycoco_ref
// which writes the fixtures in tests/eval/data and runs COCO(gt).loadRes(dets) +
// COCOeval(iouType='bbox').evaluate/accumulate/summarize on them, printing `stats` and the
// per-category AP (mean of precision[:, :, k, 0, 2] over entries > -1). Those printed values are
// pasted below. (During development the whole precision and recall arrays also matched bit for bit.)
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>

#include "core/thread_pool.h"
#include "eval/coco_eval.h"
#include "eval/coco_json.h"
#include "eval_test_util.h"

namespace ez::eval {
namespace {

using testing::fixture;
using testing::shared_data;

void expect_stats(const CocoEvalResult& r, const std::array<double, 12>& expected) {
  for (size_t i = 0; i < 12; ++i) EXPECT_NEAR(r.stats[i], expected[i], 1e-4) << "stats[" << i << "]";
}

size_t category_index(const CocoEvalResult& r, int64_t id) {
  for (size_t k = 0; k < r.category_ids.size(); ++k) {
    if (r.category_ids[k] == id) return k;
  }
  ADD_FAILURE() << "no category " << id;
  return 0;
}

Result<CocoEvalResult> run(const std::string& gt_path, const std::string& dets_path, const CocoEvalOptions& o = {}) {
  EZ_ASSIGN_OR_RETURN(GroundTruth gt, load_coco_gt(gt_path));
  EZ_ASSIGN_OR_RETURN(std::vector<Detection> dets, load_coco_results(dets_path));
  return evaluate_bbox(gt, dets, o);
}

TEST(EvalCocoParams, ThresholdsAreNumpyLinspaceBitForBit) {
  // repr() of np.linspace(.5, 0.95, 10) and np.linspace(0, 1, 101) under numpy 1.24.2.
  const std::array<double, 10> iou = {0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.8999999999999999, 0.95};
  for (int t = 0; t < 10; ++t) EXPECT_EQ(iou_thresholds()[t], iou[t]) << t;
  // The recall thresholds that numpy computes as i*0.01 != i/100:
  const std::vector<int> off = {35, 41, 47, 57, 69, 70, 82, 83, 94, 95};
  for (int i = 0; i <= 100; ++i) {
    const bool differs = std::find(off.begin(), off.end(), i) != off.end();
    EXPECT_EQ(recall_thresholds()[i] != i / 100.0, differs) << i;
  }
  EXPECT_EQ(recall_thresholds()[57], 0.5700000000000001);
  EXPECT_EQ(recall_thresholds()[100], 1.0);
}

TEST(EvalCocoIou, RegularAndCrowd) {
  // 10x10 at the origin against 10x10 shifted by 5: intersection 50, union 150.
  EXPECT_DOUBLE_EQ(box_iou({5, 0, 10, 10}, {0, 0, 10, 10}, false), 50.0 / 150.0);
  // Crowd: intersection over the detection's own area.
  EXPECT_DOUBLE_EQ(box_iou({5, 0, 10, 10}, {0, 0, 10, 10}, true), 0.5);
  EXPECT_DOUBLE_EQ(box_iou({2, 2, 3, 3}, {0, 0, 100, 100}, true), 1.0);
  EXPECT_EQ(box_iou({10, 0, 5, 5}, {0, 0, 10, 10}, false), 0.0);  // touching edges
  EXPECT_EQ(box_iou({1, 1, 0, 5}, {0, 0, 10, 10}, false), 0.0);   // zero width
}

// Crowd regions, images without GT or without detections, categories without detections or
// without GT, score ties, 130 detections on one image, boundary areas (see make_coco_fixtures.py).
TEST(EvalCocoEval, HandmadeFixtureMatchesPycocotools) {
  auto r = run(fixture("handmade_gt.json"), fixture("handmade_dets.json"));
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  expect_stats(*r, {0.13495753119064893, 0.245564321678634, 0.1037722554224732, 0.22691199522882685,
                    0.3248508132964403, 0.1584158415841584, 0.13933933933933937, 0.23123123123123124,
                    0.31861861861861857, 0.3519230769230769, 0.6250000000000001, 0.475});
  ASSERT_EQ(r->category_ids, (std::vector<int64_t>{1, 2, 3, 4, 9}));
  EXPECT_NEAR(r->category_ap(0), 0.08328843515610522, 1e-9);
  EXPECT_NEAR(r->category_ap(1), 0.3215841584158416, 1e-9);
  EXPECT_EQ(r->category_ap(2), 0.0);   // GT, never detected
  EXPECT_EQ(r->category_ap(3), -1.0);  // detections, no GT
  EXPECT_EQ(r->category_ap(4), -1.0);  // only a crowd GT: nothing countable
  EXPECT_EQ(r->detections_dropped, 1u);  // the category-99 detection
  EXPECT_EQ(r->detections_used, 157u);

  const std::string expected =
      " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.135\n"
      " Average Precision  (AP) @[ IoU=0.50      | area=   all | maxDets=100 ] = 0.246\n"
      " Average Precision  (AP) @[ IoU=0.75      | area=   all | maxDets=100 ] = 0.104\n"
      " Average Precision  (AP) @[ IoU=0.50:0.95 | area= small | maxDets=100 ] = 0.227\n"
      " Average Precision  (AP) @[ IoU=0.50:0.95 | area=medium | maxDets=100 ] = 0.325\n"
      " Average Precision  (AP) @[ IoU=0.50:0.95 | area= large | maxDets=100 ] = 0.158\n"
      " Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=  1 ] = 0.139\n"
      " Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets= 10 ] = 0.231\n"
      " Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.319\n"
      " Average Recall     (AR) @[ IoU=0.50:0.95 | area= small | maxDets=100 ] = 0.352\n"
      " Average Recall     (AR) @[ IoU=0.50:0.95 | area=medium | maxDets=100 ] = 0.625\n"
      " Average Recall     (AR) @[ IoU=0.50:0.95 | area= large | maxDets=100 ] = 0.475\n";
  EXPECT_EQ(r->summary(), expected);
}

// Ground truth: the 206-image COCO val subset; detections: jittered GT boxes, duplicates, wrong
// classes, false positives, detections in crowd regions, 3-decimal scores (seed 20240501).
TEST(EvalCocoEval, RandomFixtureOnValSubsetMatchesPycocotools) {
  const std::string gt_path = shared_data("coco/instances_val_subset.json");
  if (!std::ifstream(gt_path)) GTEST_SKIP() << "no " << gt_path;
  auto r = run(gt_path, fixture("random_dets.json"));
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  expect_stats(*r, {0.17482772676198943, 0.33409827992563423, 0.14801676377165907, 0.3378597626504827,
                    0.21570762225287832, 0.18729822003303043, 0.2701450330758522, 0.41626342828876517,
                    0.4206582836086805, 0.4072217887262279, 0.393491525227773, 0.4561945288379715});
  ASSERT_EQ(r->category_ids.size(), 80u);
  EXPECT_NEAR(r->category_ap(category_index(*r, 1)), 0.25596634809461694, 1e-9);
  EXPECT_NEAR(r->category_ap(category_index(*r, 18)), 0.12162787707342161, 1e-9);
  EXPECT_NEAR(r->category_ap(category_index(*r, 62)), 0.26778059641007423, 1e-9);
  EXPECT_NEAR(r->category_ap(category_index(*r, 90)), 0.12095824967112093, 1e-9);
  EXPECT_EQ(r->detections_used, 2621u);

  ThreadPool pool(2);
  CocoEvalOptions parallel;
  parallel.pool = &pool;
  auto p = run(gt_path, fixture("random_dets.json"), parallel);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->stats, r->stats);
  EXPECT_EQ(p->precision, r->precision);
}

// params.imgIds = every other image id, params.catIds = [1, 3, 18, 44, 62].
TEST(EvalCocoEval, ImageAndCategorySubsetMatchesPycocotools) {
  const std::string gt_path = shared_data("coco/instances_val_subset.json");
  if (!std::ifstream(gt_path)) GTEST_SKIP() << "no " << gt_path;
  auto gt = load_coco_gt(gt_path);
  ASSERT_TRUE(gt.ok());
  std::vector<int64_t> ids;
  for (const GtImage& img : gt->images) ids.push_back(img.id);
  std::sort(ids.begin(), ids.end());
  CocoEvalOptions o;
  for (size_t i = 0; i < ids.size(); i += 2) o.image_ids.push_back(ids[i]);  // ids[::2]
  o.category_ids = {62, 1, 3, 18, 44};
  auto dets = load_coco_results(fixture("random_dets.json"));
  ASSERT_TRUE(dets.ok());
  auto r = evaluate_bbox(*gt, *dets, o);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  expect_stats(*r, {0.2730553878018219, 0.5522246571985975, 0.21403471707954352, 0.35219525118909006,
                    0.3696313338569494, 0.2582085285987912, 0.20859812298138286, 0.43911209951298047,
                    0.44686540347773823, 0.45246851102114255, 0.4957838827838828, 0.4418333333333333});
  ASSERT_EQ(r->category_ids, (std::vector<int64_t>{1, 3, 18, 44, 62}));
  EXPECT_NEAR(r->category_ap(2), 0.31449787835926446, 1e-9);
}

GroundTruth one_image_gt(std::vector<GtAnnotation> anns) {
  GroundTruth gt;
  gt.source = "test";
  gt.images = {{1, 100, 100, "a.jpg"}};
  gt.categories = {{1, "thing"}};
  gt.annotations = std::move(anns);
  return gt;
}

// Equal scores keep their input order (numpy mergesort): TP then FP gives AP 1, FP then TP 0.5.
TEST(EvalCocoEval, ScoreTiesKeepInputOrder) {
  const GroundTruth gt = one_image_gt({{1, 1, 1, {10, 10, 50, 50}, 2500, false}});
  const Detection hit{1, 1, {10, 10, 50, 50}, 0.5}, miss{1, 1, {70, 70, 20, 20}, 0.5};
  auto first = evaluate_bbox(gt, {hit, miss});
  auto second = evaluate_bbox(gt, {miss, hit});
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_DOUBLE_EQ(first->stats[0], 1.0);
  EXPECT_DOUBLE_EQ(second->stats[0], 0.5);
  EXPECT_DOUBLE_EQ(second->stats[8], 1.0);  // recall is 1 either way
}

TEST(EvalCocoEval, NoDetectionsGiveZeroAndMissingAreasGiveMinusOne) {
  const GroundTruth gt = one_image_gt({{1, 1, 1, {0, 0, 50, 40}, 2000, false}});  // medium only
  auto r = evaluate_bbox(gt, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->stats[0], 0.0);
  EXPECT_EQ(r->stats[3], -1.0);  // no small GT
  EXPECT_EQ(r->stats[4], 0.0);
  EXPECT_EQ(r->stats[5], -1.0);  // no large GT
  EXPECT_NE(r->summary().find("area= small | maxDets=100 ] = -1.000\n"), std::string::npos);
}

// pycocotools stores the matched GT id and reads 0 as "no match": a GT with id 0 never yields a TP.
TEST(EvalCocoEval, GroundTruthIdZeroCannotBeMatchedAsInPycocotools) {
  const GroundTruth gt = one_image_gt({{0, 1, 1, {10, 10, 50, 50}, 2500, false}});
  auto r = evaluate_bbox(gt, {{1, 1, {10, 10, 50, 50}, 0.9}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->stats[0], 0.0);
  EXPECT_EQ(r->stats[8], 0.0);
}

TEST(EvalCocoEval, BadDetectionsAreErrors) {
  const GroundTruth gt = one_image_gt({{1, 1, 1, {10, 10, 50, 50}, 2500, false}});
  auto unknown_image = evaluate_bbox(gt, {{7, 1, {0, 0, 5, 5}, 0.5}});
  ASSERT_FALSE(unknown_image.ok());
  EXPECT_NE(unknown_image.status().message().find("image_id 7"), std::string::npos);
  auto nan_score = evaluate_bbox(gt, {{1, 1, {0, 0, 5, 5}, std::nan("")}});
  ASSERT_FALSE(nan_score.ok());
  EXPECT_NE(nan_score.status().message().find("non-finite"), std::string::npos);
}

}  // namespace
}  // namespace ez::eval
