// The graph optimisation pipeline: small rewrite passes, each matching one pattern.
#pragma once

#include "graph/graph.h"

namespace ez {

struct PassOptions {
  // Rewrite activations to NHWC around convolutions (pays off with the oneDNN kernels only).
  bool channels_last = false;
  // Fuse QDQ patterns into integer operators (passes/fuse_qdq).
  bool fuse_qdq = true;
};

// Runs every pass in order. The graph keeps its inputs, outputs and results.
Status optimize_graph(Graph& graph, const PassOptions& options = {});

}  // namespace ez
