#include "passes/pipeline.h"

#include "passes/passes.h"

namespace ez {

Status optimize_graph(Graph& graph) {
  EZ_RETURN_IF_ERROR(remove_identity_nodes(graph));
  graph.remove_dead_nodes();
  return Status::OK();
}

}  // namespace ez
