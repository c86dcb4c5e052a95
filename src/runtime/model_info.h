// Static figures of a planned model for `edgezoo info` and benchmarks: operator counts,
// parameter count, multiply-accumulates.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "graph/graph.h"

namespace ez {

struct ModelFigures {
  std::map<std::string, int> op_counts;  // in the graph as imported (before optimisation)
  int64_t parameters = 0;                // elements of float/int initializers
  int64_t macs = -1;                     // multiply-accumulates of Conv/ConvTranspose/MatMul/Gemm; -1 if shapes unknown
};

// `graph` must have shapes annotated (as after Session planning) for MACs to be known.
ModelFigures model_figures(const Graph& imported, const Graph& planned);
// Multiply-accumulates of one node given its input/output descs; 0 for ops that do not count.
int64_t node_macs(const Graph& graph, const Node& node);

}  // namespace ez
