// The RKNN-compatible C API (include/edgezoo/rknn_api.h) over edgezoo's own C API: librknnrt.so
// needs nothing but libedgezoo.so. A context owns a session, the model bytes (for
// rknn_dup_context), the converted inputs, the output buffers it handed out and its zero-copy
// memory. The tensor conversions are in rknn_tensors.cpp.
#include "edgezoo/rknn_api.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <set>
#include <string>
#include <vector>

#include "edgezoo/edgezoo.h"
#include "runtime/rknn_tensors.h"

namespace {

using namespace ez::rknn;

// A zero-copy buffer bound to an input or output (rknn_set_io_mem).
struct Binding {
  rknn_tensor_mem* mem = nullptr;
  rknn_tensor_attr attr{};
};

struct Context {
  std::string model;      // the ONNX bytes
  std::string model_dir;  // external data folder (a file path was given), else ""
  ez_session* session = nullptr;
  std::vector<Input> inputs;
  std::vector<ez_tensor_info> outputs;
  std::set<void*> handed_out;  // output buffers rknn_outputs_get allocated
  std::set<rknn_tensor_mem*> mems;  // rknn_create_mem's
  std::map<uint32_t, Binding> bound_inputs, bound_outputs;
  int64_t last_run_us = 0;
  std::string custom_string;
  ~Context() {
    for (void* p : handed_out) std::free(p);
    for (rknn_tensor_mem* m : mems) {
      std::free(m->virt_addr);
      delete m;
    }
    ez_session_destroy(session);
  }
};

std::mutex g_mutex;
std::set<Context*>& live() {
  static std::set<Context*> s;
  return s;
}

Context* pointer_of(rknn_context c) { return reinterpret_cast<Context*>(static_cast<uintptr_t>(c)); }

Context* find(rknn_context c) {
  std::lock_guard<std::mutex> lock(g_mutex);
  return live().count(pointer_of(c)) ? pointer_of(c) : nullptr;
}

rknn_context handle(Context* c) { return static_cast<rknn_context>(reinterpret_cast<uintptr_t>(c)); }

int ctx_invalid(rknn_context c) { return fail(RKNN_ERR_CTX_INVALID, "context " + std::to_string(c) + " is not a live context"); }

int create(const std::string& bytes, const std::string& dir, rknn_context* out) {
  auto c = std::make_unique<Context>();
  c->model = bytes;
  c->model_dir = dir;
  ez_options opts;
  ez_options_init(&opts);
  if (ez_session_create_from_memory(c->model.data(), c->model.size(), dir.empty() ? nullptr : dir.c_str(), &opts, &c->session) != EZ_OK) {
    std::string why = ez_last_error();
    if (why.find("dynamic shape") != std::string::npos)
      why += "; the RKNN API needs fixed input shapes: write them into the model with `edgezoo convert MODEL --shape NAME=DIMS -o OUT.onnx`";
    return fail(RKNN_ERR_MODEL_INVALID, "cannot load the model: " + why);
  }
  int n_in = 0, n_out = 0;
  ez_session_input_count(c->session, &n_in);
  ez_session_output_count(c->session, &n_out);
  c->inputs.resize(n_in);
  for (int i = 0; i < n_in; ++i) ez_session_input_info(c->session, i, &c->inputs[i].info);
  c->outputs.resize(n_out);
  for (int i = 0; i < n_out; ++i) ez_session_output_info(c->session, i, &c->outputs[i]);
  // Normalisation: rknn.mean_values / rknn.std_values, one list per input (or one for all).
  std::vector<std::vector<float>> means, stds;
  const char* text = nullptr;
  if (ez_session_metadata(c->session, "rknn.mean_values", &text) == EZ_OK && !parse_lists(text, &means))
    return fail(RKNN_ERR_MODEL_INVALID, std::string("the model's rknn.mean_values '") + text + "' is not a list of numbers");
  if (ez_session_metadata(c->session, "rknn.std_values", &text) == EZ_OK && !parse_lists(text, &stds))
    return fail(RKNN_ERR_MODEL_INVALID, std::string("the model's rknn.std_values '") + text + "' is not a list of numbers");
  if ((!means.empty() && means.size() != 1 && static_cast<int>(means.size()) != n_in) ||
      (!stds.empty() && stds.size() != 1 && static_cast<int>(stds.size()) != n_in))
    return fail(RKNN_ERR_MODEL_INVALID, "rknn.mean_values / rknn.std_values need one list per input (" + std::to_string(n_in) + ")");
  for (int i = 0; i < n_in; ++i) {
    Input& in = c->inputs[i];
    auto pick = [&](const std::vector<std::vector<float>>& v) { return v.empty() ? std::vector<float>{} : v[v.size() == 1 ? 0 : i]; };
    in.mean = pick(means);
    in.std = pick(stds);
    if (in.mean.empty() && in.std.empty()) continue;
    const int64_t channels = in.info.rank >= 2 ? in.info.dims[1] : 1;
    for (auto* v : {&in.mean, &in.std}) {
      if (v->empty()) v->assign(static_cast<size_t>(channels), v == &in.mean ? 0.0f : 1.0f);
      if (v->size() == 1) v->assign(static_cast<size_t>(channels), (*v)[0]);
      if (static_cast<int64_t>(v->size()) != channels)
        return fail(RKNN_ERR_MODEL_INVALID, std::string("input '") + in.info.name + "' has " + std::to_string(channels) +
                                                " channels, its rknn.mean_values/std_values " + std::to_string(v->size()));
    }
    for (float s : in.std)
      if (s == 0) return fail(RKNN_ERR_MODEL_INVALID, std::string("input '") + in.info.name + "': an rknn.std_values entry is 0");
    if (in.info.dtype != EZ_DTYPE_FLOAT32)
      return fail(RKNN_ERR_MODEL_INVALID, std::string("input '") + in.info.name + "' is not float32 but has rknn.mean_values/std_values");
  }
  if (ez_session_metadata(c->session, "rknn.custom_string", &text) == EZ_OK) c->custom_string = text;
  std::lock_guard<std::mutex> lock(g_mutex);
  live().insert(c.get());
  *out = handle(c.release());
  return RKNN_SUCC;
}

// One input staged and handed to the session (rknn_inputs_set, and rknn_run for bound memory).
int set_input(Context* c, const rknn_input& r, const char* call) {
  Input& in = c->inputs[r.index];
  if (int st = stage_input(in, r)) return st;
  if (ez_session_set_input(c->session, static_cast<int>(r.index), in.staged.data(), in.staged.size()) != EZ_OK)
    return fail(RKNN_ERR_INPUT_INVALID, std::string(call) + ": " + ez_last_error());
  return RKNN_SUCC;
}

template <typename F>
int guarded(F&& f) {
  try {
    return f();
  } catch (const std::bad_alloc&) {
    return fail(RKNN_ERR_MALLOC_FAIL, "out of memory");
  } catch (const std::exception& e) {
    return fail(RKNN_ERR_FAIL, std::string("internal error: ") + e.what());
  }
}

}  // namespace

