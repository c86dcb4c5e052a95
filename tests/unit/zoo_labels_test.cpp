// Label files, the built-in COCO list and the COCO category id mapping.
#include <cstdlib>
#include <fstream>

#include "core/file_util.h"
#include "zoo/common/labels.h"
#include "zoo_test_util.h"

namespace ez::zoo {
namespace {

std::string data_dir() {
  const char* env = std::getenv("EDGEZOO_DATA");
  return env ? env : EDGEZOO_DATA_DEFAULT;
}

TEST(ZooLabels, BuiltInCocoListMatchesTheDataFile) {
  const std::string path = data_dir() + "/coco/coco_80_labels.txt";
  Result<std::vector<std::string>> from_file = load_labels(path);
  if (!from_file.ok()) GTEST_SKIP() << "no test data: " << from_file.status().to_string();
  EXPECT_EQ(from_file.value(), coco80_labels());
  ASSERT_EQ(coco80_labels().size(), 80u);
  EXPECT_EQ(coco80_labels()[0], "person");
  EXPECT_EQ(coco80_labels()[79], "toothbrush");
}

TEST(ZooLabels, ParsesLinesToleratingCrLfAndTrailingBlankLines) {
  Result<std::vector<std::string>> l = parse_labels("cat\r\ndog \r\nhot dog\n\n\n", "mem");
  ASSERT_TRUE(l.ok()) << l.status().to_string();
  EXPECT_EQ(l.value(), (std::vector<std::string>{"cat", "dog", "hot dog"}));
  EXPECT_EQ(parse_labels("a\nb", "mem").value().size(), 2u);  // no final newline
}

TEST(ZooLabels, RejectsEmptyFilesAndEmptyLinesInside) {
  EXPECT_FALSE(parse_labels("", "mem").ok());
  EXPECT_FALSE(parse_labels("\n\n", "mem").ok());
  Result<std::vector<std::string>> gap = parse_labels("a\n\nb\n", "list.txt");
  ASSERT_FALSE(gap.ok());
  EXPECT_NE(gap.status().message().find("line 2"), std::string::npos) << gap.status().message();
  EXPECT_EQ(load_labels("/nonexistent/labels.txt").status().code(), StatusCode::kNotFound);
}

TEST(ZooLabels, LabelNameFallsBackForUnknownClasses) {
  EXPECT_EQ(label_name(coco80_labels(), 5), "bus");
  EXPECT_EQ(label_name(coco80_labels(), 80), "class 80");
  EXPECT_EQ(label_name({}, -1), "class -1");
}

TEST(ZooLabels, CocoCategoryIdsHaveTheOfficialGaps) {
  EXPECT_EQ(coco80_to_category_id(0), 1);    // person
  EXPECT_EQ(coco80_to_category_id(10), 11);  // fire hydrant
  EXPECT_EQ(coco80_to_category_id(11), 13);  // stop sign (12 unused)
  EXPECT_EQ(coco80_to_category_id(24), 27);  // backpack (26 unused)
  EXPECT_EQ(coco80_to_category_id(79), 90);  // toothbrush
  EXPECT_EQ(coco80_to_category_id(80), -1);
  EXPECT_EQ(coco80_to_category_id(-1), -1);
  for (int i = 0; i < 80; ++i) {
    EXPECT_EQ(coco_category_id_to_80(coco80_to_category_id(i)), i);
    if (i > 0) {
      EXPECT_GT(coco80_to_category_id(i), coco80_to_category_id(i - 1));
    }
  }
  EXPECT_EQ(coco_category_id_to_80(12), -1);
}

}  // namespace
}  // namespace ez::zoo
