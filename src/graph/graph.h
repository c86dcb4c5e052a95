// The graph IR: values (tensors flowing between nodes, with constants held inline) and nodes in
// topological order. Built by onnx import, rewritten by passes, planned and run by the runtime.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/attributes.h"
#include "core/tensor.h"

namespace ez {

using ValueId = int;
constexpr ValueId kNoValue = -1;  // an omitted optional input

struct Value {
  std::string name;
  TensorDesc desc;                     // dims < 0 are unknown
  std::vector<std::string> dim_names;  // symbolic dims from the model ("batch"), "" if none
  Tensor constant;                     // non-empty for initializers and folded values
  bool is_constant() const { return !constant.empty(); }
};

struct Node {
  std::string name;
  std::string op_type;
  std::string domain;  // "" for the default ONNX domain
  Attributes attrs;
  std::vector<ValueId> inputs;
  std::vector<ValueId> outputs;
};

class Graph {
 public:
  ValueId add_value(Value v);
  ValueId find_value(const std::string& name) const;  // kNoValue if absent
  Value& value(ValueId id) { return values_[id]; }
  const Value& value(ValueId id) const { return values_[id]; }
  size_t num_values() const { return values_.size(); }

  std::vector<Node>& nodes() { return nodes_; }
  const std::vector<Node>& nodes() const { return nodes_; }
  std::vector<ValueId>& inputs() { return inputs_; }
  const std::vector<ValueId>& inputs() const { return inputs_; }
  std::vector<ValueId>& outputs() { return outputs_; }
  const std::vector<ValueId>& outputs() const { return outputs_; }

  int opset = 0;  // default-domain opset
  std::string producer;
  std::map<std::string, std::string> metadata;

  // Reorders nodes topologically; error names a node in a cycle or with an undefined input.
  Status topological_sort();
  // For each value, how many node inputs read it (graph outputs count as one reader).
  std::vector<int> use_counts() const;
  // Drops nodes whose outputs nobody reads, and values no one refers to.
  void remove_dead_nodes();

 private:
  std::vector<Value> values_;
  std::vector<Node> nodes_;
  std::vector<ValueId> inputs_, outputs_;
  std::map<std::string, ValueId> by_name_;
};

}  // namespace ez
