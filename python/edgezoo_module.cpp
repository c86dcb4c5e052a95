// The Python module `edgezoo`: ONNX Runtime's InferenceSession interface over edgezoo's C API, so
// that evaluation and test scripts written for onnxruntime switch engines by changing the import:
//   import edgezoo
//   s = edgezoo.InferenceSession("yolox_nano.onnx", threads=2)
//   [out] = s.run(None, {"images": x})        # numpy arrays in, numpy arrays out
// Bad input raises (ValueError for a wrong feed or argument, RuntimeError otherwise) with
// edgezoo's message; nothing aborts the interpreter.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "edgezoo/edgezoo.h"

namespace py = pybind11;

namespace {

[[noreturn]] void raise(ez_status st) {
  const std::string msg = ez_last_error();
  if (st == EZ_ERROR_INVALID_ARGUMENT) throw py::value_error(msg);
  throw std::runtime_error(msg);
}

void ok(ez_status st) {
  if (st != EZ_OK) raise(st);
}

// numpy dtype and ONNX Runtime's type string of an edgezoo dtype.
struct TypeNames {
  py::dtype dtype;
  const char* ort;
};

TypeNames type_of(ez_dtype t) {
  switch (t) {
    case EZ_DTYPE_FLOAT32: return {py::dtype::of<float>(), "tensor(float)"};
    case EZ_DTYPE_FLOAT64: return {py::dtype::of<double>(), "tensor(double)"};
    case EZ_DTYPE_FLOAT16: return {py::dtype("float16"), "tensor(float16)"};
    case EZ_DTYPE_UINT8: return {py::dtype::of<uint8_t>(), "tensor(uint8)"};
    case EZ_DTYPE_INT8: return {py::dtype::of<int8_t>(), "tensor(int8)"};
    case EZ_DTYPE_UINT16: return {py::dtype::of<uint16_t>(), "tensor(uint16)"};
    case EZ_DTYPE_INT16: return {py::dtype::of<int16_t>(), "tensor(int16)"};
    case EZ_DTYPE_INT32: return {py::dtype::of<int32_t>(), "tensor(int32)"};
    case EZ_DTYPE_INT64: return {py::dtype::of<int64_t>(), "tensor(int64)"};
    case EZ_DTYPE_UINT32: return {py::dtype::of<uint32_t>(), "tensor(uint32)"};
    case EZ_DTYPE_UINT64: return {py::dtype::of<uint64_t>(), "tensor(uint64)"};
    case EZ_DTYPE_BOOL: return {py::dtype("bool"), "tensor(bool)"};
    default: throw std::runtime_error("a tensor type numpy cannot hold (" + std::to_string(t) + ")");
  }
}

std::string shape_text(const int64_t* dims, int rank) {
  std::string s = "[";
  for (int d = 0; d < rank; ++d) s += (d ? "," : "") + (dims[d] < 0 ? std::string("?") : std::to_string(dims[d]));
  return s + "]";
}

// onnxruntime.NodeArg's fields: name, shape (ints; None for a dynamic dim), type.
struct NodeArg {
  std::string name, type;
  std::vector<py::object> shape;
};

NodeArg node_arg(const ez_tensor_info& info) {
  NodeArg a;
  a.name = info.name;
  a.type = type_of(info.dtype).ort;
  for (int d = 0; d < info.rank; ++d) a.shape.push_back(info.dims[d] < 0 ? py::none() : py::object(py::int_(info.dims[d])));
  return a;
}

class InferenceSession {
 public:
  InferenceSession(const std::string& path, int threads, const std::map<std::string, std::vector<int64_t>>& shapes,
                   bool reference) {
    std::vector<const char*> names;
    std::vector<const int64_t*> dims;
    std::vector<int> ranks;
    for (const auto& kv : shapes) {
      names.push_back(kv.first.c_str());
      dims.push_back(kv.second.data());
      ranks.push_back(static_cast<int>(kv.second.size()));
    }
    ez_options o;
    ez_options_init(&o);
    o.num_threads = threads;
    o.reference_kernels = reference ? 1 : 0;
    o.num_input_shapes = static_cast<int>(names.size());
    o.input_shape_names = names.data();
    o.input_shape_dims = dims.data();
    o.input_shape_ranks = ranks.data();
    ez_session* s = nullptr;
    const ez_status st = ez_session_create(path.c_str(), &o, &s);
    if (st != EZ_OK && std::strstr(ez_last_error(), "dynamic shape"))
      throw py::value_error(std::string(ez_last_error()) + " (here: InferenceSession(path, shapes={'name': [dims]}))");
    ok(st);
    session_.reset(s);
  }

  std::vector<NodeArg> get_inputs() const { return args(true); }
  std::vector<NodeArg> get_outputs() const { return args(false); }

  py::object metadata(const std::string& key) const {
    const char* value = nullptr;
    return ez_session_metadata(session_.get(), key.c_str(), &value) == EZ_OK ? py::object(py::str(value)) : py::object(py::none());
  }

