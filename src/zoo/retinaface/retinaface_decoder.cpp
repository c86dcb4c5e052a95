#include "zoo/retinaface/retinaface_decoder.h"

#include <cmath>

#include "zoo/common/candidates.h"
#include "zoo/common/float_view.h"
#include "zoo/common/scores.h"

namespace ez::zoo {
namespace {

constexpr int kStrides[3] = {8, 16, 32};
constexpr float kMinSizes[3][2] = {{16, 32}, {64, 128}, {256, 512}};
constexpr float kCenterVariance = 0.1f, kSizeVariance = 0.2f;
constexpr int kLandmarkValues = 10;

int cells(int size, int stride) { return (size + stride - 1) / stride; }  // the reference uses ceil

// One of the per-prior fields: `width` floats starting at column `offset` of rows `row_size` wide.
struct Field {
  const float* data;
  int64_t row_size;
};

Result<Field> field_of(const NamedTensor* t, std::vector<FloatView>& keep, int64_t n, int64_t width, int64_t offset,
                       const char* expected) {
  EZ_ASSIGN_OR_RETURN(FloatView v, FloatView::of(t->tensor, t->name));
  EZ_RETURN_IF_ERROR(expect_batch_one(v.shape(), 3, t->name, expected));
  if (v.shape()[1] != n || v.shape()[2] < offset + width) {
    return invalid_argument("output '" + t->name + "' " + shape_to_string(v.shape()) + ": expected " + expected +
                            " with N = " + std::to_string(n) + " priors for this input size");
  }
  Field f{v.data() + offset, v.shape()[2]};
  keep.push_back(std::move(v));
  return f;
}

}  // namespace

int64_t retinaface_prior_count(int input_w, int input_h) {
  int64_t n = 0;
  for (int s : kStrides) n += 2LL * cells(input_w, s) * cells(input_h, s);
  return n;
}

std::vector<float> retinaface_priors(int input_w, int input_h) {
  std::vector<float> priors;
  priors.reserve(static_cast<size_t>(retinaface_prior_count(input_w, input_h)) * 4);
  for (int k = 0; k < 3; ++k) {
    const int s = kStrides[k];
    for (int i = 0; i < cells(input_h, s); ++i) {
      for (int j = 0; j < cells(input_w, s); ++j) {
        for (float min_size : kMinSizes[k]) {
          priors.push_back((static_cast<float>(j) + 0.5f) * static_cast<float>(s) / static_cast<float>(input_w));
          priors.push_back((static_cast<float>(i) + 0.5f) * static_cast<float>(s) / static_cast<float>(input_h));
          priors.push_back(min_size / static_cast<float>(input_w));
          priors.push_back(min_size / static_cast<float>(input_h));
        }
      }
    }
  }
  return priors;
}

Result<Candidates> decode_retinaface(const RetinaFaceOutputs& outputs, int input_w, int input_h,
                                     const DecodeOptions& options) {
  if (input_w <= 0 || input_h <= 0) return invalid_argument("RetinaFace decoding needs the model input size");
  const int64_t n = retinaface_prior_count(input_w, input_h);
  std::vector<FloatView> keep;
  Field loc{}, conf{}, landmarks{};
  if (outputs.combined) {
    const char* expected = "[1, N, 16] (4 box deltas, 2 class logits, 10 landmark deltas)";
    EZ_ASSIGN_OR_RETURN(loc, field_of(outputs.combined, keep, n, 4, 0, expected));
    EZ_ASSIGN_OR_RETURN(conf, field_of(outputs.combined, keep, n, 2, 4, expected));
    EZ_ASSIGN_OR_RETURN(landmarks, field_of(outputs.combined, keep, n, kLandmarkValues, 6, expected));
  } else if (outputs.loc && outputs.conf && outputs.landmarks) {
    EZ_ASSIGN_OR_RETURN(loc, field_of(outputs.loc, keep, n, 4, 0, "[1, N, 4]"));
    EZ_ASSIGN_OR_RETURN(conf, field_of(outputs.conf, keep, n, 2, 0, "[1, N, 2]"));
    EZ_ASSIGN_OR_RETURN(landmarks, field_of(outputs.landmarks, keep, n, kLandmarkValues, 0, "[1, N, 10]"));
  } else {
    return invalid_argument("RetinaFace: expected one [1, N, 16] output or three (boxes, scores, landmarks)");
  }
  // Most exports leave the two-way softmax out; some include it. Probabilities sum to 1.
  bool probabilities = true;
  for (int64_t i = 0; i < n && probabilities; ++i) {
    const float a = conf.data[i * conf.row_size], b = conf.data[i * conf.row_size + 1];
    probabilities = a >= 0 && b >= 0 && std::fabs(a + b - 1.0f) < 1e-3f;
  }
  const std::vector<float> priors = retinaface_priors(input_w, input_h);
  const float w_in = static_cast<float>(input_w), h_in = static_cast<float>(input_h);
  Candidates out;
  for (int64_t i = 0; i < n; ++i) {
    const float* c = conf.data + i * conf.row_size;
    const float face = probabilities ? c[1] : sigmoid(c[1] - c[0]);  // softmax of two = sigmoid of the difference
    const float* p = priors.data() + i * 4;
    auto score_of = [&](int) { return face; };
    auto make_box = [&] {
      const float* l = loc.data + i * loc.row_size;
      const float cx = p[0] + l[0] * kCenterVariance * p[2];
      const float cy = p[1] + l[1] * kCenterVariance * p[3];
      const float w = p[2] * std::exp(l[2] * kSizeVariance);
      const float h = p[3] * std::exp(l[3] * kSizeVariance);
      Detection d = box_from_center(cx * w_in, cy * h_in, w * w_in, h * h_in);
      const float* m = landmarks.data + i * landmarks.row_size;
      d.extra.resize(kLandmarkValues);
      for (int k = 0; k < kLandmarkValues; k += 2) {
        d.extra[k] = (p[0] + m[k] * kCenterVariance * p[2]) * w_in;
        d.extra[k + 1] = (p[1] + m[k + 1] * kCenterVariance * p[3]) * h_in;
      }
      return d;
    };
    add_prediction(out, 1, options, score_of, make_box);
  }
  return out;
}

}  // namespace ez::zoo
