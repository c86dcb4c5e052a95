#include "graph/graph.h"

#include <queue>

namespace ez {

ValueId Graph::add_value(Value v) {
  const ValueId id = static_cast<ValueId>(values_.size());
  if (!v.name.empty()) by_name_[v.name] = id;
  values_.push_back(std::move(v));
  return id;
}

ValueId Graph::find_value(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? kNoValue : it->second;
}

Status Graph::topological_sort() {
  std::vector<int> producer(values_.size(), -1);
  for (size_t n = 0; n < nodes_.size(); ++n)
    for (ValueId o : nodes_[n].outputs) producer[o] = static_cast<int>(n);
  std::vector<int> pending(nodes_.size(), 0);
  std::vector<std::vector<int>> readers(nodes_.size());
  for (size_t n = 0; n < nodes_.size(); ++n) {
    for (ValueId in : nodes_[n].inputs) {
      if (in == kNoValue) continue;
      const int p = producer[in];
      if (p >= 0) {
        ++pending[n];
        readers[p].push_back(static_cast<int>(n));
      }
    }
  }
  // Stable: among ready nodes, keep the model's order (a min-heap on the original index).
  std::priority_queue<int, std::vector<int>, std::greater<int>> ready;
  for (size_t n = 0; n < nodes_.size(); ++n)
    if (pending[n] == 0) ready.push(static_cast<int>(n));
  std::vector<Node> sorted;
  sorted.reserve(nodes_.size());
  std::vector<bool> done(nodes_.size(), false);
  while (!ready.empty()) {
    const int n = ready.top();
    ready.pop();
    done[n] = true;
    for (int r : readers[n])
      if (--pending[r] == 0) ready.push(r);
    sorted.push_back(nodes_[n]);
  }
  if (sorted.size() != nodes_.size()) {
    for (size_t n = 0; n < nodes_.size(); ++n)
      if (!done[n]) return invalid_model("graph has a cycle through node '" + nodes_[n].name + "' (" + nodes_[n].op_type + ")");
  }
  nodes_ = std::move(sorted);
  return Status::OK();
}

std::vector<int> Graph::use_counts() const {
  std::vector<int> uses(values_.size(), 0);
  for (const Node& n : nodes_)
    for (ValueId in : n.inputs)
      if (in != kNoValue) ++uses[in];
  for (ValueId o : outputs_) ++uses[o];
  return uses;
}

void Graph::remove_dead_nodes() {
  std::vector<int> uses = use_counts();
  // Walk backwards so a chain of dead nodes disappears in one sweep.
  std::vector<bool> keep(nodes_.size(), true);
  for (int n = static_cast<int>(nodes_.size()) - 1; n >= 0; --n) {
    bool used = false;
    for (ValueId o : nodes_[n].outputs) used = used || uses[o] > 0;
    if (!used) {
      keep[n] = false;
      for (ValueId in : nodes_[n].inputs)
        if (in != kNoValue) --uses[in];
    }
  }
  std::vector<Node> kept;
  for (size_t n = 0; n < nodes_.size(); ++n)
    if (keep[n]) kept.push_back(std::move(nodes_[n]));
  nodes_ = std::move(kept);
}

}  // namespace ez
