// How an analysis is shown: a text table sorted by damage for the terminal, and JSON with every
// figure for scripts (shared by `edgezoo analyze` and the --hybrid report of `edgezoo quantize`).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "quant/analyze.h"

namespace ez::quant {

// The `top` most damaging layers (0 = all) with isolated and accumulated cosine and relative
// error, then the final outputs. Ends with a newline.
std::string format_analysis_table(const AnalysisResult& r, int top);

// {"samples", "seconds", "outputs": [...], "layers": [{rank, node, op, tensor, isolated_*,
// accumulated_*}, ...]}; isolated figures are null where a layer could not be run alone.
nlohmann::json analysis_json(const AnalysisResult& r);

}  // namespace ez::quant