extern "C" {

int rknn_init(rknn_context* context, void* model, uint32_t size, uint32_t flag, rknn_init_extend* extend) {
  (void)flag;
  (void)extend;
  return guarded([&] {
    if (!context || !model) return fail(RKNN_ERR_PARAM_INVALID, "rknn_init: context and model must not be NULL");
    *context = 0;
    if (size > 0) return create(std::string(static_cast<const char*>(model), size), "", context);
    const std::string path(static_cast<const char*>(model));
    std::ifstream f(path, std::ios::binary);
    if (!f) return fail(RKNN_ERR_MODEL_INVALID, "rknn_init: cannot open the model file '" + path + "'");
    std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    const size_t slash = path.find_last_of('/');
    return create(bytes, slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash), context);
  });
}

int rknn_dup_context(rknn_context* in, rknn_context* out) {
  return guarded([&] {
    if (!in || !out) return fail(RKNN_ERR_PARAM_INVALID, "rknn_dup_context: context_in and context_out must not be NULL");
    Context* c = find(*in);
    if (!c) return ctx_invalid(*in);
    return create(c->model, c->model_dir, out);
  });
}

int rknn_destroy(rknn_context context) {
  Context* c = nullptr;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    if (live().erase(pointer_of(context))) c = pointer_of(context);
  }
  if (!c) return ctx_invalid(context);
  delete c;
  return RKNN_SUCC;
}

