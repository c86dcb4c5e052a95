#include "quant/hybrid.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <set>

#include "onnx/onnx_import.h"

namespace ez::quant {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The QDQ model with `kept` out of int8: in float, or with 16-bit inputs.
Result<QdqModel> build_kept(const CalibratedModel& c, const std::vector<std::string>& kept, bool int16) {
  const std::set<std::string> names(kept.begin(), kept.end());
  return int16 ? build_qdq_model(c, {}, names) : build_qdq_model(c, names);
}

// Analyses the all-int8 model and returns its quantized layers, most damaging alone first.
Result<std::vector<std::string>> rank_layers(const CalibratedModel& c, const QdqModel& all, const std::string& float_path,
                                             const DatasetList& list, const SampleLoader& load, const Progress& progress,
                                             AnalysisResult* analysis) {
  std::string bytes;
  if (!all.model.SerializeToString(&bytes)) return internal_error("serialising the quantized model failed");
  ImportOptions io;
  io.external_data_dir = c.external_dir;
  auto q = import_onnx_bytes(bytes.data(), bytes.size(), io, "quantized model");
  if (!q.ok()) return q.status();
  auto f = import_onnx_file(float_path);
  if (!f.ok()) return f.status().with_context("float model");
  EZ_ASSIGN_OR_RETURN(std::unique_ptr<LayerAnalyzer> analyzer,
                      LayerAnalyzer::create(std::move(*f), std::move(*q), c.options.session));
  EZ_ASSIGN_OR_RETURN(*analysis, analyze_dataset(*analyzer, list, load, progress));
  const std::set<std::string> quantized(all.report.quantized.begin(), all.report.quantized.end());
  std::vector<std::string> ranked;
  for (const LayerError& e : analysis->layers)
    if (e.has_isolated && quantized.count(e.node)) ranked.push_back(e.node);
  return ranked;
}

// The isolated damage is a weak guide to what a layer costs at the output: with equalization and
// bias correction, yolox_nano's Conv_44 ranks 90th alone (isolated cosine 0.99998), yet keeping it
// in float lifts the output cosine from 0.978 to 0.982, and with Conv_47 to 0.996, where the
// isolated ranking needed 55 layers in float for 0.99. So every ranked layer is tried alone in
// float on the first few samples, and the ranking becomes the cosine each one gains (ties keep
// the isolated order).
Status rank_by_sensitivity(const CalibratedModel& c, OutputAgreement& agreement, const HybridOptions& options,
                           const Progress& progress, std::vector<std::string>* ranked,
                           std::vector<std::pair<std::string, double>>* sensitivity) {
  const size_t samples = static_cast<size_t>(std::max(1, options.scan_samples));
  EZ_ASSIGN_OR_RETURN(QdqModel all, build_qdq_model(c));
  EZ_ASSIGN_OR_RETURN(Agreement base, agreement.score(all.model, c.external_dir, samples));
  std::vector<std::pair<std::string, double>> gain;
  for (size_t i = 0; i < ranked->size(); ++i) {
    EZ_ASSIGN_OR_RETURN(QdqModel m, build_kept(c, {(*ranked)[i]}, options.int16));
    EZ_ASSIGN_OR_RETURN(Agreement a, agreement.score(m.model, c.external_dir, samples));
    gain.emplace_back((*ranked)[i], a.min_cosine() - base.min_cosine());
    if (progress) progress(i + 1, ranked->size());
  }
  std::stable_sort(gain.begin(), gain.end(), [](const auto& x, const auto& y) { return x.second > y.second; });
  ranked->clear();
  for (const auto& g : gain) ranked->push_back(g.first);
  *sensitivity = std::move(gain);
  return Status::OK();
}

}  // namespace

Result<HybridOptions> parse_hybrid(const std::string& text) {
  HybridOptions o;
  const std::string usage = "--hybrid takes auto or auto:TARGET_COSINE (e.g. auto:0.995), not '" + text + "'";
  if (text == "auto") return o;
  if (text.rfind("auto:", 0) != 0 || text.size() == 5) return invalid_argument(usage);
  char* end = nullptr;
  o.target_cosine = std::strtod(text.c_str() + 5, &end);
  if (*end != '\0') return invalid_argument(usage);
  if (!(o.target_cosine > 0 && o.target_cosine <= 1)) return invalid_argument("--hybrid: the target cosine must be in (0, 1], not '" + text.substr(5) + "'");
  return o;
}

