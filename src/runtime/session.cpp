#include "runtime/session.h"

#include <atomic>
#include <chrono>
#include <thread>
#include <cstring>

#include "onnx/onnx_import.h"
#include "ops/op_util.h"
#include "passes/pipeline.h"
#include "runtime/memory_plan.h"

namespace ez {

namespace {

// One node to run: its kernel and the value slots it reads and writes.
struct Step {
  std::string node, op;
  ops::KernelPtr kernel;
  std::vector<ValueId> inputs, outputs;
  bool dynamic = false;  // shapes known only at run time: infer + allocate on every run
  bool view = false;     // output 0 is a view of input 0's buffer: nothing to run
  std::vector<Shape> prepared_shapes;  // input shapes the kernel was last prepared for
  double total_ms = 0;
  int calls = 0;
};

}  // namespace

struct Session::Impl {
  SessionOptions options;
  Graph graph;
  ThreadPool pool;
  std::vector<Step> steps;
  std::vector<Tensor> slots;         // current tensor of every value (constants, inputs, arena views)
  std::vector<bool> known;           // planning: value's desc is known
  std::vector<IOInfo> inputs, outputs;
  std::shared_ptr<void> arena;
  SessionStats stats;

  explicit Impl(const SessionOptions& o) : options(o), pool(o.num_threads) {}