int rknn_query(rknn_context context, rknn_query_cmd cmd, void* info, uint32_t size) {
  Context* c = find(context);
  if (!c) return ctx_invalid(context);
  if (!info) return fail(RKNN_ERR_PARAM_INVALID, "rknn_query: info is NULL");
  auto need = [&](size_t bytes, const char* what) {
    return size < bytes ? fail(RKNN_ERR_PARAM_INVALID, std::string("rknn_query ") + what + ": size " + std::to_string(size) +
                                                           " is smaller than the struct (" + std::to_string(bytes) + ")")
                        : RKNN_SUCC;
  };
  switch (cmd) {
    case RKNN_QUERY_IN_OUT_NUM: {
      if (int r = need(sizeof(rknn_input_output_num), "IN_OUT_NUM")) return r;
      auto* n = static_cast<rknn_input_output_num*>(info);
      n->n_input = static_cast<uint32_t>(c->inputs.size());
      n->n_output = static_cast<uint32_t>(c->outputs.size());
      return RKNN_SUCC;
    }
    case RKNN_QUERY_INPUT_ATTR: case RKNN_QUERY_NATIVE_INPUT_ATTR: case RKNN_QUERY_CURRENT_INPUT_ATTR:
    case RKNN_QUERY_CURRENT_NATIVE_INPUT_ATTR: {
      if (int r = need(sizeof(rknn_tensor_attr), "INPUT_ATTR")) return r;
      auto* a = static_cast<rknn_tensor_attr*>(info);
      if (a->index >= c->inputs.size())
        return fail(RKNN_ERR_PARAM_INVALID, "rknn_query INPUT_ATTR: index " + std::to_string(a->index) + ", the model has " + std::to_string(c->inputs.size()) + " input(s)");
      fill_attr(c->inputs[a->index].info, a);
      return RKNN_SUCC;
    }
    case RKNN_QUERY_OUTPUT_ATTR: case RKNN_QUERY_NATIVE_OUTPUT_ATTR: case RKNN_QUERY_CURRENT_OUTPUT_ATTR:
    case RKNN_QUERY_CURRENT_NATIVE_OUTPUT_ATTR: {
      if (int r = need(sizeof(rknn_tensor_attr), "OUTPUT_ATTR")) return r;
      auto* a = static_cast<rknn_tensor_attr*>(info);
      if (a->index >= c->outputs.size())
        return fail(RKNN_ERR_PARAM_INVALID, "rknn_query OUTPUT_ATTR: index " + std::to_string(a->index) + ", the model has " + std::to_string(c->outputs.size()) + " output(s)");
      ez_tensor_info now;  // after a run, the actual shape of a data-dependent output
      if (ez_session_output_info(c->session, static_cast<int>(a->index), &now) != EZ_OK) now = c->outputs[a->index];
      fill_attr(now, a);
      return RKNN_SUCC;
    }
    case RKNN_QUERY_PERF_RUN: {
      if (int r = need(sizeof(rknn_perf_run), "PERF_RUN")) return r;
      static_cast<rknn_perf_run*>(info)->run_duration = c->last_run_us;
      return RKNN_SUCC;
    }
    case RKNN_QUERY_SDK_VERSION: {
      if (int r = need(sizeof(rknn_sdk_version), "SDK_VERSION")) return r;
      auto* v = static_cast<rknn_sdk_version*>(info);
      std::snprintf(v->api_version, sizeof(v->api_version), "edgezoo %s (RKNN API compatible, CPU)", ez_version());
      std::snprintf(v->drv_version, sizeof(v->drv_version), "edgezoo %s CPU runtime (no NPU driver)", ez_version());
      return RKNN_SUCC;
    }
    case RKNN_QUERY_MEM_SIZE: {
      if (int r = need(sizeof(rknn_mem_size), "MEM_SIZE")) return r;
      auto* m = static_cast<rknn_mem_size*>(info);
      std::memset(m, 0, sizeof(*m));
      size_t arena = 0;
      ez_session_peak_memory(c->session, &arena);
      m->total_internal_size = static_cast<uint32_t>(arena);
      m->total_weight_size = static_cast<uint32_t>(c->model.size());  // the model's bytes, weights included
      return RKNN_SUCC;
    }
    case RKNN_QUERY_CUSTOM_STRING: {
      if (int r = need(sizeof(rknn_custom_string), "CUSTOM_STRING")) return r;
      std::snprintf(static_cast<rknn_custom_string*>(info)->string, sizeof(rknn_custom_string::string), "%s", c->custom_string.c_str());
      return RKNN_SUCC;
    }
    default:
      return fail(RKNN_ERR_PARAM_INVALID, "rknn_query: command " + std::to_string(cmd) + " is not supported by edgezoo");
  }
}

