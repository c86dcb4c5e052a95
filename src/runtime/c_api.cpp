// The C API over Session: statuses out, no exceptions across the boundary.
#include "edgezoo/edgezoo.h"

#include <cstring>
#include <new>
#include <string>

#include "runtime/session.h"

struct ez_session {
  std::unique_ptr<ez::Session> session;
};

namespace {

thread_local std::string g_last_error;

ez_status to_c(const ez::Status& s) {
  g_last_error = s.ok() ? "" : s.to_string();
  switch (s.code()) {
    case ez::StatusCode::kOk: return EZ_OK;
    case ez::StatusCode::kInvalidArgument: return EZ_ERROR_INVALID_ARGUMENT;
    case ez::StatusCode::kNotFound: return EZ_ERROR_NOT_FOUND;
    case ez::StatusCode::kInvalidModel: return EZ_ERROR_INVALID_MODEL;
    case ez::StatusCode::kUnsupported: case ez::StatusCode::kNeedsValue: return EZ_ERROR_UNSUPPORTED;
    case ez::StatusCode::kIoError: return EZ_ERROR_IO;
    case ez::StatusCode::kOutOfMemory: return EZ_ERROR_OUT_OF_MEMORY;
    case ez::StatusCode::kInternal: return EZ_ERROR_INTERNAL;
  }
  return EZ_ERROR_INTERNAL;
}

ez_status fail(ez_status code, const std::string& message) {
  g_last_error = message;
  return code;
}

// Runs f, turning a stray C++ exception (e.g. bad_alloc) into a status.
template <typename F>
ez_status guarded(F&& f) {
  try {
    return f();
  } catch (const std::bad_alloc&) {
    return fail(EZ_ERROR_OUT_OF_MEMORY, "out of memory");
  } catch (const std::exception& e) {
    return fail(EZ_ERROR_INTERNAL, std::string("internal error: ") + e.what());
  } catch (...) {
    return fail(EZ_ERROR_INTERNAL, "internal error");
  }
}

ez::Result<ez::SessionOptions> convert_options(const ez_options* o) {
  ez::SessionOptions opts;
  if (!o) return opts;
  if (o->num_threads < 0) return ez::invalid_argument("num_threads must be >= 0");
  opts.num_threads = o->num_threads;
  opts.kernels = o->reference_kernels ? ez::ops::KernelChoice::kReference : ez::ops::KernelChoice::kFast;
  opts.profile = o->profile != 0;
  for (int i = 0; i < o->num_input_shapes; ++i) {
    if (!o->input_shape_names || !o->input_shape_dims || !o->input_shape_ranks || !o->input_shape_names[i])
      return ez::invalid_argument("input shape " + std::to_string(i) + " is incomplete");
    const int rank = o->input_shape_ranks[i];
    if (rank < 0 || rank > EZ_MAX_DIMS) return ez::invalid_argument("input shape rank out of range");
    opts.input_shapes[o->input_shape_names[i]] = ez::Shape(o->input_shape_dims[i], o->input_shape_dims[i] + rank);
  }
  return opts;
}

ez_status fill_info(const ez::IOInfo& io, ez_tensor_info* info) {
  if (!info) return fail(EZ_ERROR_INVALID_ARGUMENT, "info is NULL");
  if (io.desc.shape.size() > EZ_MAX_DIMS) return fail(EZ_ERROR_UNSUPPORTED, "tensor '" + io.name + "' has more than 8 dims");
  info->name = io.name.c_str();
  info->dtype = static_cast<ez_dtype>(io.desc.dtype);
  info->rank = static_cast<int>(io.desc.shape.size());
  for (int d = 0; d < info->rank; ++d) info->dims[d] = io.desc.shape[d];
  info->bytes = io.desc.nbytes();
  return EZ_OK;
}

ez_status finish_create(ez::Result<std::unique_ptr<ez::Session>> r, ez_session** out) {
  if (!r.ok()) return to_c(r.status());
  *out = new ez_session{std::move(r).value()};
  return to_c(ez::Status::OK());
}

}  // namespace

