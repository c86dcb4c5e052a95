// The per-channel means of each quantized activation and of its quantization error, measured on
// the calibration set with the quantizers as chosen: what bias correction needs (the mean error
// is mostly clipping, and it is not the same in every channel).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "quant/calib_range.h"
#include "quant/calibrate.h"

namespace ez::quant {

// How one activation is quantized: x_c * channel_scale[c] (when given) through a per-tensor
// QuantizeLinear/DequantizeLinear with `params`.
struct ActivationQuantizer {
  QuantParams params;
  std::vector<float> channel_scale;  // empty: none
};

// Per channel along axis 1, in the quantizer's domain (after channel_scale): E[x] and
// E[DQ(Q(x)) - x]. Tensors of rank < 2 count as one channel.
struct ChannelErrorStats {
  std::vector<double> mean, error;
};

// What DQ(Q(x)) gives on the grid of `act` (round half to even, saturate), as QuantizeLinear.
float fake_quantize(float x, const QuantParams& p, ActType act);

// Runs the float model over `list` once more. Tensors not float in the model are left out.
Result<std::map<std::string, ChannelErrorStats>> measure_quant_error(const std::string& model_path,
                                                                      const std::map<std::string, ActivationQuantizer>& quantizers,
                                                                      ActType act, const DatasetList& list, const SampleLoader& load,
                                                                      const SessionOptions& options, const Progress& progress = nullptr);

}  // namespace ez::quant
