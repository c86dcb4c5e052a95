// Individual graph passes (each in its own file).
#pragma once

#include "graph/graph.h"

namespace ez {

// Identity and inference-mode Dropout: readers take the input directly.
Status remove_identity_nodes(Graph& graph);

}  // namespace ez