int rknn_inputs_set(rknn_context context, uint32_t n_inputs, rknn_input inputs[]) {
  return guarded([&] {
    Context* c = find(context);
    if (!c) return ctx_invalid(context);
    if (!inputs || n_inputs == 0) return fail(RKNN_ERR_PARAM_INVALID, "rknn_inputs_set: no inputs given");
    if (n_inputs > c->inputs.size())
      return fail(RKNN_ERR_PARAM_INVALID, "rknn_inputs_set: " + std::to_string(n_inputs) + " inputs for a model with " + std::to_string(c->inputs.size()));
    for (uint32_t k = 0; k < n_inputs; ++k) {
      const rknn_input& r = inputs[k];
      if (r.index >= c->inputs.size())
        return fail(RKNN_ERR_PARAM_INVALID, "rknn_inputs_set: input index " + std::to_string(r.index) + ", the model has " + std::to_string(c->inputs.size()) + " input(s)");
      if (int st = set_input(c, r, "rknn_inputs_set")) return st;
    }
    return RKNN_SUCC;
  });
}

int rknn_set_core_mask(rknn_context context, rknn_core_mask core_mask) {
  (void)core_mask;
  return find(context) ? RKNN_SUCC : ctx_invalid(context);
}

int rknn_run(rknn_context context, rknn_run_extend* extend) {
  (void)extend;
  return guarded([&] {
    Context* c = find(context);
    if (!c) return ctx_invalid(context);
    const auto t0 = std::chrono::steady_clock::now();
    for (auto& kv : c->bound_inputs) {  // zero-copy inputs: read now, as rknn_inputs_set would
      const rknn_tensor_attr& a = kv.second.attr;
      const Input& in = c->inputs[kv.first];
      rknn_input r{};
      r.index = kv.first;
      r.buf = kv.second.mem->virt_addr;
      r.pass_through = a.pass_through;
      r.type = a.type;
      r.fmt = a.fmt;
      r.size = a.pass_through ? static_cast<uint32_t>(in.info.bytes) : static_cast<uint32_t>(numel(in.info) * dtype_bytes(a.type));
      if (r.size > kv.second.mem->size)
        return fail(RKNN_ERR_INPUT_INVALID, "rknn_run: the memory bound to input " + std::to_string(kv.first) + " has " +
                                                std::to_string(kv.second.mem->size) + " bytes, " + std::to_string(r.size) + " needed");
      if (int st = set_input(c, r, "rknn_run")) return st;
    }
    if (ez_session_run(c->session) != EZ_OK) return fail(RKNN_ERR_FAIL, std::string("rknn_run: ") + ez_last_error());
    for (auto& kv : c->bound_outputs) {  // zero-copy outputs: written now (float32)
      const void* data = nullptr;
      ez_tensor_info info;
      if (ez_session_get_output(c->session, static_cast<int>(kv.first), &data, &info) != EZ_OK)
        return fail(RKNN_ERR_OUTPUT_INVALID, std::string("rknn_run: ") + ez_last_error());
      if (info.dtype != EZ_DTYPE_FLOAT32 || info.bytes > kv.second.mem->size)
        return fail(RKNN_ERR_OUTPUT_INVALID, std::string("rknn_run: output '") + info.name + "' (" + std::to_string(info.bytes) +
                                                 " bytes) does not fit the float32 memory bound to it (" + std::to_string(kv.second.mem->size) + ")");
      std::memcpy(kv.second.mem->virt_addr, data, info.bytes);
    }
    c->last_run_us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count();
    return RKNN_SUCC;
  });
}

