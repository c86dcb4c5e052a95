// Per-layer accuracy of a quantized (QDQ) model against its float original: where does int8 lose
// accuracy? For every compute node of the quantized model whose output tensor also exists in the
// float model (quantizers keep tensor names), two figures over a dataset:
//   accumulated — the quantized model run end to end, this tensor against the float one: the
//                 error that reached this point, including everything upstream;
//   isolated    — this node alone with its quantize/dequantize inputs, fed the FLOAT model's
//                 inputs: the error this layer adds by itself.
// A layer with a large isolated error is the one to keep in float; a large accumulated error with
// a small isolated one was inherited from upstream.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "graph/graph.h"
#include "runtime/session.h"

namespace ez::quant {

struct LayerError {
  std::string tensor;  // the output tensor compared (same name in both models)
  std::string node;    // its producer in the quantized model
  std::string op;
  double accumulated_cosine = 1, accumulated_rel_error = 0;
  double isolated_cosine = 1, isolated_rel_error = 0;
  bool has_isolated = false;  // false when the node's inputs could not be traced to float tensors
};

// Cosine and relative error ||q - f|| / ||f|| accumulated over many tensor pairs.
struct ErrorAccumulator {
  double dot = 0, ff = 0, qq = 0, diff2 = 0;
  void add(const Tensor& f, const Tensor& q);
  void add(const ErrorAccumulator& other);
  double cosine() const;
  double rel_error() const;
};

class LayerAnalyzer {
 public:
  // Both graphs as imported; `options` gives threads and input shapes (graph passes are turned
  // off so every intermediate tensor survives).
  static Result<std::unique_ptr<LayerAnalyzer>> create(Graph float_model, Graph quant_model, SessionOptions options);
  static Result<std::unique_ptr<LayerAnalyzer>> create(const std::string& float_path, const std::string& quant_path,
                                                       SessionOptions options);

  // Runs both models (and every isolated layer) on one sample; inputs in model input order.
  Status add_sample(const std::vector<Tensor>& inputs);
  int samples() const { return samples_; }
  // The float model's inputs as planned (what add_sample expects).
  const std::vector<IOInfo>& inputs() const { return float_->inputs(); }
  // One entry per compared layer, most damaging first (lowest isolated cosine, then accumulated).
  std::vector<LayerError> results() const;
  // The final outputs of both models compared (the figure --hybrid targets).
  std::vector<std::pair<std::string, ErrorAccumulator>> output_errors() const;

 private:
  struct Layer {
    LayerError info;
    std::unique_ptr<Session> isolated;    // null when has_isolated is false
    std::vector<std::string> float_inputs;  // float-model tensors feeding the isolated session
    ErrorAccumulator accumulated, alone;
  };

  LayerAnalyzer() = default;
  Status build(Graph float_model, Graph quant_model, const SessionOptions& options);

  std::unique_ptr<Session> float_, quant_;
  std::map<std::string, int> float_index_, quant_index_;  // tensor name -> output index
  std::vector<Layer> layers_;
  std::vector<std::string> model_outputs_;
  std::vector<ErrorAccumulator> output_acc_;
  int samples_ = 0;
};

}  // namespace ez::quant
