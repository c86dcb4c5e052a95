// Choosing the float range [lo, hi] an activation is quantized over, from its calibration
// statistics, and turning a range into a scale and zero point.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/status.h"
#include "quant/histogram.h"

namespace ez::quant {

enum class CalibAlgo {
  kMinMax,      // [min, max] seen: nothing clipped
  kPercentile,  // clip the (100 - p)% most extreme values (|x| when symmetric, each tail otherwise)
  kKL,          // TensorRT entropy calibration: the |x| threshold whose 128-level quantization keeps
                // the histogram's distribution closest in KL divergence
  kMSE,         // the clip range with the least expected squared quantization error
};
Result<CalibAlgo> parse_calib_algo(const std::string& text);
const char* calib_algo_name(CalibAlgo a);

enum class ActType { kUInt8Asymmetric, kInt8Symmetric };

struct RangeOptions {
  CalibAlgo algo = CalibAlgo::kMinMax;
  double percentile = 99.99;  // for kPercentile, in (0, 100]
  ActType act = ActType::kUInt8Asymmetric;
};

struct Range {
  float lo = 0, hi = 0;
};

// Always within [min, max] of the data; an empty histogram gives [0, 0].
Range choose_range(const TensorHistogram& h, const RangeOptions& options);

// The KL and MSE searches, exposed for tests: a threshold T in (0, max|x|] for |x| (bins from 0 up).
double kl_threshold(const std::vector<double>& abs_bins, double bin_width, int target_bins = 128);
// The fraction f in (0, 1] of [min, max] (asymmetric: [f*min, f*max]; symmetric: [-f*A, f*A]
// with A = max|x|) whose quantization has the least expected squared error.
double mse_fraction(const TensorHistogram& h, ActType act);

struct QuantParams {
  float scale = 1;
  int32_t zero_point = 0;  // uint8: 0..255; int8 symmetric: 0
};
// The range is widened to include 0 (so that 0, e.g. padding, is exact). A zero-width range gets
// scale 1.
QuantParams activation_params(Range r, ActType act);

// The same on a 16-bit grid (uint16 asymmetric: 0..65535; int16 symmetric: -32767..32767, zero
// point 0), for the activations written with 16 bits (QuantizeOptions::int16).
QuantParams activation_params16(Range r, ActType act);

// Scale 1 with the zero point that holds every value, when the tensor holds only integers that
// 256 consecutive levels including 0 cover (uint8: max(max, 0) - min(min, 0) <= 255; int8:
// within [-128, 127]): quantized without any error, so no algorithm should clip it. Pixels in
// 0..255 are the common case; KL clipped yolox_nano's input at the letterbox fill, 114.
std::optional<QuantParams> exact_integer_params(const TensorHistogram& h, ActType act);

}  // namespace ez::quant
