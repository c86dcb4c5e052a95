// Looks up kernels by ONNX op type. The list of operators lives in op_list.inc (reference kernels)
// and fast_op_list.inc (fast paths); both feed the declarations and this registry.
#pragma once

#include <string>
#include <vector>

#include "ops/kernel.h"

namespace ez::ops {

enum class KernelChoice {
  kFast,       // fast path where one exists and accepts the config, else the reference kernel
  kReference,  // always the plain reference kernel (for tests and debugging)
};

// Creates the kernel for config.op_type, or an unsupported error naming the op and node.
Result<KernelPtr> create_kernel(const KernelConfig& config, KernelChoice choice = KernelChoice::kFast);

bool is_supported_op(const std::string& op_type);
bool has_fast_path(const std::string& op_type);
std::vector<std::string> supported_ops();

}  // namespace ez::ops
