// Internal to the layout detector: one matcher per kind of head. A matcher returns the layout it
// recognises, or nothing; detect_layout() tries them in turn and names the family.
#pragma once

#include <optional>
#include <string>

#include "zoo/layout/model_layout.h"

namespace ez::zoo {

struct MatchContext {
  const LayoutQuery& query;
  std::optional<Family> forced;  // --family; matchers relax their checks for what it allows
};

std::string lower(std::string s);
// Prediction positions of a WxH input over strides 8/16/32 (0 when the size is unknown).
int64_t grid_positions(int input_w, int input_h);
// The square input size S (a multiple of 32) for which `per_cell` x positions(S) == n, or 0.
int infer_square_input(int64_t n, int per_cell);

std::optional<ModelLayout> match_split_head(const MatchContext& c);
std::optional<ModelLayout> match_single_output(const MatchContext& c);  // flat, end-to-end, RetinaFace, CTC
std::optional<ModelLayout> match_multi_output(const MatchContext& c);   // PP-YOLOE, RetinaFace x3

}  // namespace ez::zoo
