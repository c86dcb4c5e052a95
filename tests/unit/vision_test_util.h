// Shared helpers for the vision tests: where the test data lives, and a scratch directory.
#pragma once

#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <string>

#include "vision/image.h"

namespace ez::vision::test {

inline std::string data_dir() {
  const char* env = std::getenv("EDGEZOO_DATA");
  return env && *env ? env : EDGEZOO_DATA_DEFAULT;
}
inline std::string image_path(const std::string& name) { return data_dir() + "/images/" + name; }

// A fresh directory under /tmp, removed with everything in it at the end of the test.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/ez_vision_test_XXXXXX";
    path_ = mkdtemp(tmpl) ? tmpl : "";
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  size_t entry_count() const {
    size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(path_)) (void)e, ++n;
    return n;
  }

 private:
  std::string path_;
};

// Deterministic pattern: byte i of the pixel buffer = (i * mul) % 256.
inline Image pattern_image(int w, int h, int c, int mul = 37) {
  Image img(w, h, c);
  for (size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = static_cast<uint8_t>((i * mul) % 256);
  return img;
}

}  // namespace ez::vision::test
