// Small file helpers shared by every layer that reads or writes files.
#pragma once

#include <string>

#include "core/status.h"

namespace ez {

Result<std::string> read_file(const std::string& path);

// A whole file mapped read-only (MAP_POPULATE: pages are faulted in one batch). Move-only.
class MappedFile {
 public:
  static Result<MappedFile> open(const std::string& path);
  MappedFile() = default;
  MappedFile(MappedFile&& o) noexcept { *this = std::move(o); }
  MappedFile& operator=(MappedFile&& o) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();
  const void* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  void* data_ = nullptr;
  size_t size_ = 0;
};
// Writes to "<path>.tmp.<pid>" then renames, so a failure never leaves a half-written file.
Status write_file_atomic(const std::string& path, const std::string& bytes);

}  // namespace ez
