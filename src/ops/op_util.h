// Helpers shared by kernels: input checks and reading small constant inputs (shapes, axes, pads).
#pragma once

#include <string>
#include <vector>

#include "ops/kernel.h"

namespace ez::ops {

// Checks that the node lists between min and max inputs.
Status expect_input_count(const std::vector<KernelInput>& inputs, size_t min, size_t max, const char* op);

// Checks an input's dtype against a list of accepted ones.
Status expect_dtype(const KernelInput& in, std::initializer_list<DType> accepted, const char* op, const char* what);

// Reads an integer tensor input (int32/int64) as a list. needs_value() when the value is unknown.
Result<std::vector<int64_t>> read_int_list(const KernelInput& in, const char* op, const char* what);
// Same for float inputs (scales, thresholds).
Result<std::vector<float>> read_float_list(const KernelInput& in, const char* op, const char* what);

// Converts a present input to a runtime view (for sharing one code path between infer and run).
std::vector<KernelInput> describe(const std::vector<const Tensor*>& inputs);

// y = x with its dims permuted (ONNX Transpose semantics; y is allocated with the permuted shape).
// Shared by the Transpose kernel and the channels-last adapters.
Status transpose_tensor(const Tensor& x, Tensor& y, const std::vector<int64_t>& perm, const ThreadPool* pool);

}  // namespace ez::ops
