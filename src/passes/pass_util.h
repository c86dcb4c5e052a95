// Helpers for rewrite passes: who reads a value, and safe node replacement.
#pragma once

#include <vector>

#include "graph/graph.h"

namespace ez {

// For each value, the indices of the nodes that read it (a node reading twice appears twice).
std::vector<std::vector<int>> value_readers(const Graph& g);
// For each value, the index of the node producing it (-1 for inputs and constants).
std::vector<int> value_producers(const Graph& g);
bool is_graph_output(const Graph& g, ValueId v);
// The single node reading v, or -1 if v has several readers, none, or is a graph output.
int sole_reader(const Graph& g, const std::vector<std::vector<int>>& readers, ValueId v);
// The other operand of binary node n when one operand is x (kNoValue when neither is, or n is not
// binary).
ValueId other_operand(const Node& n, ValueId x);
// SiLU written out, Mul(x, Sigmoid(x)) in either operand order: for node `sig` a Sigmoid whose
// output that Mul alone reads, the Mul's index; else -1.
int silu_mul(const Graph& g, const std::vector<std::vector<int>>& readers, int sig);
// Removes nodes whose flag is set (order of the rest is kept).
void erase_nodes(Graph& g, const std::vector<bool>& dead);

// Output channels of a Conv ([M, C/g, k...] weights) or ConvTranspose ([C, M/g, k...]).
int64_t conv_output_channels(const Node& conv, const Tensor& w);
// Multiplies output channel m of a Conv / ConvTranspose weight tensor (float32) by scale[m], in
// place: callers pass a tensor nobody else shares.
void scale_conv_output_channels(const Node& conv, Tensor& w, const std::vector<double>& scale);
// The constant of value v, made safe to change in place: v's own tensor when v has a single
// reader and nobody else holds its bytes (no copy: weights are the bulk of a model), else a
// copy that becomes the value read by that reader through a new value id returned in *id.
Tensor& writable_constant(Graph& g, ValueId* id, int readers_of_v);
// When constant c broadcasts against an [N, M, ...] output of rank out_rank only along the
// channel dim (a scalar, [M,1,1], [1,M,1,1], ...), its M per-channel values.
bool per_channel_values(const Tensor& c, size_t out_rank, int64_t M, std::vector<double>* values);
// The constant tensor of value v, or null (v absent or computed at run time).
const Tensor* constant_of(const Graph& g, ValueId v);
// Adds a constant value named after `base` (unique) and returns its id.
ValueId add_constant_value(Graph& g, const std::string& base, Tensor t);

}  // namespace ez
