#include "passes/pipeline.h"

#include "passes/passes.h"

namespace ez {

// Runs after shapes are inferred and constant subgraphs folded (Session planning), so passes may
// rely on value shapes and constants.
Status optimize_graph(Graph& graph, const PassOptions& options) {
  EZ_RETURN_IF_ERROR(remove_identity_nodes(graph));
  // Before the QDQ fusion, so that an int8 model's Focus stem is one gather, of the quantized picture.
  EZ_RETURN_IF_ERROR(fuse_space_to_depth(graph));
  // QDQ patterns first, while the int8 weights are still behind their DequantizeLinear nodes.
  if (options.fuse_qdq) EZ_RETURN_IF_ERROR(fuse_qdq(graph));
  EZ_RETURN_IF_ERROR(fuse_conv_integer_output(graph));  // ONNX Runtime's dynamically quantized models
  EZ_RETURN_IF_ERROR(cascade_max_pools(graph));  // after fuse_qdq: an int8 model's pools then read one int8 tensor
  EZ_RETURN_IF_ERROR(fold_conv_affine(graph));
  EZ_RETURN_IF_ERROR(fuse_hardswish(graph));
  // Activation first, so that a residual Add after an activated conv is summed after it (YOLO);
  // then the Add; then activation again for act(conv + Z) patterns (ResNet).
  EZ_RETURN_IF_ERROR(fuse_conv_activation(graph));
  EZ_RETURN_IF_ERROR(fuse_conv_add(graph));
  EZ_RETURN_IF_ERROR(fuse_conv_activation(graph));
  EZ_RETURN_IF_ERROR(fuse_silu(graph));  // the SiLUs no convolution took in
  EZ_RETURN_IF_ERROR(fuse_output_affine(graph));
  graph.remove_dead_nodes();
  if (options.channels_last) {
    EZ_RETURN_IF_ERROR(convert_to_channels_last(graph));
    EZ_RETURN_IF_ERROR(fold_flatten_transposes(graph));
    EZ_RETURN_IF_ERROR(fold_space_to_depth_transpose(graph));
  }
  EZ_RETURN_IF_ERROR(fuse_conv_output_quantize(graph));
  graph.remove_dead_nodes();
  return Status::OK();
}

}  // namespace ez
