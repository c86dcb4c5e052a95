// Shared by the quantization tests: a temporary folder, seeded random values, and a calibration
// list of random .npy samples written into the folder.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "core/npy.h"
#include "quant/calibrate.h"

namespace ez::test {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/ez_quant_test_XXXXXX";
    path_ = mkdtemp(tmpl) ? tmpl : "";
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline std::vector<float> random_values(size_t n, uint32_t seed, float scale = 0.3f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

// Writes `samples` normal(0, 1) tensors of `shape` as s<i>.npy and list.txt naming them.
inline quant::DatasetList random_npy_list(const TempDir& dir, const Shape& shape, int samples) {
  std::ofstream list(dir.file("list.txt"));
  for (int i = 0; i < samples; ++i) {
    Tensor t = Tensor::zeros(DType::kFloat32, shape);
    const std::vector<float> v = random_values(t.numel(), 100 + i, 1.0f);
    std::copy(v.begin(), v.end(), t.data<float>());
    EXPECT_TRUE(write_npy(dir.file("s" + std::to_string(i) + ".npy"), t).ok());
    list << "s" << i << ".npy\n";
  }
  list.close();
  auto ds = quant::read_dataset_list(dir.file("list.txt"));
  EXPECT_TRUE(ds.ok()) << ds.status().to_string();
  return ds.ok() ? *ds : quant::DatasetList{};
}

inline Result<Tensor> load_npy(const std::string& path, const IOInfo&) { return read_npy(path); }

}  // namespace ez::test
