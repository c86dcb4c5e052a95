// The last pre-processing step: an 8-bit image (usually letterboxed) into a float input tensor,
// converting layout, channel order and normalisation in one pass.
#pragma once

#include <cstdint>

#include "core/status.h"
#include "core/thread_pool.h"
#include "vision/image.h"

namespace ez::vision {

enum class TensorLayout { kNCHW, kNHWC };
enum class ChannelOrder { kRGB, kBGR };

struct TensorFillParams {
  TensorLayout layout = TensorLayout::kNCHW;
  ChannelOrder order = ChannelOrder::kRGB;
  // value = (pixel * scale - mean[c]) / std[c], c indexing the tensor's channels (after the
  // RGB/BGR swap). Typical: YOLO scale 1/255, mean 0, std 1; ImageNet scale 1/255,
  // mean {0.485,0.456,0.406}, std {0.229,0.224,0.225}; RetinaFace BGR scale 1, mean {104,117,123}.
  float scale = 1.0f / 255.0f;
  float mean[3] = {0, 0, 0};
  float std[3] = {1, 1, 1};
};

// dst holds width*height*channels floats (batch 1). For a 3-channel image every value equals the
// formula evaluated in float; a gray image fills one channel with mean[0]/std[0]. With a pool the
// pixels are split between its threads.
Status write_input_tensor(const Image& img, float* dst, const TensorFillParams& params, const ThreadPool* pool = nullptr);

// The same conversion a band of rows at a time (as letterbox_stream.h delivers them): the
// parameters are checked and the tables built once.
class TensorFiller {
 public:
  static Result<TensorFiller> create(const TensorFillParams& params, int channels);
  // Rows [y0, y1) of img into dst, the tensor of the whole image.
  void fill_rows(const Image& img, float* dst, int y0, int y1) const;
  // Pixels [begin, end) (row-major index) of img into dst.
  void fill_pixels(const Image& img, float* dst, int64_t begin, int64_t end) const;

 private:
  int channels_ = 3;
  TensorLayout layout_ = TensorLayout::kNCHW;
  int src_of_[3] = {0, 1, 2};
  float lut_[3][256];
};

}  // namespace ez::vision
