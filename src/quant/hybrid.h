// Hybrid quantization (--hybrid auto[:TARGET]): keep the fewest layers out of int8 -- in float, or
// with 16-bit activation inputs (HybridOptions::int16) -- that bring the quantized model's outputs
// to a target cosine against the float model on the calibration set.
//
// 1. The all-int8 model is analysed layer by layer (analyze.h); the quantized layers are ranked
//    by their isolated damage (lowest cosine with float inputs first): a layer that is bad on its
//    own is the one worth keeping in float; one bad only through its inputs is not.
// 2. The shortest prefix of that ranking that reaches the target is found by doubling the prefix
//    (1, 2, 4, ...) and then bisecting. Each candidate is written from the calibration's ranges
//    (no recalibration) and scored as it will run when deployed (optimised session). The score
//    is the cosine over all calibration samples together (as `analyze` reports it), the worst
//    output's: one odd sample does not decide alone; the worst sample's cosine is reported too.
// 3. Each kept layer is tried back in int8, least damaging first, and left in int8 when the target
//    still holds (the ranking is a guess; this drops layers it put too high).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "quant/analyze.h"
#include "quant/output_agreement.h"
#include "quant/quantize.h"

namespace ez::quant {

struct HybridOptions {
  double target_cosine = 0.99;
  int max_trials = 40;  // candidate models scored at most (pruning stops there)
  // Samples of the sensitivity scan (each quantized layer alone in float; see hybrid.cpp).
  int scan_samples = 4;
  // The layers kept out of int8 read 16-bit activations (QuantizeOptions::int16) instead of
  // running wholly in float: their weights stay int8, and 16 bits fix what 8-bit input steps lose.
  bool int16 = false;
};

// "auto" or "auto:0.995" (the target in (0, 1]).
Result<HybridOptions> parse_hybrid(const std::string& text);

struct HybridTrial {
  std::vector<std::string> kept;  // out of int8 (float or int16), besides the user's --exclude / --int16
  Agreement agreement;
  bool meets = false;
};

struct HybridResult {
  QdqModel model;                     // the chosen QDQ model
  std::vector<std::string> kept;      // out of int8, in ranking order
  bool kept_int16 = false;            // as HybridOptions::int16
  double target = 0;
  double cosine_all_int8 = 0;         // nothing extra in float (deployed runtime)
  Agreement reached;                  // the chosen model's
  bool target_met = false;            // false: even the best candidate tried missed the target
  int ranked = 0;                     // quantized layers ranked
  // Per ranked layer, in ranking order: the output cosine gained on the scan samples when that
  // layer alone stays in float.
  std::vector<std::pair<std::string, double>> sensitivity;
  AnalysisResult analysis;            // of the all-int8 model
  std::vector<HybridTrial> trials;
  double analysis_s = 0, scan_s = 0, search_s = 0;
};

using TrialReport = std::function<void(const HybridTrial&)>;

// `float_path` is the model `calibrated` was made from; `list` and `load` are the calibration's.
// Returns target_met = false (with the best model tried) when even all but one ranked layer in
// float misses the target.
Result<HybridResult> search_hybrid(const CalibratedModel& calibrated, const std::string& float_path, const DatasetList& list,
                                   const SampleLoader& load, const HybridOptions& options,
                                   const Progress& analysis_progress = nullptr, const TrialReport& on_trial = nullptr,
                                   const Progress& scan_progress = nullptr);

}  // namespace ez::quant