rknn_tensor_mem* rknn_create_mem2(rknn_context context, uint64_t size, uint64_t alloc_flags) {
  Context* c = find(context);
  if (!c) {
    ctx_invalid(context);
    return nullptr;
  }
  if (size == 0 || size > UINT32_MAX) {
    fail(RKNN_ERR_PARAM_INVALID, "rknn_create_mem: size " + std::to_string(size) + " (1 .. 4 GiB)");
    return nullptr;
  }
  auto* m = new (std::nothrow) rknn_tensor_mem();
  void* buf = m ? std::calloc(1, static_cast<size_t>(size)) : nullptr;
  if (!buf) {
    delete m;
    fail(RKNN_ERR_MALLOC_FAIL, "rknn_create_mem: out of memory for " + std::to_string(size) + " bytes");
    return nullptr;
  }
  m->virt_addr = buf;
  m->fd = -1;
  m->size = static_cast<uint32_t>(size);
  m->flags = static_cast<uint32_t>(alloc_flags);
  std::lock_guard<std::mutex> lock(g_mutex);
  c->mems.insert(m);
  return m;
}

rknn_tensor_mem* rknn_create_mem(rknn_context context, uint32_t size) { return rknn_create_mem2(context, size, 0); }

int rknn_destroy_mem(rknn_context context, rknn_tensor_mem* mem) {
  Context* c = find(context);
  if (!c) return ctx_invalid(context);
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    if (!c->mems.erase(mem)) return fail(RKNN_ERR_PARAM_INVALID, "rknn_destroy_mem: the memory was not created on this context");
  }
  for (auto* bound : {&c->bound_inputs, &c->bound_outputs})
    for (auto it = bound->begin(); it != bound->end();) it = it->second.mem == mem ? bound->erase(it) : std::next(it);
  std::free(mem->virt_addr);
  delete mem;
  return RKNN_SUCC;
}

int rknn_set_io_mem(rknn_context context, rknn_tensor_mem* mem, rknn_tensor_attr* attr) {
  Context* c = find(context);
  if (!c) return ctx_invalid(context);
  if (!mem || !attr) return fail(RKNN_ERR_PARAM_INVALID, "rknn_set_io_mem: mem and attr must not be NULL");
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    if (!c->mems.count(mem)) return fail(RKNN_ERR_PARAM_INVALID, "rknn_set_io_mem: the memory was not created on this context");
  }
  const std::string name(attr->name, strnlen(attr->name, sizeof(attr->name)));
  for (uint32_t i = 0; i < c->inputs.size(); ++i)
    if (name == c->inputs[i].info.name) {
      c->bound_inputs[i] = {mem, *attr};
      return RKNN_SUCC;
    }
  for (uint32_t i = 0; i < c->outputs.size(); ++i)
    if (name == c->outputs[i].name) {
      if (attr->type != RKNN_TENSOR_FLOAT32)
        return fail(RKNN_ERR_PARAM_INVALID, "rknn_set_io_mem: output '" + name + "' is written as float32, not " + type_name(attr->type));
      c->bound_outputs[i] = {mem, *attr};
      return RKNN_SUCC;
    }
  return fail(RKNN_ERR_PARAM_INVALID, "rknn_set_io_mem: the model has no input or output named '" + name + "'");
}

