#include "quant/calibrate.h"

#include <sys/stat.h>

#include <algorithm>
#include <sstream>

#include "core/file_util.h"
#include "quant/dataset_run.h"

namespace ez::quant {

Result<DatasetList> read_dataset_list(const std::string& path) {
  auto text = read_file(path);
  if (!text.ok()) return text.status().with_context("calibration list");
  DatasetList list;
  list.name = path;
  const size_t slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  std::istringstream in(*text);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    const size_t b = line.find_first_not_of(" \t\r");
    if (b == std::string::npos || line[b] == '#') continue;
    const size_t e = line.find_last_not_of(" \t\r");
    std::string p = line.substr(b, e - b + 1);
    if (p[0] != '/') p = dir + p;
    struct stat st;
    if (stat(p.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
      return not_found("calibration list '" + path + "' line " + std::to_string(number) + ": no such file '" + p + "'");
    list.entries.push_back({p, number});
  }
  if (list.entries.empty()) return invalid_argument("calibration list '" + path + "' names no image or .npy file");
  return list;
}

Result<CalibrationResult> calibrate(const std::string& model_path, const std::vector<std::string>& tensors,
                                    const DatasetList& list, const SampleLoader& load, SessionOptions options,
                                    const Progress& progress, const std::set<std::string>& per_channel) {
  std::vector<TensorHistogram> whole(tensors.size());
  std::vector<std::vector<TensorHistogram>> channels(tensors.size());
  auto visit = [&](size_t k, const Tensor& t) {
    whole[k].add(t.data<float>(), t.numel());
    if (t.rank() < 2 || !per_channel.count(tensors[k])) return;
    const int64_t c = t.dim(1), inner = t.numel() / std::max<int64_t>(1, t.dim(0) * c);
    if (channels[k].empty()) channels[k].assign(static_cast<size_t>(c), TensorHistogram(kChannelBins));
    if (static_cast<int64_t>(channels[k].size()) != c) return;  // a shape that changes between samples
    for (int64_t n = 0; n < t.dim(0); ++n)
      for (int64_t j = 0; j < c; ++j) channels[k][j].add(t.data<float>() + (n * c + j) * inner, inner);
  };
  EZ_ASSIGN_OR_RETURN(DatasetRunResult run, run_dataset(model_path, tensors, list, load, std::move(options), visit, progress));
  CalibrationResult r;
  r.skipped = std::move(run.skipped);
  r.missing = std::move(run.missing);
  r.samples = run.samples;
  r.seconds = run.seconds;
  for (size_t k = 0; k < tensors.size(); ++k) {
    if (!run.visited[k]) continue;
    r.stats[tensors[k]] = std::move(whole[k]);
    if (!channels[k].empty()) r.channels[tensors[k]] = std::move(channels[k]);
  }
  return r;
}

}  // namespace ez::quant
