/* edgezoo C API: load an ONNX model, run it on the CPU, read the outputs.
 *
 * Every function returns an ez_status (EZ_OK on success). On failure, ez_last_error() returns a
 * one-line message naming what was wrong (file, node, tensor, expected vs actual); the message is
 * per thread and valid until the next edgezoo call on that thread. No function aborts the process.
 *
 *   ez_options opts; ez_options_init(&opts); opts.num_threads = 2;
 *   ez_session* s; if (ez_session_create("yolox_nano.onnx", &opts, &s) != EZ_OK) puts(ez_last_error());
 *   ez_session_set_input(s, 0, pixels, bytes); ez_session_run(s);
 *   const void* out; size_t n; ez_session_get_output(s, 0, &out, &n); ez_session_destroy(s);
 */
#ifndef EDGEZOO_EDGEZOO_H_
#define EDGEZOO_EDGEZOO_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  EZ_OK = 0,
  EZ_ERROR_INVALID_ARGUMENT = 1,
  EZ_ERROR_NOT_FOUND = 2,
  EZ_ERROR_INVALID_MODEL = 3,
  EZ_ERROR_UNSUPPORTED = 4,
  EZ_ERROR_IO = 5,
  EZ_ERROR_OUT_OF_MEMORY = 6,
  EZ_ERROR_INTERNAL = 7
} ez_status;

/* Element types; the values are ONNX's TensorProto data types. */
typedef enum {
  EZ_DTYPE_FLOAT32 = 1, EZ_DTYPE_UINT8 = 2, EZ_DTYPE_INT8 = 3, EZ_DTYPE_UINT16 = 4, EZ_DTYPE_INT16 = 5,
  EZ_DTYPE_INT32 = 6, EZ_DTYPE_INT64 = 7, EZ_DTYPE_BOOL = 9, EZ_DTYPE_FLOAT16 = 10, EZ_DTYPE_FLOAT64 = 11,
  EZ_DTYPE_UINT32 = 12, EZ_DTYPE_UINT64 = 13, EZ_DTYPE_BFLOAT16 = 16
} ez_dtype;

#define EZ_MAX_DIMS 8

typedef struct {
  int num_threads;         /* 0 = every core the process may use */
  int num_input_shapes;    /* entries used in the two arrays below */
  const char* const* input_shape_names;    /* inputs whose dynamic dims are resolved here */
  const int64_t* const* input_shape_dims;  /* dims for each named input */
  const int* input_shape_ranks;
  int reference_kernels;   /* 1 = plain reference kernels only (debugging); 0 = fast paths */
  int profile;             /* 1 = time each operator (ez_session_profile_json) */
} ez_options;

typedef struct {
  const char* name;
  ez_dtype dtype;
  int rank;
  int64_t dims[EZ_MAX_DIMS];
  size_t bytes;
} ez_tensor_info;

typedef struct ez_session ez_session;

/* Fills options with defaults. */
void ez_options_init(ez_options* options);

/* Creates a session from an ONNX file (external data is read from the file's folder). */
ez_status ez_session_create(const char* path, const ez_options* options, ez_session** out);
/* Creates a session from an ONNX model in memory; external data is refused unless
 * external_data_dir names the folder it lives in (may be NULL). The buffer may be freed after. */
ez_status ez_session_create_from_memory(const void* data, size_t size, const char* external_data_dir,
                                        const ez_options* options, ez_session** out);
void ez_session_destroy(ez_session* session);

ez_status ez_session_input_count(const ez_session* session, int* count);
ez_status ez_session_output_count(const ez_session* session, int* count);
/* info->name stays valid for the session's lifetime. */
ez_status ez_session_input_info(const ez_session* session, int index, ez_tensor_info* info);
ez_status ez_session_output_info(const ez_session* session, int index, ez_tensor_info* info);

/* Copies `bytes` bytes into input `index`; bytes must equal the input's size. */
ez_status ez_session_set_input(ez_session* session, int index, const void* data, size_t bytes);
ez_status ez_session_run(ez_session* session);
/* Points *data at output `index` (valid until the next run or destroy); info may be NULL. */
ez_status ez_session_get_output(const ez_session* session, int index, const void** data, ez_tensor_info* info);

/* The model's metadata_props entry `key` (*value stays valid for the session's lifetime);
 * EZ_ERROR_NOT_FOUND when the model has none. */
ez_status ez_session_metadata(const ez_session* session, const char* key, const char** value);

/* Peak activation memory of the planned session, in bytes. */
ez_status ez_session_peak_memory(const ez_session* session, size_t* bytes);

/* The last error message on this thread ("" if none). */
const char* ez_last_error(void);
const char* ez_version(void);

#ifdef __cplusplus
}
#endif

#endif /* EDGEZOO_EDGEZOO_H_ */