  // onnxruntime's run(output_names, input_feed): every input by name, outputs in the order asked
  // (None: all).
  std::vector<py::array> run(const py::object& output_names, const py::dict& feed) {
    int n_in = 0;
    ok(ez_session_input_count(session_.get(), &n_in));
    std::vector<std::string> known;
    for (int i = 0; i < n_in; ++i) {
      ez_tensor_info info;
      ok(ez_session_input_info(session_.get(), i, &info));
      known.push_back(info.name);
      if (!feed.contains(info.name)) throw py::value_error(std::string("input '") + info.name + "' is missing from the feed");
      py::array a = py::reinterpret_borrow<py::array>(feed[py::str(info.name)]);
      const TypeNames want = type_of(info.dtype);
      if (!a.dtype().is(want.dtype))
        throw py::value_error(std::string("input '") + info.name + "' is " + want.ort + ", got a numpy array of " +
                              std::string(py::str(a.dtype())));
      bool same = a.ndim() == info.rank;
      for (int d = 0; same && d < info.rank; ++d) same = a.shape(d) == info.dims[d];
      if (!same) {
        std::vector<int64_t> got(a.shape(), a.shape() + a.ndim());
        throw py::value_error(std::string("input '") + info.name + "' is " + shape_text(info.dims, info.rank) + ", got " +
                              shape_text(got.data(), static_cast<int>(got.size())));
      }
      py::array c = py::array::ensure(a, py::array::c_style);  // a contiguous view or copy
      ok(ez_session_set_input(session_.get(), i, c.data(), static_cast<size_t>(c.nbytes())));
    }
    for (const auto& kv : feed) {
      const std::string name = py::str(kv.first);
      bool found = false;
      for (const auto& k : known) found |= k == name;
      if (!found) throw py::value_error("the model has no input '" + name + "'");
    }
    {
      py::gil_scoped_release unlocked;  // other Python threads run meanwhile
      ok(ez_session_run(session_.get()));
    }
    int n_out = 0;
    ok(ez_session_output_count(session_.get(), &n_out));
    std::vector<int> order;
    if (output_names.is_none()) {
      for (int i = 0; i < n_out; ++i) order.push_back(i);
    } else {
      for (const auto& want : output_names) {
        const std::string name = py::str(want);
        int index = -1;
        for (int i = 0; i < n_out; ++i) {
          ez_tensor_info info;
          ok(ez_session_output_info(session_.get(), i, &info));
          if (name == info.name) index = i;
        }
        if (index < 0) throw py::value_error("the model has no output '" + name + "'");
        order.push_back(index);
      }
    }
    std::vector<py::array> out;
    for (int i : order) {
      const void* data = nullptr;
      ez_tensor_info info;
      ok(ez_session_get_output(session_.get(), i, &data, &info));
      std::vector<py::ssize_t> shape(info.dims, info.dims + info.rank);
      py::array a(type_of(info.dtype).dtype, shape);  // owns a copy: the session's buffer is reused by the next run
      std::memcpy(a.mutable_data(), data, info.bytes);
      out.push_back(std::move(a));
    }
    return out;
  }

 private:
  struct Deleter {
    void operator()(ez_session* s) const { ez_session_destroy(s); }
  };
  std::unique_ptr<ez_session, Deleter> session_;

  std::vector<NodeArg> args(bool inputs) const {
    int n = 0;
    ok(inputs ? ez_session_input_count(session_.get(), &n) : ez_session_output_count(session_.get(), &n));
    std::vector<NodeArg> r;
    for (int i = 0; i < n; ++i) {
      ez_tensor_info info;
      ok(inputs ? ez_session_input_info(session_.get(), i, &info) : ez_session_output_info(session_.get(), i, &info));
      r.push_back(node_arg(info));
    }
    return r;
  }
};

}  // namespace

PYBIND11_MODULE(edgezoo, m) {
  m.doc() = "edgezoo: ONNX models on the CPU behind onnxruntime's InferenceSession interface";
  m.attr("__version__") = ez_version();
  py::class_<NodeArg>(m, "NodeArg", "an input or output: name, shape (None for a dynamic dim), type ('tensor(float)')")
      .def_readonly("name", &NodeArg::name)
      .def_readonly("shape", &NodeArg::shape)
      .def_readonly("type", &NodeArg::type)
      .def("__repr__", [](const NodeArg& a) { return "NodeArg(name='" + a.name + "', type='" + a.type + "')"; });
  py::class_<InferenceSession>(m, "InferenceSession")
      .def(py::init<const std::string&, int, const std::map<std::string, std::vector<int64_t>>&, bool>(), py::arg("path"),
           py::arg("threads") = 0, py::arg("shapes") = std::map<std::string, std::vector<int64_t>>{}, py::arg("reference") = false,
           "load an ONNX model; threads 0 = every core; shapes fixes dynamic input dims ({'x': [1, 3, 640, 640]}); "
           "reference = the plain reference kernels only")
      .def("get_inputs", &InferenceSession::get_inputs)
      .def("get_outputs", &InferenceSession::get_outputs)
      .def("metadata", &InferenceSession::metadata, py::arg("key"), "the model's metadata_props entry, or None")
      .def("run", &InferenceSession::run, py::arg("output_names"), py::arg("input_feed"),
           "run on {input name: numpy array}; returns the outputs named (None: all) as numpy arrays");
}