Result<HybridResult> search_hybrid(const CalibratedModel& c, const std::string& float_path, const DatasetList& list,
                                   const SampleLoader& load, const HybridOptions& options, const Progress& analysis_progress,
                                   const TrialReport& on_trial, const Progress& scan_progress) {
  auto t0 = std::chrono::steady_clock::now();
  HybridResult r;
  r.target = options.target_cosine;
  EZ_ASSIGN_OR_RETURN(QdqModel all, build_qdq_model(c));
  EZ_ASSIGN_OR_RETURN(std::vector<std::string> ranked,
                      rank_layers(c, all, float_path, list, load, analysis_progress, &r.analysis));
  r.ranked = static_cast<int>(ranked.size());
  r.analysis_s = seconds_since(t0);
  t0 = std::chrono::steady_clock::now();

  EZ_ASSIGN_OR_RETURN(std::unique_ptr<OutputAgreement> agreement,
                      OutputAgreement::create(float_path, list, load, c.options.session));
  auto trial = [&](const std::vector<std::string>& kept) -> Result<bool> {
    HybridTrial t;
    t.kept = kept;
    EZ_ASSIGN_OR_RETURN(QdqModel m, build_kept(c, kept, options.int16));
    EZ_ASSIGN_OR_RETURN(t.agreement, agreement->score(m.model, c.external_dir));
    t.meets = t.agreement.min_cosine() >= options.target_cosine;
    r.trials.push_back(t);
    if (on_trial) on_trial(t);
    return t.meets;
  };
  auto prefix = [&](size_t k) { return std::vector<std::string>(ranked.begin(), ranked.begin() + k); };

  std::vector<std::string> chosen;
  EZ_ASSIGN_OR_RETURN(bool met, trial({}));
  r.cosine_all_int8 = r.trials.back().agreement.min_cosine();
  r.search_s = seconds_since(t0);
  if (!met) {
    t0 = std::chrono::steady_clock::now();
    EZ_RETURN_IF_ERROR(rank_by_sensitivity(c, *agreement, options, scan_progress, &ranked, &r.sensitivity));
    r.scan_s = seconds_since(t0);
    t0 = std::chrono::steady_clock::now();
  }
  // Leaving every layer in float is no quantized model: the search stops one short of that.
  const size_t most = ranked.size() < all.report.quantized.size() ? ranked.size() : (ranked.empty() ? 0 : ranked.size() - 1);
  if (!met) {
    size_t lo = 0, hi = 0;  // prefix lo misses the target; prefix hi (when > 0) meets it
    for (size_t k = 1; k <= most; k = std::min(2 * k, most)) {
      EZ_ASSIGN_OR_RETURN(bool ok, trial(prefix(k)));
      if (ok) {
        hi = k;
        break;
      }
      lo = k;
      if (k == most) break;
    }
    if (hi > 0) {
      while (hi - lo > 1) {
        const size_t mid = (lo + hi) / 2;
        EZ_ASSIGN_OR_RETURN(bool ok, trial(prefix(mid)));
        (ok ? hi : lo) = mid;
      }
      chosen = prefix(hi);
      met = true;
      // Prefix hi-1 missed; every other kept layer may still be needless. Least damaging first.
      for (size_t i = hi - 1; i-- > 0 && static_cast<int>(r.trials.size()) < options.max_trials;) {
        std::vector<std::string> fewer;
        for (const std::string& n : chosen)
          if (n != ranked[i]) fewer.push_back(n);
        EZ_ASSIGN_OR_RETURN(bool ok, trial(fewer));
        if (ok) chosen = fewer;
      }
    }
  }
  // The model to write: the chosen set when the target was met, else the best one tried.
  const HybridTrial* pick = nullptr;
  for (const HybridTrial& t : r.trials) {
    if (met ? (t.meets && t.kept == chosen) : (!pick || t.agreement.min_cosine() > pick->agreement.min_cosine())) pick = &t;
  }
  r.target_met = met;
  r.kept = pick->kept;
  r.kept_int16 = options.int16;
  r.reached = pick->agreement;
  EZ_ASSIGN_OR_RETURN(r.model, build_kept(c, r.kept, options.int16));
  r.search_s += seconds_since(t0);
  return r;
}

}  // namespace ez::quant