  Status bind_inputs();
  // Infers every value's shape and folds constant subgraphs. With shapes_only, reference kernels
  // are used, nothing is prepared and the folded nodes are removed from the graph (so that the
  // passes see final shapes and constants); otherwise the steps to run are built.
  Status plan_steps(bool shapes_only);
  Status plan_memory_and_allocate();
  Status run_step(Step& step);
};

Status Session::Impl::bind_inputs() {
  for (const auto& kv : options.input_shapes) {
    const ValueId id = graph.find_value(kv.first);
    if (id == kNoValue || std::find(graph.inputs().begin(), graph.inputs().end(), id) == graph.inputs().end()) {
      std::string names;
      for (ValueId in : graph.inputs()) names += (names.empty() ? "" : ", ") + graph.value(in).name;
      return not_found("--shape names '" + kv.first + "', which is not an input of the model (inputs: " + names + ")");
    }
  }
  for (ValueId id : graph.inputs()) {
    Value& v = graph.value(id);
    auto it = options.input_shapes.find(v.name);
    if (it != options.input_shapes.end()) {
      const Shape& given = it->second;
      if (!v.desc.shape.empty() && given.size() != v.desc.shape.size())
        return invalid_argument("input '" + v.name + "' has rank " + std::to_string(v.desc.shape.size()) + " " +
                                shape_to_string(v.desc.shape) + ", the given shape " + shape_to_string(given) +
                                " has rank " + std::to_string(given.size()));
      for (size_t d = 0; d < v.desc.shape.size(); ++d)
        if (v.desc.shape[d] >= 0 && v.desc.shape[d] != given[d])
          return invalid_argument("input '" + v.name + "' expects shape " + shape_to_string(v.desc.shape) +
                                  ", the given shape " + shape_to_string(given) + " differs in dim " + std::to_string(d));
      v.desc.shape = given;
    } else if (!shape_is_static(v.desc.shape)) {
      std::string dims;
      for (size_t d = 0; d < v.desc.shape.size(); ++d)
        dims += (d ? "x" : "") + (v.desc.shape[d] >= 0 ? std::to_string(v.desc.shape[d])
                                                      : (v.dim_names.size() > d && !v.dim_names[d].empty() ? v.dim_names[d] : "?"));
      return invalid_argument("input '" + v.name + "' has dynamic shape " + dims + "; give its shape, e.g. --shape " +
                              v.name + "=" + [&] {
                                std::string s;
                                for (size_t d = 0; d < v.desc.shape.size(); ++d)
                                  s += (d ? "x" : "") + std::to_string(v.desc.shape[d] >= 0 ? v.desc.shape[d] : 1);
                                return s;
                              }());
    }
    if (dtype_size(v.desc.dtype) == 0)
      return unsupported("input '" + v.name + "' has dtype " + dtype_name(v.desc.dtype));
  }
  return Status::OK();
}

Status Session::Impl::plan_steps(bool shapes_only) {
  slots.assign(graph.num_values(), Tensor());
  known.assign(graph.num_values(), false);
  steps.clear();
  stats = SessionStats();
  std::vector<bool> folded(graph.nodes().size(), false);
  struct PendingPrepare {
    size_t step;
    std::vector<ops::KernelInput> inputs;
  };
  std::vector<PendingPrepare> to_prepare;
  size_t node_index = 0;
  for (size_t i = 0; i < graph.num_values(); ++i) {
    const Value& v = graph.value(static_cast<ValueId>(i));
    if (v.is_constant()) {
      slots[i] = v.constant;
      known[i] = true;
      stats.constant_bytes += v.constant.nbytes();
    }
  }
  for (ValueId id : graph.inputs()) known[id] = true;

  for (const Node& node : graph.nodes()) {
    const size_t this_node = node_index++;
    if (!node.domain.empty())
      return unsupported("operator '" + node.op_type + "' of domain '" + node.domain + "' (node '" + node.name +
                         "') is not supported");
    ops::KernelConfig cfg;
    cfg.op_type = node.op_type;
    cfg.node_name = node.name;
    cfg.attrs = node.attrs;
    cfg.opset = graph.opset;
    cfg.num_inputs = static_cast<int>(node.inputs.size());
    cfg.num_outputs = static_cast<int>(node.outputs.size());
    for (const auto& kv : node.attrs.all())
      if (kv.second.kind == Attribute::Kind::kGraph)
        return unsupported("operator '" + node.op_type + "' (node '" + node.name + "') has a subgraph; control flow is not supported");
    EZ_ASSIGN_OR_RETURN(ops::KernelPtr kernel,
                        ops::create_kernel(cfg, shapes_only ? ops::KernelChoice::kReference : options.kernels));

    Step step;
    step.node = node.name;
    step.op = node.op_type;
    step.inputs = node.inputs;
    step.outputs = node.outputs;
    bool inputs_known = true, all_constant = true;
    std::vector<ops::KernelInput> kin(node.inputs.size());
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      const ValueId in = node.inputs[i];
      if (in == kNoValue) continue;
      inputs_known = inputs_known && known[in];
      const Value& v = graph.value(in);
      all_constant = all_constant && v.is_constant();
      kin[i].desc = v.desc;
      if (v.is_constant()) kin[i].value = &slots[in];
    }
    std::vector<TensorDesc> out_descs(node.outputs.size());
    Status s = inputs_known ? kernel->infer(kin, &out_descs) : needs_value("inputs not known");
    if (s.code() == StatusCode::kNeedsValue) {
      step.dynamic = true;
      stats.dynamic_steps++;
    } else if (!s.ok()) {
      return s.with_context(node.op_type + " node '" + node.name + "'");
    } else {
      for (size_t o = 0; o < node.outputs.size(); ++o) {
        Value& v = graph.value(node.outputs[o]);
        v.desc = out_descs[o];
        known[node.outputs[o]] = true;
      }
    }
    step.kernel = std::move(kernel);
    // Shape and Size read only their input's shape: with the shape known, they are constants too.
    const bool shape_only = (node.op_type == "Shape" || node.op_type == "Size") && !step.dynamic &&
                            !node.inputs.empty() && node.inputs[0] != kNoValue &&
                            shape_is_static(graph.value(node.inputs[0]).desc.shape);
    if (shape_only && !all_constant) {
      const Value& v = graph.value(node.inputs[0]);
      slots[node.inputs[0]] = Tensor::borrow(v.desc.dtype, v.desc.shape, nullptr);  // no data is read
    }
    // Before the passes, DequantizeLinear of a constant (int8 weights, int32 biases) stays a node so
    // that the QDQ fusion still sees the integer data; whatever it leaves is folded afterwards.
    const bool keep_for_passes = shapes_only && node.op_type == "DequantizeLinear";
    if (!step.dynamic && (all_constant || shape_only) && !keep_for_passes) {
      // Constant folding: compute once now; the result becomes a constant like an initializer.
      std::vector<Tensor> outs(node.outputs.size());
      std::vector<const Tensor*> ins(node.inputs.size(), nullptr);
      for (size_t i = 0; i < node.inputs.size(); ++i)
        if (node.inputs[i] != kNoValue) ins[i] = &slots[node.inputs[i]];
      for (size_t o = 0; o < outs.size(); ++o) {
        EZ_ASSIGN_OR_RETURN(outs[o], Tensor::allocate(out_descs[o].dtype, out_descs[o].shape));
      }
      ops::RunContext ctx{&pool};
      EZ_RETURN_IF_ERROR(step.kernel->prepare(kin).with_context(node.op_type + " node '" + node.name + "'"));
      EZ_RETURN_IF_ERROR(step.kernel->run(ins, outs, ctx).with_context(node.op_type + " node '" + node.name + "'"));
      for (size_t o = 0; o < outs.size(); ++o) {
        graph.value(node.outputs[o]).constant = outs[o];
        slots[node.outputs[o]] = outs[o];
        stats.constant_bytes += outs[o].nbytes();
      }
      stats.folded_nodes++;
      folded[this_node] = true;
      // The data-less stand-in for a Shape/Size input must not look like an allocated buffer
      // later (a graph output read by Shape would otherwise never get its own).
      if (shape_only && !all_constant) slots[node.inputs[0]] = Tensor();
      continue;
    }
    if (shapes_only) continue;
    const bool is_graph_output = std::find(graph.outputs().begin(), graph.outputs().end(), node.outputs[0]) != graph.outputs().end();
    step.view = !step.dynamic && step.kernel->output_is_view_of_input() && !is_graph_output && !node.inputs.empty() &&
                node.inputs[0] != kNoValue;
    if (!step.dynamic) {
      for (const auto& k : kin) step.prepared_shapes.push_back(k.desc.shape);
      to_prepare.push_back({steps.size(), std::move(kin)});
    }
    steps.push_back(std::move(step));
  }
  // Kernels prepare independently of each other (weight packing, oneDNN primitive creation, most
  // of a model's load time): spread them over plain threads. Not an OpenMP region: oneDNN sizes a
  // primitive's work split by the thread count it sees when the primitive is created, which is 1
  // inside a parallel region (and int8 convolutions then computed wrong on 2 threads). Each worker
  // activates the pool so it sees the session's thread count. Errors are reported in node order.
  std::vector<Status> prepared(to_prepare.size());
  std::atomic<size_t> next{0};
  auto worker = [&] {
    pool.activate();
    for (size_t i = next++; i < to_prepare.size(); i = next++)
      prepared[i] = steps[to_prepare[i].step].kernel->prepare(to_prepare[i].inputs);
  };
  std::vector<std::thread> helpers;
  const int extra = std::min<int>(pool.num_threads(), static_cast<int>(to_prepare.size())) - 1;
  for (int t = 0; t < extra; ++t) helpers.emplace_back(worker);
  worker();
  for (std::thread& t : helpers) t.join();
  for (size_t i = 0; i < prepared.size(); ++i) {
    const Step& step = steps[to_prepare[i].step];
    EZ_RETURN_IF_ERROR(prepared[i].with_context(step.op + " node '" + step.node + "'"));
  }
  stats.steps = static_cast<int>(steps.size());
  if (shapes_only) {
    std::vector<Node> kept;
    for (size_t n = 0; n < graph.nodes().size(); ++n)
      if (!folded[n]) kept.push_back(std::move(graph.nodes()[n]));
    graph.nodes() = std::move(kept);
  }
  return Status::OK();
}

