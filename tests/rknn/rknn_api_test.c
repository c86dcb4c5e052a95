/* Board code's view of the RKNN-compatible API: C, only rknn_api.h, linked with -lrknnrt, in the
 * order the RKNN Model Zoo demos call it (init, query, inputs_set with uint8 NHWC pixels, run,
 * outputs_get with want_float, release, destroy), plus preallocated outputs, a model from memory,
 * rknn_dup_context and every error path the API names.
 *
 *   rknn_api_test MODEL PIXELS.u8 OUT.f32
 * PIXELS.u8: the model input's H x W x C uint8 pixels (NHWC). OUT.f32: output 0 as float32.
 * Exit 0 when every check passed; each check prints a line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rknn_api.h"

static int failures = 0;

static void check(int ok, const char* what) {
  printf("%s %s\n", ok ? "ok  " : "FAIL", what);
  if (!ok) ++failures;
}

static void* read_file(const char* path, long* size) {
  FILE* f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  *size = ftell(f);
  fseek(f, 0, SEEK_SET);
  void* data = malloc((size_t)*size);
  if (data && fread(data, 1, (size_t)*size, f) != (size_t)*size) {
    free(data);
    data = NULL;
  }
  fclose(f);
  return data;
}

/* Sets the pixels, runs, and returns output 0 as float (malloc'd, *bytes set); NULL on error. */
static float* run_once(rknn_context ctx, void* pixels, uint32_t pixel_bytes, uint32_t n_output, uint32_t* bytes) {
  rknn_input in;
  memset(&in, 0, sizeof(in));
  in.index = 0;
  in.type = RKNN_TENSOR_UINT8;
  in.fmt = RKNN_TENSOR_NHWC;
  in.size = pixel_bytes;
  in.buf = pixels;
  if (rknn_inputs_set(ctx, 1, &in) != RKNN_SUCC) return NULL;
  if (rknn_run(ctx, NULL) != RKNN_SUCC) return NULL;
  rknn_output* outs = calloc(n_output, sizeof(rknn_output));
  for (uint32_t i = 0; i < n_output; ++i) {
    outs[i].index = i;
    outs[i].want_float = 1;
  }
  float* copy = NULL;
  if (rknn_outputs_get(ctx, n_output, outs, NULL) == RKNN_SUCC) {
    copy = malloc(outs[0].size);
    memcpy(copy, outs[0].buf, outs[0].size);
    *bytes = outs[0].size;
    rknn_outputs_release(ctx, n_output, outs);
  }
  free(outs);
  return copy;
}

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s MODEL PIXELS.u8 OUT.f32\n", argv[0]);
    return 2;
  }
  long pixel_size = 0, model_size = 0;
  void* pixels = read_file(argv[2], &pixel_size);
  void* model = read_file(argv[1], &model_size);
  if (!pixels || !model) {
    fprintf(stderr, "cannot read %s or %s\n", argv[1], argv[2]);
    return 2;
  }

  rknn_context ctx = 0;
  check(rknn_init(&ctx, argv[1], 0, 0, NULL) == RKNN_SUCC && ctx != 0, "rknn_init from a path (size 0)");
  rknn_sdk_version ver;
  check(rknn_query(ctx, RKNN_QUERY_SDK_VERSION, &ver, sizeof(ver)) == RKNN_SUCC && strlen(ver.api_version) > 0,
        "RKNN_QUERY_SDK_VERSION");
  printf("     api %s / driver %s\n", ver.api_version, ver.drv_version);
  rknn_input_output_num io;
  check(rknn_query(ctx, RKNN_QUERY_IN_OUT_NUM, &io, sizeof(io)) == RKNN_SUCC && io.n_input == 1 && io.n_output >= 1,
        "RKNN_QUERY_IN_OUT_NUM: one input, outputs");
  rknn_tensor_attr in_attr;
  memset(&in_attr, 0, sizeof(in_attr));
  in_attr.index = 0;
  check(rknn_query(ctx, RKNN_QUERY_INPUT_ATTR, &in_attr, sizeof(in_attr)) == RKNN_SUCC, "RKNN_QUERY_INPUT_ATTR");
  /* As the demos read it: NCHW or NHWC decides where height, width and channels are. */
  uint32_t c = 0, h = 0, w = 0;
  if (in_attr.fmt == RKNN_TENSOR_NCHW) {
    c = in_attr.dims[1];
    h = in_attr.dims[2];
    w = in_attr.dims[3];
  } else {
    h = in_attr.dims[1];
    w = in_attr.dims[2];
    c = in_attr.dims[3];
  }
  printf("     input '%s' n_dims %u fmt %d type %d: %u x %u x %u, size %u\n", in_attr.name, in_attr.n_dims, in_attr.fmt, in_attr.type,
         h, w, c, in_attr.size);
  check(in_attr.n_dims == 4 && in_attr.fmt == RKNN_TENSOR_NCHW && in_attr.type == RKNN_TENSOR_FLOAT32 &&
            in_attr.qnt_type == RKNN_TENSOR_QNT_NONE && in_attr.n_elems == c * h * w && in_attr.size == 4 * c * h * w,
        "input attributes: 4-D NCHW float32, size and element count consistent");
  check((long)(c * h * w) == pixel_size, "the pixel file holds H x W x C bytes");
  uint32_t out0_elems = 0;
  for (uint32_t i = 0; i < io.n_output; ++i) {
    rknn_tensor_attr a;
    memset(&a, 0, sizeof(a));
    a.index = i;
    check(rknn_query(ctx, RKNN_QUERY_OUTPUT_ATTR, &a, sizeof(a)) == RKNN_SUCC && a.type == RKNN_TENSOR_FLOAT32 &&
              a.qnt_type == RKNN_TENSOR_QNT_NONE && a.size == 4 * a.n_elems,
          "RKNN_QUERY_OUTPUT_ATTR: float32, not quantized");
    if (i == 0) out0_elems = a.n_elems;
    printf("     output %u '%s' n_dims %u n_elems %u\n", i, a.name, a.n_dims, a.n_elems);
  }
  rknn_custom_string custom;
  check(rknn_query(ctx, RKNN_QUERY_CUSTOM_STRING, &custom, sizeof(custom)) == RKNN_SUCC, "RKNN_QUERY_CUSTOM_STRING");
  printf("     custom string: '%s'\n", custom.string);
  check(rknn_set_core_mask(ctx, RKNN_NPU_CORE_0_1_2) == RKNN_SUCC, "rknn_set_core_mask is accepted");

  uint32_t bytes = 0;
  float* first = run_once(ctx, pixels, (uint32_t)pixel_size, io.n_output, &bytes);
  check(first != NULL && bytes == 4 * out0_elems, "inputs_set (uint8 NHWC), run, outputs_get (want_float) and release");
  if (!first) return 1;
  FILE* f = fopen(argv[3], "wb");
  check(f && fwrite(first, 1, bytes, f) == bytes, "output 0 written");
  if (f) fclose(f);
  rknn_perf_run perf;
  check(rknn_query(ctx, RKNN_QUERY_PERF_RUN, &perf, sizeof(perf)) == RKNN_SUCC && perf.run_duration > 0, "RKNN_QUERY_PERF_RUN");
  printf("     run %lld us\n", (long long)perf.run_duration);
  rknn_mem_size mem;
  check(rknn_query(ctx, RKNN_QUERY_MEM_SIZE, &mem, sizeof(mem)) == RKNN_SUCC && mem.total_internal_size > 0, "RKNN_QUERY_MEM_SIZE");

  /* Preallocated outputs: the same values in the caller's buffers. */
  {
    rknn_output* outs = calloc(io.n_output, sizeof(rknn_output));
    for (uint32_t i = 0; i < io.n_output; ++i) {
      rknn_tensor_attr a;
      memset(&a, 0, sizeof(a));
      a.index = i;
      rknn_query(ctx, RKNN_QUERY_OUTPUT_ATTR, &a, sizeof(a));
      outs[i].index = i;
      outs[i].want_float = 1;
      outs[i].is_prealloc = 1;
      outs[i].size = 4 * a.n_elems;
      outs[i].buf = malloc(outs[i].size);
    }
    check(rknn_outputs_get(ctx, io.n_output, outs, NULL) == RKNN_SUCC && memcmp(outs[0].buf, first, bytes) == 0,
          "preallocated outputs hold the same values");
    outs[0].size = 8;  /* too small */
    check(rknn_outputs_get(ctx, 1, outs, NULL) == RKNN_ERR_OUTPUT_INVALID && strlen(rknn_last_error()) > 0,
          "a preallocated buffer too small: RKNN_ERR_OUTPUT_INVALID, with a message");
    check(rknn_outputs_release(ctx, io.n_output, outs) == RKNN_SUCC, "releasing preallocated outputs leaves them alone");
    for (uint32_t i = 0; i < io.n_output; ++i) free(outs[i].buf);
    free(outs);
  }

  /* Zero-copy, as the RV1106 demos do it: uint8 NHWC pixels in an input memory, the outputs in
   * output memories, sized by the native attributes' size_with_stride. */
  {
    rknn_tensor_attr ia;
    memset(&ia, 0, sizeof(ia));
    ia.index = 0;
    rknn_query(ctx, RKNN_QUERY_NATIVE_INPUT_ATTR, &ia, sizeof(ia));
    ia.type = RKNN_TENSOR_UINT8;
    ia.fmt = RKNN_TENSOR_NHWC;
    rknn_tensor_mem* in_mem = rknn_create_mem(ctx, ia.size_with_stride);
    check(in_mem && in_mem->virt_addr && in_mem->size == ia.size_with_stride, "rknn_create_mem");
    memcpy(in_mem->virt_addr, pixels, (size_t)pixel_size);
    check(rknn_set_io_mem(ctx, in_mem, &ia) == RKNN_SUCC, "rknn_set_io_mem on the input (UINT8 NHWC)");
    rknn_tensor_mem** out_mems = calloc(io.n_output, sizeof(rknn_tensor_mem*));
    int bound = 1;
    for (uint32_t i = 0; i < io.n_output; ++i) {
      rknn_tensor_attr oa;
      memset(&oa, 0, sizeof(oa));
      oa.index = i;
      rknn_query(ctx, RKNN_QUERY_NATIVE_OUTPUT_ATTR, &oa, sizeof(oa));
      out_mems[i] = rknn_create_mem(ctx, oa.size_with_stride);
      bound &= out_mems[i] && rknn_set_io_mem(ctx, out_mems[i], &oa) == RKNN_SUCC;
    }
    check(bound, "rknn_set_io_mem on every output");
    check(rknn_run(ctx, NULL) == RKNN_SUCC && memcmp(out_mems[0]->virt_addr, first, bytes) == 0,
          "zero-copy run: output memory holds the same values");
    rknn_tensor_attr nobody;
    memset(&nobody, 0, sizeof(nobody));
    strcpy(nobody.name, "no_such_tensor");
    check(rknn_set_io_mem(ctx, in_mem, &nobody) == RKNN_ERR_PARAM_INVALID, "rknn_set_io_mem on an unknown tensor: RKNN_ERR_PARAM_INVALID");
    check(rknn_mem_sync(ctx, in_mem, RKNN_MEMORY_SYNC_TO_DEVICE) == RKNN_SUCC, "rknn_mem_sync");
    check(rknn_destroy_mem(ctx, in_mem) == RKNN_SUCC && rknn_destroy_mem(ctx, in_mem) == RKNN_ERR_PARAM_INVALID,
          "rknn_destroy_mem, twice: RKNN_ERR_PARAM_INVALID");
    for (uint32_t i = 1; i < io.n_output; ++i) rknn_destroy_mem(ctx, out_mems[i]);
    /* out_mems[0] stays bound: rknn_destroy frees it (the leak check would see otherwise). */
    free(out_mems);
  }

  /* The model from memory, and a duplicated context: the same output. */
  rknn_context mem_ctx = 0, dup_ctx = 0;
  check(rknn_init(&mem_ctx, model, (uint32_t)model_size, 0, NULL) == RKNN_SUCC, "rknn_init from memory");
  float* again = run_once(mem_ctx, pixels, (uint32_t)pixel_size, io.n_output, &bytes);
  check(again && memcmp(again, first, bytes) == 0, "the model from memory gives the same output");
  free(again);
  check(rknn_dup_context(&mem_ctx, &dup_ctx) == RKNN_SUCC && dup_ctx != mem_ctx, "rknn_dup_context");
  again = run_once(dup_ctx, pixels, (uint32_t)pixel_size, io.n_output, &bytes);
  check(again && memcmp(again, first, bytes) == 0, "the duplicated context gives the same output");
  free(again);
  check(rknn_destroy(dup_ctx) == RKNN_SUCC && rknn_destroy(mem_ctx) == RKNN_SUCC, "rknn_destroy");

  /* Errors: each a code, no crash. */
  rknn_context bad = 0;
  check(rknn_init(&bad, "/nonexistent/model.onnx", 0, 0, NULL) == RKNN_ERR_MODEL_INVALID && bad == 0, "missing model file: RKNN_ERR_MODEL_INVALID");
  char garbage[64];
  memset(garbage, 0x5a, sizeof(garbage));
  check(rknn_init(&bad, garbage, sizeof(garbage), 0, NULL) == RKNN_ERR_MODEL_INVALID, "garbage model bytes: RKNN_ERR_MODEL_INVALID");
  check(rknn_init(&bad, model, (uint32_t)(model_size / 2), 0, NULL) == RKNN_ERR_MODEL_INVALID, "truncated model: RKNN_ERR_MODEL_INVALID");
  check(rknn_init(NULL, model, (uint32_t)model_size, 0, NULL) == RKNN_ERR_PARAM_INVALID, "NULL context: RKNN_ERR_PARAM_INVALID");
  check(rknn_query(12345, RKNN_QUERY_IN_OUT_NUM, &io, sizeof(io)) == RKNN_ERR_CTX_INVALID, "unknown context: RKNN_ERR_CTX_INVALID");
  check(rknn_query(ctx, RKNN_QUERY_IN_OUT_NUM, &io, 4) == RKNN_ERR_PARAM_INVALID, "query size too small: RKNN_ERR_PARAM_INVALID");
  in_attr.index = 7;
  check(rknn_query(ctx, RKNN_QUERY_INPUT_ATTR, &in_attr, sizeof(in_attr)) == RKNN_ERR_PARAM_INVALID, "input index out of range: RKNN_ERR_PARAM_INVALID");
  rknn_perf_detail detail;
  check(rknn_query(ctx, RKNN_QUERY_PERF_DETAIL, &detail, sizeof(detail)) == RKNN_ERR_PARAM_INVALID, "unsupported query: RKNN_ERR_PARAM_INVALID");
  rknn_input in;
  memset(&in, 0, sizeof(in));
  in.type = RKNN_TENSOR_UINT8;
  in.fmt = RKNN_TENSOR_NHWC;
  in.buf = pixels;
  in.size = (uint32_t)pixel_size - 1;
  check(rknn_inputs_set(ctx, 1, &in) == RKNN_ERR_INPUT_INVALID, "input one byte short: RKNN_ERR_INPUT_INVALID");
  in.size = (uint32_t)pixel_size;
  in.type = RKNN_TENSOR_INT64;
  check(rknn_inputs_set(ctx, 1, &in) == RKNN_ERR_INPUT_INVALID, "int64 pixels: RKNN_ERR_INPUT_INVALID");
  in.type = RKNN_TENSOR_UINT8;
  in.index = 3;
  check(rknn_inputs_set(ctx, 1, &in) == RKNN_ERR_PARAM_INVALID, "input index out of range: RKNN_ERR_PARAM_INVALID");
  in.index = 0;
  in.buf = NULL;
  check(rknn_inputs_set(ctx, 1, &in) == RKNN_ERR_PARAM_INVALID, "NULL input buffer: RKNN_ERR_PARAM_INVALID");
  check(rknn_destroy(ctx) == RKNN_SUCC, "rknn_destroy");
  check(rknn_destroy(ctx) == RKNN_ERR_CTX_INVALID, "destroying twice: RKNN_ERR_CTX_INVALID");
  check(rknn_run(ctx, NULL) == RKNN_ERR_CTX_INVALID, "running a destroyed context: RKNN_ERR_CTX_INVALID");

  free(first);
  free(model);
  free(pixels);
  printf("rknn_api_test: %d failed\n", failures);
  return failures ? 1 : 0;
}
