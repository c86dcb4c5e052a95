// RetinaFace (Pytorch_Retinaface, MobileNet-0.25 / ResNet-50): per prior 4 box deltas, 2 class
// logits (background, face) and 10 landmark deltas, over priors of min sizes 16/32, 64/128,
// 256/512 at strides 8/16/32 (two priors a cell, row-major), variances 0.1 / 0.2.
// Exports come as one output [1, N, 16] (deltas, logits, landmarks concatenated) or three
// outputs [1, N, 4], [1, N, 2], [1, N, 10]. Landmarks (5 points) go to Detection::extra as x, y.
#pragma once

#include "zoo/common/detection.h"

namespace ez::zoo {

// Priors for a WxH input: (cx, cy, w, h) normalised to the input, 4 floats each.
std::vector<float> retinaface_priors(int input_w, int input_h);
int64_t retinaface_prior_count(int input_w, int input_h);

// Either `combined` ([1, N, 16]) or all of `loc`, `conf`, `landmarks` must be non-null.
struct RetinaFaceOutputs {
  const NamedTensor* combined = nullptr;
  const NamedTensor* loc = nullptr;
  const NamedTensor* conf = nullptr;
  const NamedTensor* landmarks = nullptr;
};

Result<Candidates> decode_retinaface(const RetinaFaceOutputs& outputs, int input_w, int input_h,
                                     const DecodeOptions& options);

}  // namespace ez::zoo