extern "C" {

void ez_options_init(ez_options* options) {
  if (options) std::memset(options, 0, sizeof(*options));
}

ez_status ez_session_create(const char* path, const ez_options* options, ez_session** out) {
  return guarded([&] {
    if (!path || !out) return fail(EZ_ERROR_INVALID_ARGUMENT, "path and out must not be NULL");
    *out = nullptr;
    auto opts = convert_options(options);
    if (!opts.ok()) return to_c(opts.status());
    return finish_create(ez::Session::load_file(path, *opts), out);
  });
}

ez_status ez_session_create_from_memory(const void* data, size_t size, const char* external_data_dir,
                                        const ez_options* options, ez_session** out) {
  return guarded([&] {
    if (!data || !out) return fail(EZ_ERROR_INVALID_ARGUMENT, "data and out must not be NULL");
    *out = nullptr;
    auto opts = convert_options(options);
    if (!opts.ok()) return to_c(opts.status());
    return finish_create(ez::Session::load_bytes(data, size, *opts, external_data_dir ? external_data_dir : ""), out);
  });
}

void ez_session_destroy(ez_session* session) { delete session; }

ez_status ez_session_input_count(const ez_session* s, int* count) {
  if (!s || !count) return fail(EZ_ERROR_INVALID_ARGUMENT, "session and count must not be NULL");
  *count = static_cast<int>(s->session->inputs().size());
  return EZ_OK;
}

ez_status ez_session_output_count(const ez_session* s, int* count) {
  if (!s || !count) return fail(EZ_ERROR_INVALID_ARGUMENT, "session and count must not be NULL");
  *count = static_cast<int>(s->session->outputs().size());
  return EZ_OK;
}

ez_status ez_session_input_info(const ez_session* s, int index, ez_tensor_info* info) {
  if (!s) return fail(EZ_ERROR_INVALID_ARGUMENT, "session is NULL");
  if (index < 0 || index >= static_cast<int>(s->session->inputs().size()))
    return fail(EZ_ERROR_INVALID_ARGUMENT, "input index " + std::to_string(index) + " out of range");
  return fill_info(s->session->inputs()[index], info);
}

ez_status ez_session_output_info(const ez_session* s, int index, ez_tensor_info* info) {
  if (!s) return fail(EZ_ERROR_INVALID_ARGUMENT, "session is NULL");
  if (index < 0 || index >= static_cast<int>(s->session->outputs().size()))
    return fail(EZ_ERROR_INVALID_ARGUMENT, "output index " + std::to_string(index) + " out of range");
  ez::IOInfo io = s->session->outputs()[index];
  io.desc = s->session->output(index).desc();  // the actual shape after a run (data-dependent outputs)
  if (io.desc.dtype == ez::DType::kUndefined) io = s->session->outputs()[index];
  const ez_status st = fill_info(io, info);
  if (st == EZ_OK) info->name = s->session->outputs()[index].name.c_str();  // not the local copy's
  return st;
}

ez_status ez_session_set_input(ez_session* s, int index, const void* data, size_t bytes) {
  return guarded([&] {
    if (!s || !data) return fail(EZ_ERROR_INVALID_ARGUMENT, "session and data must not be NULL");
    if (index < 0 || index >= static_cast<int>(s->session->inputs().size()))
      return fail(EZ_ERROR_INVALID_ARGUMENT, "input index " + std::to_string(index) + " out of range");
    const ez::IOInfo& io = s->session->inputs()[index];
    if (bytes != io.desc.nbytes())
      return fail(EZ_ERROR_INVALID_ARGUMENT, "input '" + io.name + "' expects " + std::to_string(io.desc.nbytes()) +
                                                 " bytes (" + io.desc.to_string() + "), got " + std::to_string(bytes));
    return to_c(s->session->set_input(index, ez::Tensor::borrow(io.desc.dtype, io.desc.shape, const_cast<void*>(data))));
  });
}

ez_status ez_session_run(ez_session* s) {
  return guarded([&] {
    if (!s) return fail(EZ_ERROR_INVALID_ARGUMENT, "session is NULL");
    return to_c(s->session->run());
  });
}

ez_status ez_session_get_output(const ez_session* s, int index, const void** data, ez_tensor_info* info) {
  if (!s || !data) return fail(EZ_ERROR_INVALID_ARGUMENT, "session and data must not be NULL");
  if (index < 0 || index >= static_cast<int>(s->session->outputs().size()))
    return fail(EZ_ERROR_INVALID_ARGUMENT, "output index " + std::to_string(index) + " out of range");
  *data = s->session->output(index).raw();
  return info ? ez_session_output_info(s, index, info) : EZ_OK;
}

ez_status ez_session_metadata(const ez_session* s, const char* key, const char** value) {
  if (!s || !key || !value) return fail(EZ_ERROR_INVALID_ARGUMENT, "session, key and value must not be NULL");
  const auto& md = s->session->graph().metadata;
  auto it = md.find(key);
  if (it == md.end()) return fail(EZ_ERROR_NOT_FOUND, std::string("the model has no metadata '") + key + "'");
  *value = it->second.c_str();
  return EZ_OK;
}

ez_status ez_session_peak_memory(const ez_session* s, size_t* bytes) {
  if (!s || !bytes) return fail(EZ_ERROR_INVALID_ARGUMENT, "session and bytes must not be NULL");
  *bytes = s->session->stats().arena_bytes;
  return EZ_OK;
}

const char* ez_last_error(void) { return g_last_error.c_str(); }
const char* ez_version(void) { return "0.1.0"; }

}  // extern "C"
