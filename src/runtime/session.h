// Session: a model planned for fixed input shapes and ready to run many times. The C++ API; the C
// API (include/edgezoo/edgezoo.h) and the RKNN-compatible API are thin layers over it.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/thread_pool.h"
#include "graph/graph.h"
#include "ops/registry.h"

namespace ez {

struct SessionOptions {
  int num_threads = 0;                        // 0 = all cores this process may use
  std::map<std::string, Shape> input_shapes;  // resolves dynamic input dims ("images" -> 1x3x640x640)
  ops::KernelChoice kernels = ops::KernelChoice::kFast;
  bool optimize = true;                       // run graph passes (fusion, folding)
  // QDQ models: fuse Q/DQ patterns into integer operators (QLinearConv ...). false runs them as
  // ONNX defines them, dequantized values in float: the reference semantics, and on CPUs without
  // fast int8 arithmetic (no VNNI) as fast as the float model.
  bool int8_kernels = true;
  bool profile = false;                       // time every step (see Session::profile())
};

struct IOInfo {
  std::string name;
  TensorDesc desc;  // planned dtype and shape (dims < 0 only for data-dependent outputs)
  std::vector<std::string> dim_names;
};

struct StepProfile {
  std::string node, op, impl;
  std::string shape;  // output 0 shape
  double total_ms = 0;
  int calls = 0;
};

// Where session creation time went (ms).
struct LoadTimes {
  double import_ms = 0;   // reading and converting the ONNX file (0 for from_graph)
  double shapes_ms = 0;   // shape inference and constant folding
  double passes_ms = 0;   // graph optimisation passes
  double kernels_ms = 0;  // kernel creation and preparation (weight packing, oneDNN primitives)
  double memory_ms = 0;   // memory planning and buffer allocation
};

struct SessionStats {
  size_t arena_bytes = 0;        // peak activation memory (planned arena)
  size_t naive_bytes = 0;        // what the activations would take without buffer reuse
  size_t constant_bytes = 0;     // weights and folded constants
  size_t io_bytes = 0;           // graph input and output buffers
  int steps = 0;                 // nodes left to run after folding and fusion
  int dynamic_steps = 0;         // nodes whose shapes are only known at run time
  int folded_nodes = 0;          // nodes computed once at load (constant folding)
  LoadTimes load;
};

class Session {
 public:
  static Result<std::unique_ptr<Session>> load_file(const std::string& path, const SessionOptions& options = {});
  // `external_data_dir` is where external weights may be read from ("" refuses them).
  static Result<std::unique_ptr<Session>> load_bytes(const void* data, size_t size, const SessionOptions& options = {},
                                                     const std::string& external_data_dir = "");
  static Result<std::unique_ptr<Session>> from_graph(Graph graph, const SessionOptions& options = {});
  ~Session();

  const std::vector<IOInfo>& inputs() const;
  const std::vector<IOInfo>& outputs() const;
  int input_index(const std::string& name) const;   // -1 if absent
  int output_index(const std::string& name) const;  // -1 if absent

  // Copies `value` into input `index`; dtype and shape must match the planned input.
  Status set_input(int index, const Tensor& value);
  // A writable view of input `index`'s buffer, to fill in place without a copy.
  Tensor input_buffer(int index);
  Status run();
  // Valid until the next run().
  const Tensor& output(int index) const;
  // Convenience: set every input, run, return copies of the outputs.
  Result<std::vector<Tensor>> run(const std::vector<Tensor>& inputs);

  const SessionStats& stats() const;
  std::vector<StepProfile> profile() const;  // per step, in execution order (empty unless profiling)
  void reset_profile();
  const Graph& graph() const;  // the optimised graph that runs
  int num_threads() const;

 private:
  struct Impl;
  explicit Session(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ez
