// NumPy .npy files (format versions 1-3, little-endian, C order) for tensors in and out of the CLI.
#pragma once

#include <string>

#include "core/tensor.h"

namespace ez {

Result<Tensor> read_npy(const std::string& path);
// Writes atomically: to a temporary file first, renamed into place only when complete.
Status write_npy(const std::string& path, const Tensor& t);

}  // namespace ez