Status Session::Impl::plan_memory_and_allocate() {
  const int n = static_cast<int>(graph.num_values());
  // A view shares its input's storage: every value maps to the value that owns its bytes.
  std::vector<ValueId> root(n);
  for (int v = 0; v < n; ++v) root[v] = v;
  for (const Step& step : steps)
    if (step.view) root[step.outputs[0]] = root[step.inputs[0]];
  std::vector<int> first(n, -1), last(n, -1);
  std::vector<bool> is_io(n, false);
  for (ValueId id : graph.inputs()) is_io[id] = true;
  for (ValueId id : graph.outputs()) is_io[id] = true;
  for (int s = 0; s < static_cast<int>(steps.size()); ++s) {
    for (ValueId in : steps[s].inputs)
      if (in != kNoValue) last[root[in]] = std::max(last[root[in]], s);
    for (ValueId out : steps[s].outputs) {
      if (first[root[out]] < 0) first[root[out]] = s;
      last[root[out]] = std::max(last[root[out]], s);
    }
  }
  // Outputs written over an input that dies at that step (a residual added in place) share its
  // storage too. Per storage root, the last step that touches any value stored there.
  std::vector<int> root_last(n, -1);
  for (int v = 0; v < n; ++v)
    if (last[v] >= 0) root_last[root[v]] = std::max(root_last[root[v]], last[v]);
  std::vector<bool> aliased(n, false), dynamic_value(n, false);
  for (const Step& step : steps)
    if (step.dynamic)
      for (ValueId out : step.outputs) dynamic_value[out] = true;
  for (int s = 0; s < static_cast<int>(steps.size()); ++s) {
    const Step& step = steps[s];
    if (step.dynamic || step.view) continue;
    const int k = step.kernel->output_may_overwrite_input();
    if (k < 0 || k >= static_cast<int>(step.inputs.size()) || step.inputs[k] == kNoValue) continue;
    const ValueId in = step.inputs[k], out = step.outputs[0];
    const ValueId r = root[in];
    const bool read_twice = std::count(step.inputs.begin(), step.inputs.end(), in) > 1;
    if (read_twice || is_io[r] || is_io[out] || dynamic_value[r] || graph.value(r).is_constant() || root[out] != out || root_last[r] != s ||
        graph.value(in).desc.nbytes() != graph.value(out).desc.nbytes())
      continue;
    root[out] = r;
    aliased[out] = true;
    first[r] = std::min(first[r] < 0 ? s : first[r], first[out]);
    last[r] = std::max(last[r], last[out]);
    root_last[r] = std::max(root_last[r], last[out]);
  }
  std::vector<BufferRequest> requests;
  std::vector<ValueId> owners;
  for (const Step& step : steps) {
    if (step.dynamic) continue;
    for (size_t o = 0; o < step.outputs.size(); ++o) {
      const ValueId out = step.outputs[o];
      if (root[out] != out || is_io[out] || graph.value(out).is_constant()) continue;
      requests.push_back({graph.value(out).desc.nbytes(), first[out], last[out]});
      owners.push_back(out);
    }
  }
  const MemoryPlan plan = plan_memory(requests);
  stats.arena_bytes = plan.arena_bytes;
  stats.naive_bytes = plan.naive_bytes;
  void* mem = aligned_alloc_bytes(std::max<size_t>(plan.arena_bytes, 1));
  if (!mem) return Status(StatusCode::kOutOfMemory, "cannot allocate the " + std::to_string(plan.arena_bytes) + "-byte activation arena");
  arena = std::shared_ptr<void>(mem, aligned_free_bytes);
  for (size_t r = 0; r < owners.size(); ++r) {
    const Value& v = graph.value(owners[r]);
    slots[owners[r]] = Tensor::borrow(v.desc.dtype, v.desc.shape, static_cast<char*>(mem) + plan.offsets[r]);
  }
  // Graph inputs and outputs get buffers of their own so they survive between runs.
  for (ValueId id : graph.inputs()) {
    EZ_ASSIGN_OR_RETURN(slots[id], Tensor::allocate(graph.value(id).desc.dtype, graph.value(id).desc.shape));
    stats.io_bytes += slots[id].nbytes();
  }
  for (const Step& step : steps) {
    if (step.dynamic) continue;
    for (ValueId id : step.outputs) {
      if (!is_io[id] || !slots[id].empty()) continue;
      const Value& v = graph.value(id);
      EZ_ASSIGN_OR_RETURN(slots[id], Tensor::allocate(v.desc.dtype, v.desc.shape));
      stats.io_bytes += slots[id].nbytes();
    }
  }
  // Views and in-place outputs last, once the storage they borrow exists (steps are in order, so
  // chains resolve).
  for (const Step& step : steps) {
    if (!step.dynamic && !step.outputs.empty() && aliased[step.outputs[0]]) {
      const ValueId out = step.outputs[0];
      const Value& v = graph.value(out);
      slots[out] = Tensor::borrow(v.desc.dtype, v.desc.shape, slots[root[out]].raw());
      continue;
    }
    if (!step.view) continue;
    const ValueId out = step.outputs[0];
    const Value& v = graph.value(out);
    slots[out] = Tensor::borrow(v.desc.dtype, v.desc.shape, slots[step.inputs[0]].raw());
  }
  return Status::OK();
}

