// Quantization levels on the letterbox fill.
//
// A letterboxed picture has wide bars of one colour (114 grey for YOLO models). Over such a bar
// every activation of the early layers is one constant per channel, and its rounding error is the
// same at every position: it does not average out as the errors of a textured region do, it adds
// up coherently through the network. On yolox_nano and bus.jpg (a portrait, so bars left and
// right) 80% of the int8 model's squared output error lay over the bars, which hold 27% of the
// output; with the stem output's pad values put on levels (float elsewhere) its output cosine
// went from 0.9888 to 0.9994. Zero is made exact for the same reason (zero padding).
//
// So the float model is run once on a picture of nothing but the fill, and where an activation
// map is constant over its centre (a plateau, as under a wide bar), the chosen quantizer is
// nudged so that those constants fall on levels: an equalized tensor (channel_scale) moves each
// channel's scale, which makes every channel's constant exact; a per-tensor quantizer moves its
// scale within kFillScaleSlack to where the constants' summed squared rounding error is least.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "quant/calib_range.h"
#include "quant/calibrate.h"
#include "quant/quantize.h"

namespace ez::quant {

// The largest relative change a per-tensor scale may take to put the fill's constants on levels.
constexpr double kFillScaleSlack = 0.01;

// Per requested tensor of rank 4 (NCHW): the value of each channel at the centre of the map when
// that channel is constant over the central half of the map (within 1e-4 of its magnitude), NaN
// for channels that are not; tensors of other ranks are left out.
Result<std::map<std::string, std::vector<float>>> fill_plateaus(const std::string& model_path,
                                                                 const std::vector<std::string>& tensors,
                                                                 const FillInput& fill_input, const SessionOptions& options);

// Equalized: channel k's scale s_k becomes s_k * round(u_k) / u_k with u_k = v_k * s_k / step, so
// that v_k lands on a level (the next level out when the nearest would take s_k below 1; channels
// whose constant rounds to the zero point, falls outside the range, or is NaN are left alone).
// Returns the channels moved.
int align_channel_scales(TensorReport* tr, const std::vector<float>& values, ActType act);

// Per tensor (8 bits): the scale within kFillScaleSlack of the chosen one, zero point kept, with
// the least summed squared rounding error of `values` (NaNs skipped); the range follows the
// scale. Returns whether it changed.
bool align_tensor_scale(TensorReport* tr, const std::vector<float>& values, ActType act);

}  // namespace ez::quant
