// Small file helpers shared by every layer that reads or writes files.
#pragma once

#include <string>

#include "core/status.h"

namespace ez {

Result<std::string> read_file(const std::string& path);
// Writes to "<path>.tmp.<pid>" then renames, so a failure never leaves a half-written file.
Status write_file_atomic(const std::string& path, const std::string& bytes);

}  // namespace ez