Status Session::Impl::run_step(Step& step) {
  std::vector<const Tensor*> ins(step.inputs.size(), nullptr);
  for (size_t i = 0; i < step.inputs.size(); ++i)
    if (step.inputs[i] != kNoValue) ins[i] = &slots[step.inputs[i]];
  std::vector<Tensor> outs(step.outputs.size());
  if (step.dynamic) {
    std::vector<ops::KernelInput> kin = ops::describe(ins);
    std::vector<TensorDesc> descs(step.outputs.size());
    EZ_RETURN_IF_ERROR(step.kernel->infer(kin, &descs));
    for (size_t o = 0; o < outs.size(); ++o) {
      EZ_ASSIGN_OR_RETURN(outs[o], Tensor::allocate(descs[o].dtype, descs[o].shape));
    }
    std::vector<Shape> shapes;
    for (const auto& k : kin) shapes.push_back(k.desc.shape);
    if (shapes != step.prepared_shapes) {
      EZ_RETURN_IF_ERROR(step.kernel->prepare(kin));
      step.prepared_shapes = std::move(shapes);
    }
  } else {
    for (size_t o = 0; o < outs.size(); ++o) outs[o] = slots[step.outputs[o]];
  }
  ops::RunContext ctx{&pool};
  EZ_RETURN_IF_ERROR(step.kernel->run(ins, outs, ctx));
  if (step.dynamic)
    for (size_t o = 0; o < outs.size(); ++o) slots[step.outputs[o]] = outs[o];
  return Status::OK();
}

