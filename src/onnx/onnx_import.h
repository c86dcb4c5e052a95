// Reads an ONNX model (file or memory buffer) into edgezoo's Graph.
#pragma once

#include <string>

#include "graph/graph.h"

namespace ez {

struct ImportOptions {
  // Folder against which external-data locations are resolved. For a model file this is the
  // file's folder; for a memory buffer it must be given, or external data is refused.
  std::string external_data_dir;
  // Runs ONNX's own shape inference to annotate intermediate values (used by `edgezoo info`).
  bool infer_shapes = true;
};

Result<Graph> import_onnx_file(const std::string& path, ImportOptions options = {});
Result<Graph> import_onnx_bytes(const void* data, size_t size, const ImportOptions& options,
                                const std::string& what = "model buffer");

}  // namespace ez