int rknn_mem_sync(rknn_context context, rknn_tensor_mem* mem, rknn_mem_sync_mode mode) {
  (void)mem;
  (void)mode;
  return find(context) ? RKNN_SUCC : ctx_invalid(context);
}

int rknn_outputs_get(rknn_context context, uint32_t n_outputs, rknn_output outputs[], rknn_output_extend* extend) {
  (void)extend;
  return guarded([&] {
    Context* c = find(context);
    if (!c) return ctx_invalid(context);
    if (!outputs || n_outputs == 0) return fail(RKNN_ERR_PARAM_INVALID, "rknn_outputs_get: no outputs asked for");
    if (n_outputs > c->outputs.size())
      return fail(RKNN_ERR_PARAM_INVALID, "rknn_outputs_get: " + std::to_string(n_outputs) + " outputs for a model with " + std::to_string(c->outputs.size()));
    for (uint32_t k = 0; k < n_outputs; ++k) {
      rknn_output& o = outputs[k];
      if (o.index >= c->outputs.size())
        return fail(RKNN_ERR_PARAM_INVALID, "rknn_outputs_get: output index " + std::to_string(o.index) + ", the model has " + std::to_string(c->outputs.size()) + " output(s)");
      const void* data = nullptr;
      ez_tensor_info info;
      if (ez_session_get_output(c->session, static_cast<int>(o.index), &data, &info) != EZ_OK)
        return fail(RKNN_ERR_OUTPUT_INVALID, std::string("rknn_outputs_get: ") + ez_last_error());
      rknn_tensor_type type;
      if (!to_rknn_type(info.dtype, &type)) return fail(RKNN_ERR_OUTPUT_INVALID, std::string("output '") + info.name + "' has a type RKNN cannot name");
      const size_t n = numel(info);
      const bool convert = o.want_float && type != RKNN_TENSOR_FLOAT32;
      const size_t bytes = convert ? n * sizeof(float) : info.bytes;
      if (o.is_prealloc) {
        if (!o.buf || o.size < bytes)
          return fail(RKNN_ERR_OUTPUT_INVALID, "rknn_outputs_get: output " + std::to_string(o.index) + " '" + info.name + "' needs " +
                                                   std::to_string(bytes) + " bytes, the preallocated buffer has " + std::to_string(o.buf ? o.size : 0));
      } else {
        o.buf = std::malloc(bytes ? bytes : 1);
        if (!o.buf) return fail(RKNN_ERR_MALLOC_FAIL, "rknn_outputs_get: out of memory");
        c->handed_out.insert(o.buf);
      }
      o.size = static_cast<uint32_t>(bytes);
      if (!convert) {
        std::memcpy(o.buf, data, bytes);
        continue;
      }
      to_float(data, type, n, static_cast<float*>(o.buf));
    }
    return RKNN_SUCC;
  });
}

int rknn_outputs_release(rknn_context context, uint32_t n_outputs, rknn_output outputs[]) {
  Context* c = find(context);
  if (!c) return ctx_invalid(context);
  if (!outputs && n_outputs > 0) return fail(RKNN_ERR_PARAM_INVALID, "rknn_outputs_release: outputs is NULL");
  for (uint32_t k = 0; k < n_outputs; ++k) {
    rknn_output& o = outputs[k];
    if (o.is_prealloc || !o.buf) continue;
    if (c->handed_out.erase(o.buf)) std::free(o.buf);
    o.buf = nullptr;
  }
  return RKNN_SUCC;
}

const char* rknn_last_error(void) { return ez::rknn::last_error(); }

}  // extern "C"