Session::Session(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Session::~Session() = default;

Result<std::unique_ptr<Session>> Session::load_file(const std::string& path, const SessionOptions& options) {
  ImportOptions io;
  io.infer_shapes = false;  // planning infers every shape itself; ONNX's pass would only annotate
  const auto t0 = std::chrono::steady_clock::now();
  EZ_ASSIGN_OR_RETURN(Graph g, import_onnx_file(path, io));
  const double import_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  auto r = from_graph(std::move(g), options);
  if (!r.ok()) return r.status().with_context("'" + path + "'");
  (*r)->impl_->stats.load.import_ms = import_ms;
  return r;
}

Result<std::unique_ptr<Session>> Session::load_bytes(const void* data, size_t size, const SessionOptions& options,
                                                     const std::string& external_data_dir) {
  ImportOptions io;
  io.external_data_dir = external_data_dir;
  io.infer_shapes = false;
  EZ_ASSIGN_OR_RETURN(Graph g, import_onnx_bytes(data, size, io));
  return from_graph(std::move(g), options);
}

Result<std::unique_ptr<Session>> Session::from_graph(Graph graph, const SessionOptions& options) {
  using Clock = std::chrono::steady_clock;
  auto since = [](Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); };
  auto impl = std::make_unique<Impl>(options);
  impl->graph = std::move(graph);
  impl->pool.activate();
  EZ_RETURN_IF_ERROR(impl->bind_inputs());
  LoadTimes times;
  if (options.optimize) {
    auto t = Clock::now();
    EZ_RETURN_IF_ERROR(impl->plan_steps(/*shapes_only=*/true));
    times.shapes_ms = since(t);
    impl->slots.clear();  // drop the planning copies so passes may rewrite unshared constants in place
    const int folded = impl->stats.folded_nodes;
    PassOptions passes;
#ifdef EDGEZOO_DNNL
    passes.channels_last = options.kernels == ops::KernelChoice::kFast;
    passes.fuse_qdq = options.int8_kernels;
#endif
    t = Clock::now();
    EZ_RETURN_IF_ERROR(optimize_graph(impl->graph, passes));
    times.passes_ms = since(t);
    t = Clock::now();
    EZ_RETURN_IF_ERROR(impl->plan_steps(/*shapes_only=*/false));
    times.kernels_ms = since(t);
    impl->stats.folded_nodes += folded;
  } else {
    auto t = Clock::now();
    EZ_RETURN_IF_ERROR(impl->plan_steps(/*shapes_only=*/false));
    times.kernels_ms = since(t);
  }
  auto t = Clock::now();
  EZ_RETURN_IF_ERROR(impl->plan_memory_and_allocate());
  times.memory_ms = since(t);
  impl->stats.load = times;
  for (ValueId id : impl->graph.inputs()) {
    const Value& v = impl->graph.value(id);
    impl->inputs.push_back({v.name, v.desc, v.dim_names});
  }
  for (ValueId id : impl->graph.outputs()) {
    const Value& v = impl->graph.value(id);
    impl->outputs.push_back({v.name, impl->known[id] ? v.desc : TensorDesc{v.desc.dtype, {}}, v.dim_names});
  }
  return std::unique_ptr<Session>(new Session(std::move(impl)));
}

