#include "quant/output_agreement.h"

#include <algorithm>

#include "quant/layer_analysis.h"

namespace ez::quant {

double Agreement::min_cosine() const {
  double m = 1.0;
  for (const OutputError& o : outputs) m = std::min(m, o.cosine);
  return m;
}

int Agreement::worst_sample() const {
  if (sample_cosine.empty()) return -1;
  return static_cast<int>(std::min_element(sample_cosine.begin(), sample_cosine.end()) - sample_cosine.begin());
}

double Agreement::worst_sample_cosine() const { return sample_cosine.empty() ? 1.0 : sample_cosine[worst_sample()]; }

Result<std::unique_ptr<OutputAgreement>> OutputAgreement::create(const std::string& float_path, const DatasetList& list,
                                                                 const SampleLoader& load, const SessionOptions& options,
                                                                 size_t cache_bytes) {
  std::unique_ptr<OutputAgreement> a(new OutputAgreement());
  a->list_ = list;
  a->load_ = load;
  a->options_ = options;
  // Candidates are scored in ONNX's QDQ semantics (dequantized values in float): the figure the
  // quantization scheme earns, whatever CPU the search runs on, and as fast as the float model
  // (the int8 kernels are slower than float on CPUs without VNNI, and agree with these
  // semantics only to the rounding of each requantisation).
  a->options_.int8_kernels = false;
  auto s = Session::load_file(float_path, options);
  if (!s.ok()) return s.status().with_context("float model");
  Session& f = **s;
  if (f.inputs().size() != 1)
    return unsupported("scoring on image lists supports models with one input; '" + float_path + "' has " +
                       std::to_string(f.inputs().size()));
  a->input_ = f.inputs()[0];
  for (const IOInfo& o : f.outputs()) a->output_names_.push_back(o.name);
  size_t bytes = 0;
  std::vector<Tensor> inputs;
  for (size_t i = 0; i < list.entries.size(); ++i) {
    const std::string where = "sample list '" + list.name + "' line " + std::to_string(list.entries[i].line);
    auto x = load(list.entries[i].path, a->input_);
    if (!x.ok()) return x.status().with_context(where);
    EZ_ASSIGN_OR_RETURN(std::vector<Tensor> outs, f.run({*x}));
    for (const Tensor& t : outs)
      if (t.dtype() != DType::kFloat32) return unsupported("the float model's outputs must be float32 to be compared");
    // Float outputs are always kept (they are what is compared); inputs only while small.
    for (const Tensor& t : outs) bytes += t.nbytes();
    bytes += x->nbytes();
    if (bytes <= cache_bytes) inputs.push_back(std::move(*x));
    else inputs.clear();
    a->float_outputs_.push_back(std::move(outs));
  }
  if (inputs.size() == list.entries.size()) a->inputs_ = std::move(inputs);
  return a;
}

Result<Tensor> OutputAgreement::input(size_t sample) {
  if (!inputs_.empty()) return inputs_[sample];
  const DatasetEntry& e = list_.entries[sample];
  auto x = load_(e.path, input_);
  if (!x.ok()) return x.status().with_context("sample list '" + list_.name + "' line " + std::to_string(e.line));
  return x;
}

Result<Agreement> OutputAgreement::score(const onnx::ModelProto& candidate, const std::string& external_dir,
                                         size_t max_samples) {
  std::string bytes;
  if (!candidate.SerializeToString(&bytes)) return internal_error("serialising the candidate model failed");
  EZ_ASSIGN_OR_RETURN(std::unique_ptr<Session> s, Session::load_bytes(bytes.data(), bytes.size(), options_, external_dir));
  return score(*s, max_samples);
}

Result<Agreement> OutputAgreement::score(Session& s, size_t max_samples) {
  if (s.inputs().size() != 1 || s.inputs()[0].desc.shape != input_.desc.shape)
    return invalid_argument("the candidate model's input differs from the float model's '" + input_.name + "' " +
                            input_.desc.to_string());
  std::vector<int> index;
  for (const std::string& name : output_names_) {
    index.push_back(s.output_index(name));
    if (index.back() < 0) return invalid_argument("the candidate model has no output '" + name + "'");
  }
  std::vector<ErrorAccumulator> acc(output_names_.size());
  Agreement a;
  for (size_t i = 0; i < float_outputs_.size() && i < max_samples; ++i) {
    double worst = 1.0;
    EZ_ASSIGN_OR_RETURN(Tensor x, input(i));
    EZ_RETURN_IF_ERROR(s.set_input(0, x));
    EZ_RETURN_IF_ERROR(s.run());
    for (size_t o = 0; o < index.size(); ++o) {
      const Tensor& q = s.output(index[o]);
      const Tensor& f = float_outputs_[i][o];
      if (q.dtype() != DType::kFloat32 || q.shape() != f.shape())
        return invalid_argument("the candidate's output '" + output_names_[o] + "' is " + q.desc().to_string() + ", the float model's " +
                                f.desc().to_string());
      ErrorAccumulator one;
      one.add(f, q);
      worst = std::min(worst, one.cosine());
      acc[o].add(one);
    }
    a.sample_cosine.push_back(worst);
  }
  for (size_t o = 0; o < index.size(); ++o) a.outputs.push_back({output_names_[o], acc[o].cosine(), acc[o].rel_error()});
  return a;
}

}  // namespace ez::quant
