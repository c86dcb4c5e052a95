// Checks on decoded outputs that catch the usual deployment mistakes (wrong export, wrong
// anchors, wrong normalisation, a useless threshold) and say what to do. Each returns the
// warnings it found; an empty vector means all is well. Warning codes:
//   scores_not_sigmoided  class/objectness values outside [0,1]: the export dropped its final
//                         sigmoid; the decoder applies it.
//   boxes_too_large / boxes_too_small  decoded boxes are systematically far larger than the input
//                         image or only a few pixels: anchors, strides or box encoding mismatch.
//   anchors_in_grid_units anchors given in grid cells instead of input pixels.
//   candidate_flood       the threshold lets through too many candidates before NMS.
//   scores_all_zero       every score is zero: input normalisation or a broken model.
#pragma once

#include <vector>

#include "zoo/common/detection.h"
#include "zoo/common/scores.h"

namespace ez::zoo {

// Fraction of candidate positions above which the threshold is said to flood NMS.
constexpr double kFloodFraction = 0.30;

// `what` names the values ("class scores", "objectness") for the message.
bool looks_like_logits(const ValueRange& range);
Warning logits_warning(const char* what, const ValueRange& range);

std::vector<Warning> check_scores_all_zero(float max_score);
std::vector<Warning> check_candidate_flood(int64_t passed, int64_t positions, float conf_threshold);
// Looks at the typical size of the candidates, relative to the model input (input_w/h > 0).
std::vector<Warning> check_box_sizes(const std::vector<Detection>& candidates, int input_w, int input_h);
// Anchor-based heads: anchors (w,h pairs, smallest stride first) compared with the strides.
std::vector<Warning> check_anchor_units(const std::vector<float>& anchors, const std::vector<int>& strides);

// All of the output checks above, for a finished candidate set.
std::vector<Warning> diagnose_candidates(const Candidates& candidates, float conf_threshold, int input_w,
                                         int input_h);

}  // namespace ez::zoo
