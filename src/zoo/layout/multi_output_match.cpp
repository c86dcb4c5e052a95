// Recognising heads split by meaning rather than by scale: PP-YOLOE's Paddle export (boxes +
// scores) and RetinaFace exported as three outputs (box deltas, class logits, landmarks).
#include "zoo/layout/layout_match.h"
#include "zoo/retinaface/retinaface_decoder.h"

namespace ez::zoo {
namespace {

bool rank3_batch1(const OutputSpec& o) { return o.shape.size() == 3 && o.shape[0] == 1 && o.shape[1] > 0 && o.shape[2] > 0; }

std::optional<ModelLayout> match_boxes_scores(const MatchContext& c) {
  const std::vector<OutputSpec>& outs = c.query.outputs;
  if (outs.size() != 2 || !rank3_batch1(outs[0]) || !rank3_batch1(outs[1])) return std::nullopt;
  if (c.forced && *c.forced != Family::kPpyoloe) return std::nullopt;
  for (int first = 0; first < 2; ++first) {
    const OutputSpec& boxes = outs[first];
    const OutputSpec& scores = outs[1 - first];
    if (boxes.shape[2] != 4 || scores.shape[2] != boxes.shape[1]) continue;
    ModelLayout l;
    l.family = Family::kPpyoloe;
    l.head = Head::kBoxesScores;
    l.input_width = c.query.input_width;
    l.input_height = c.query.input_height;
    l.num_classes = static_cast<int>(scores.shape[1]);
    l.main_output = boxes.name;
    l.scores_output = scores.name;
    return l;
  }
  return std::nullopt;
}

std::optional<ModelLayout> match_retinaface_three(const MatchContext& c) {
  const std::vector<OutputSpec>& outs = c.query.outputs;
  if (outs.size() != 3) return std::nullopt;
  if (c.forced && *c.forced != Family::kRetinaFace) return std::nullopt;
  const OutputSpec *loc = nullptr, *conf = nullptr, *landmarks = nullptr;
  for (const OutputSpec& o : outs) {
    if (!rank3_batch1(o) || o.shape[1] != outs[0].shape[1]) return std::nullopt;
    const int64_t w = o.shape[2];
    if (w == 4) loc = &o;
    if (w == 2) conf = &o;
    if (w == 10) landmarks = &o;
  }
  if (!loc || !conf || !landmarks) return std::nullopt;
  ModelLayout l;
  l.input_width = c.query.input_width;
  l.input_height = c.query.input_height;
  const int64_t n = loc->shape[1];
  if (l.input_width > 0 && l.input_height > 0) {
    if (n != retinaface_prior_count(l.input_width, l.input_height)) return std::nullopt;
  } else {
    const int s = infer_square_input(n, 2);
    if (s == 0) return std::nullopt;
    l.input_width = l.input_height = s;
  }
  l.family = Family::kRetinaFace;
  l.head = Head::kRetinaFace;
  l.task = Task::kFace;
  l.num_classes = 1;
  l.strides = {8, 16, 32};
  l.main_output = loc->name;
  l.scores_output = conf->name;
  l.extra_output = landmarks->name;
  return l;
}

}  // namespace

std::optional<ModelLayout> match_multi_output(const MatchContext& c) {
  if (auto l = match_boxes_scores(c)) return l;
  return match_retinaface_three(c);
}

}  // namespace ez::zoo
