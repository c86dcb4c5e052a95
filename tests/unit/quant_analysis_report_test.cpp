// The analysis table and JSON on a hand-made result: order kept (it is the damage ranking), --top
// cuts the table but not the JSON, layers that could not be run alone show "-" / null.
#include <gtest/gtest.h>

#include "quant/analysis_report.h"

namespace ez::quant {
namespace {

AnalysisResult three_layers() {
  AnalysisResult r;
  r.samples = 5;
  auto layer = [](const char* node, const char* op, double iso_cos, double iso_err, double acc_cos, double acc_err, bool iso) {
    LayerError e;
    e.tensor = std::string("t_") + node;
    e.node = node;
    e.op = op;
    e.isolated_cosine = iso_cos;
    e.isolated_rel_error = iso_err;
    e.accumulated_cosine = acc_cos;
    e.accumulated_rel_error = acc_err;
    e.has_isolated = iso;
    return e;
  };
  r.layers = {layer("conv_a", "Conv", 0.9, 0.4, 0.95, 0.3, true), layer("conv_b", "Conv", 0.98, 0.2, 0.999, 0.04, true),
              layer("concat_c", "Concat", 0.97, 0.25, 1.0, 0.0, false)};
  r.outputs = {{"out", 0.96, 0.28}};
  return r;
}

TEST(QuantAnalysisReport, TableKeepsTheRankingAndCutsAtTop) {
  const std::string all = format_analysis_table(three_layers(), 0);
  const size_t pa = all.find("conv_a"), pb = all.find("conv_b"), pc = all.find("concat_c");
  ASSERT_NE(pa, std::string::npos);
  ASSERT_NE(pb, std::string::npos);
  ASSERT_NE(pc, std::string::npos);
  EXPECT_LT(pa, pb);
  EXPECT_LT(pb, pc);
  EXPECT_NE(all.find("0.900000"), std::string::npos);  // isolated cosine of conv_a
  EXPECT_NE(all.find("0.999000"), std::string::npos);  // accumulated cosine of conv_b
  EXPECT_NE(all.find("output 'out': cosine 0.960000"), std::string::npos) << all;
  // concat_c has no isolated figures: dashes, not the placeholder values.
  const std::string row_c = all.substr(pc, all.find('\n', pc) - pc);
  EXPECT_NE(row_c.find(" - "), std::string::npos) << row_c;
  EXPECT_EQ(row_c.find("0.970000"), std::string::npos) << row_c;

  const std::string top1 = format_analysis_table(three_layers(), 1);
  EXPECT_NE(top1.find("conv_a"), std::string::npos);
  EXPECT_EQ(top1.find("conv_b"), std::string::npos);
  EXPECT_NE(top1.find("2 less damaged layers not shown"), std::string::npos) << top1;
}

TEST(QuantAnalysisReport, JsonHasEveryLayer) {
  const nlohmann::json j = analysis_json(three_layers());
  EXPECT_EQ(j["samples"], 5);
  ASSERT_EQ(j["layers"].size(), 3u);
  EXPECT_EQ(j["layers"][0]["rank"], 1);
  EXPECT_EQ(j["layers"][0]["node"], "conv_a");
  EXPECT_DOUBLE_EQ(j["layers"][0]["isolated_cosine"].get<double>(), 0.9);
  EXPECT_DOUBLE_EQ(j["layers"][1]["accumulated_rel_error"].get<double>(), 0.04);
  EXPECT_TRUE(j["layers"][2]["isolated_cosine"].is_null());
  EXPECT_EQ(j["layers"][2]["op"], "Concat");
  ASSERT_EQ(j["outputs"].size(), 1u);
  EXPECT_DOUBLE_EQ(j["outputs"][0]["cosine"].get<double>(), 0.96);
}

}  // namespace
}  // namespace ez::quant
