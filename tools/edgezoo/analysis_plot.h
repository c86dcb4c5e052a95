// The picture `edgezoo analyze --plot` writes: the most damaged layers as horizontal bars of
// 1 - cosine (longer = worse), isolated and accumulated side by side, worst first.
#pragma once

#include <string>

#include "quant/analyze.h"
#include "vision/image.h"

namespace ez::cli {

Result<vision::Image> render_analysis_plot(const quant::AnalysisResult& r, int top, const std::string& title);

}  // namespace ez::cli