const std::vector<IOInfo>& Session::inputs() const { return impl_->inputs; }
const std::vector<IOInfo>& Session::outputs() const { return impl_->outputs; }
const SessionStats& Session::stats() const { return impl_->stats; }
const Graph& Session::graph() const { return impl_->graph; }
int Session::num_threads() const { return impl_->pool.num_threads(); }

int Session::input_index(const std::string& name) const {
  for (size_t i = 0; i < impl_->inputs.size(); ++i)
    if (impl_->inputs[i].name == name) return static_cast<int>(i);
  return -1;
}

int Session::output_index(const std::string& name) const {
  for (size_t i = 0; i < impl_->outputs.size(); ++i)
    if (impl_->outputs[i].name == name) return static_cast<int>(i);
  return -1;
}

Status Session::set_input(int index, const Tensor& value) {
  if (index < 0 || index >= static_cast<int>(impl_->inputs.size()))
    return invalid_argument("input index " + std::to_string(index) + " out of range (model has " +
                            std::to_string(impl_->inputs.size()) + " inputs)");
  const IOInfo& info = impl_->inputs[index];
  if (value.dtype() != info.desc.dtype)
    return invalid_argument("input '" + info.name + "' expects dtype " + dtype_name(info.desc.dtype) + ", got " +
                            dtype_name(value.dtype()));
  if (value.shape() != info.desc.shape)
    return invalid_argument("input '" + info.name + "' expects shape " + shape_to_string(info.desc.shape) + ", got " +
                            shape_to_string(value.shape()) + " (the session was planned for that shape)");
  Tensor& dst = impl_->slots[impl_->graph.inputs()[index]];
  if (value.nbytes() && dst.raw() != value.raw()) std::memcpy(dst.raw(), value.raw(), value.nbytes());
  return Status::OK();
}

Tensor Session::input_buffer(int index) { return impl_->slots[impl_->graph.inputs()[index]]; }

Status Session::run() {
  impl_->pool.activate();
  const bool profile = impl_->options.profile;
  for (Step& step : impl_->steps) {
    if (step.view) continue;
    const auto t0 = profile ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point();
    Status s = impl_->run_step(step);
    if (!s.ok()) return s.with_context(step.op + " node '" + step.node + "'");
    if (profile) {
      step.total_ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      step.calls++;
    }
  }
  // Graph outputs that are constants or graph inputs are copied by reference.
  return Status::OK();
}

const Tensor& Session::output(int index) const { return impl_->slots[impl_->graph.outputs()[index]]; }

Result<std::vector<Tensor>> Session::run(const std::vector<Tensor>& inputs) {
  if (inputs.size() != impl_->inputs.size())
    return invalid_argument("model has " + std::to_string(impl_->inputs.size()) + " inputs, " +
                            std::to_string(inputs.size()) + " given");
  for (size_t i = 0; i < inputs.size(); ++i) EZ_RETURN_IF_ERROR(set_input(static_cast<int>(i), inputs[i]));
  EZ_RETURN_IF_ERROR(run());
  std::vector<Tensor> outs;
  for (size_t i = 0; i < impl_->outputs.size(); ++i) outs.push_back(output(static_cast<int>(i)).clone());
  return outs;
}

std::vector<StepProfile> Session::profile() const {
  std::vector<StepProfile> out;
  for (const Step& s : impl_->steps) {
    StepProfile p;
    p.node = s.node;
    p.op = s.op;
    p.impl = s.kernel->impl_name();
    if (!s.outputs.empty()) p.shape = shape_to_string(impl_->slots[s.outputs[0]].shape());
    p.total_ms = s.total_ms;
    p.calls = s.calls;
    out.push_back(std::move(p));
  }
  return out;
}

void Session::reset_profile() {
  for (Step& s : impl_->steps) {
    s.total_ms = 0;
    s.calls = 0;
  }
}

}  // namespace ez
