#include "zoo/yolox/yolox_decoder.h"

#include <cmath>

namespace ez::zoo {
namespace {

// A raw centre is an offset within its cell (about -0.5..1.5); a decoded centre is a pixel
// position, beyond a few pixels for nearly every row. A raw offset this large is implausible.
constexpr float kRawOffsetLimit = 4.0f;

}  // namespace

std::vector<GridCell> yolox_grid(int input_w, int input_h) {
  std::vector<GridCell> grid;
  for (int stride : kYoloxStrides) {
    const int gw = input_w / stride;
    const int gh = input_h / stride;
    for (int y = 0; y < gh; ++y) {
      for (int x = 0; x < gw; ++x) {
        grid.push_back({static_cast<float>(x), static_cast<float>(y), static_cast<float>(stride)});
      }
    }
  }
  return grid;
}

bool yolox_boxes_look_decoded(const FloatView& rows) {
  if (rows.shape().size() != 3 || rows.shape()[2] < 2) return false;
  const int64_t n = rows.shape()[1];
  const int64_t cols = rows.shape()[2];
  int64_t far = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float* row = rows.data() + i * cols;
    if (std::fabs(row[0]) > kRawOffsetLimit || std::fabs(row[1]) > kRawOffsetLimit) ++far;
  }
  return far * 2 > n;
}

Result<Candidates> decode_yolox(const NamedTensor& output, int input_w, int input_h, const DecodeOptions& options) {
  EZ_ASSIGN_OR_RETURN(FloatView rows, FloatView::of(output.tensor, output.name));
  bool decoded = options.yolox_boxes == DecodeOptions::BoxEncoding::kDecoded;
  if (options.yolox_boxes == DecodeOptions::BoxEncoding::kAuto) decoded = yolox_boxes_look_decoded(rows);
  if (decoded) return decode_objectness_rows(rows, output.name, nullptr, options);
  if (input_w <= 0 || input_h <= 0) {
    return invalid_argument("YOLOX output '" + output.name + "' has raw boxes; the model input size is needed to "
                            "rebuild the grid");
  }
  const std::vector<GridCell> grid = yolox_grid(input_w, input_h);
  return decode_objectness_rows(rows, output.name, &grid, options);
}

}  // namespace ez::zoo
