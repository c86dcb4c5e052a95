/* edgezoo's RKNN-compatible C API: the common subset of Rockchip's RKNPU2 runtime API
 * (librknnrt, rknn_api.h) over edgezoo's CPU runtime, so that board code written for it compiles
 * and runs unchanged on any Linux machine: `#include "rknn_api.h"`, link `-lrknnrt`.
 *
 * The names, types, struct layouts and constant values are those of the RKNPU2 API; this header
 * is edgezoo's own declaration of them. What differs:
 *   - The model is an ONNX model (float, or QDQ int8 as `edgezoo quantize` writes it), not an
 *     .rknn file: rknn_init takes its bytes, or its path when size is 0.
 *   - The normalisation that RKNN-Toolkit2 bakes into an .rknn model (config(mean_values,
 *     std_values)) travels in the ONNX model's metadata: `rknn.mean_values` and
 *     `rknn.std_values`, per-channel values in pixel units ("123.675,116.28,103.53"; inputs
 *     separated by ';'), written by `edgezoo convert` and `edgezoo quantize`. rknn_inputs_set
 *     applies (x - mean) / std to every input that has them (pass_through = 0), whatever the
 *     buffer's type, as librknnrt does; without them the values are only converted.
 *   - Tensors are reported as the ONNX model has them: a 4-D input is NCHW float32, outputs are
 *     float32 (a QDQ model dequantizes its outputs), qnt_type RKNN_TENSOR_QNT_NONE. Board code
 *     that reads `fmt` and `qnt_type` (as the RKNN Model Zoo demos do) takes the float path.
 *   - Zero-copy memory (rknn_create_mem, rknn_set_io_mem) is plain host memory: a bound input is
 *     read at rknn_run as rknn_inputs_set would read it (the attr's type and fmt), a bound output
 *     written after it as float32. rknn_mem_sync does nothing (there is no device).
 *   - rknn_wait, fd/physical-address memory, the matmul and custom-op APIs are not provided: code
 *     using them fails to compile or link, it does not misbehave.
 *   - rknn_set_core_mask accepts every mask and changes nothing (the CPU threads are edgezoo's).
 *
 * Every function returns RKNN_SUCC (0) or a negative RKNN_ERR_* code; on error a line
 * "E RKNN: <what was wrong>" goes to stderr (RKNN_LOG_LEVEL=0 silences it) and
 * rknn_last_error() returns the same text.
 */
#ifndef EDGEZOO_RKNN_API_H_
#define EDGEZOO_RKNN_API_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A context handle (an opaque number; 0 is never a valid one). */
#if defined(__arm__) || defined(__i386__)
typedef uint32_t rknn_context;
#else
typedef uint64_t rknn_context;
#endif

/* rknn_init flags: accepted and ignored (priorities, fences and memory placement have no meaning
 * on the CPU). */
#define RKNN_FLAG_PRIOR_HIGH 0x00000000
#define RKNN_FLAG_PRIOR_MEDIUM 0x00000001
#define RKNN_FLAG_PRIOR_LOW 0x00000002
#define RKNN_FLAG_ASYNC_MASK 0x00000004
#define RKNN_FLAG_COLLECT_PERF_MASK 0x00000008
#define RKNN_FLAG_MEM_ALLOC_OUTSIDE 0x00000010
#define RKNN_FLAG_SHARE_WEIGHT_MEM 0x00000020
#define RKNN_FLAG_FENCE_IN_OUTSIDE 0x00000040
#define RKNN_FLAG_FENCE_OUT_OUTSIDE 0x00000080
#define RKNN_FLAG_COLLECT_MODEL_INFO_ONLY 0x00000100
#define RKNN_FLAG_INTERNAL_ALLOC_OUTSIDE 0x00000200
#define RKNN_FLAG_EXECUTE_FALLBACK_PRIOR_DEVICE_GPU 0x00000400
#define RKNN_FLAG_ENABLE_SRAM 0x00000800
#define RKNN_FLAG_SHARE_SRAM 0x00001000
#define RKNN_FLAG_DISABLE_PROC_HIGH_PRIORITY 0x00002000
#define RKNN_FLAG_DISABLE_FLUSH_INPUT_MEM_CACHE 0x00004000
#define RKNN_FLAG_DISABLE_FLUSH_OUTPUT_MEM_CACHE 0x00008000
#define RKNN_FLAG_MODEL_BUFFER_ZERO_COPY 0x00010000
#define RKNN_MEM_FLAG_ALLOC_NO_CONTEXT 0x00020000

/* Return codes. */
#define RKNN_SUCC 0
#define RKNN_ERR_FAIL -1
#define RKNN_ERR_TIMEOUT -2
#define RKNN_ERR_DEVICE_UNAVAILABLE -3
#define RKNN_ERR_MALLOC_FAIL -4
#define RKNN_ERR_PARAM_INVALID -5
#define RKNN_ERR_MODEL_INVALID -6
#define RKNN_ERR_CTX_INVALID -7
#define RKNN_ERR_INPUT_INVALID -8
#define RKNN_ERR_OUTPUT_INVALID -9
#define RKNN_ERR_DEVICE_UNMATCH -10
#define RKNN_ERR_INCOMPATILE_PRE_COMPILE_MODEL -11
#define RKNN_ERR_INCOMPATILE_OPTIMIZATION_LEVEL_VERSION -12
#define RKNN_ERR_TARGET_PLATFORM_UNMATCH -13

#define RKNN_MAX_DIMS 16
#define RKNN_MAX_NUM_CHANNEL 15
#define RKNN_MAX_NAME_LEN 256
#define RKNN_MAX_DYNAMIC_SHAPE_NUM 512

typedef enum _rknn_query_cmd {
  RKNN_QUERY_IN_OUT_NUM = 0,       /* rknn_input_output_num */
  RKNN_QUERY_INPUT_ATTR = 1,       /* rknn_tensor_attr, .index set by the caller */
  RKNN_QUERY_OUTPUT_ATTR = 2,      /* rknn_tensor_attr, .index set by the caller */
  RKNN_QUERY_PERF_DETAIL = 3,      /* not supported (`edgezoo bench` prints the per-operator profile) */
  RKNN_QUERY_PERF_RUN = 4,         /* rknn_perf_run: the last rknn_run, microseconds */
  RKNN_QUERY_SDK_VERSION = 5,      /* rknn_sdk_version */
  RKNN_QUERY_MEM_SIZE = 6,         /* rknn_mem_size */
  RKNN_QUERY_CUSTOM_STRING = 7,    /* rknn_custom_string: the metadata `rknn.custom_string` */
  RKNN_QUERY_NATIVE_INPUT_ATTR = 8,   /* the same as RKNN_QUERY_INPUT_ATTR here */
  RKNN_QUERY_NATIVE_OUTPUT_ATTR = 9,  /* the same as RKNN_QUERY_OUTPUT_ATTR here */
  RKNN_QUERY_NATIVE_NC1HWC2_INPUT_ATTR = 8,
  RKNN_QUERY_NATIVE_NC1HWC2_OUTPUT_ATTR = 9,
  RKNN_QUERY_NATIVE_NHWC_INPUT_ATTR = 10,   /* not supported */
  RKNN_QUERY_NATIVE_NHWC_OUTPUT_ATTR = 11,  /* not supported */
  RKNN_QUERY_DEVICE_MEM_INFO = 12,          /* not supported */
  RKNN_QUERY_INPUT_DYNAMIC_RANGE = 13,      /* not supported */
  RKNN_QUERY_CURRENT_INPUT_ATTR = 14,       /* the same as RKNN_QUERY_INPUT_ATTR here */
  RKNN_QUERY_CURRENT_OUTPUT_ATTR = 15,      /* the same as RKNN_QUERY_OUTPUT_ATTR here */
  RKNN_QUERY_CURRENT_NATIVE_INPUT_ATTR = 16,
  RKNN_QUERY_CURRENT_NATIVE_OUTPUT_ATTR = 17,
  RKNN_QUERY_CMD_MAX
} rknn_query_cmd;

typedef enum _rknn_tensor_type {
  RKNN_TENSOR_FLOAT32 = 0,
  RKNN_TENSOR_FLOAT16,
  RKNN_TENSOR_INT8,
  RKNN_TENSOR_UINT8,
  RKNN_TENSOR_INT16,
  RKNN_TENSOR_UINT16,
  RKNN_TENSOR_INT32,
  RKNN_TENSOR_UINT32,
  RKNN_TENSOR_INT64,
  RKNN_TENSOR_BOOL,
  RKNN_TENSOR_INT4,
  RKNN_TENSOR_BFLOAT16,
  RKNN_TENSOR_TYPE_MAX
} rknn_tensor_type;

typedef enum _rknn_tensor_qnt_type {
  RKNN_TENSOR_QNT_NONE = 0,
  RKNN_TENSOR_QNT_DFP,
  RKNN_TENSOR_QNT_AFFINE_ASYMMETRIC,
  RKNN_TENSOR_QNT_MAX
} rknn_tensor_qnt_type;

typedef enum _rknn_tensor_format {
  RKNN_TENSOR_NCHW = 0,
  RKNN_TENSOR_NHWC,
  RKNN_TENSOR_NC1HWC2,
  RKNN_TENSOR_UNDEFINED,
  RKNN_TENSOR_FORMAT_MAX
} rknn_tensor_format;

typedef enum _rknn_core_mask {
  RKNN_NPU_CORE_AUTO = 0,
  RKNN_NPU_CORE_0 = 1,
  RKNN_NPU_CORE_1 = 2,
  RKNN_NPU_CORE_2 = 4,
  RKNN_NPU_CORE_0_1 = RKNN_NPU_CORE_0 | RKNN_NPU_CORE_1,
  RKNN_NPU_CORE_0_1_2 = RKNN_NPU_CORE_0_1 | RKNN_NPU_CORE_2,
  RKNN_NPU_CORE_ALL = 0xffff,
  RKNN_NPU_CORE_UNDEFINED
} rknn_core_mask;

typedef struct _rknn_input_output_num {
  uint32_t n_input;
  uint32_t n_output;
} rknn_input_output_num;

typedef struct _rknn_tensor_attr {
  uint32_t index;              /* set by the caller of rknn_query */
  uint32_t n_dims;
  uint32_t dims[RKNN_MAX_DIMS];
  char name[RKNN_MAX_NAME_LEN];
  uint32_t n_elems;
  uint32_t size;               /* bytes of the tensor in `type` */
  rknn_tensor_format fmt;      /* NCHW for 4-D tensors, UNDEFINED otherwise */
  rknn_tensor_type type;
  rknn_tensor_qnt_type qnt_type;
  int8_t fl;
  int32_t zp;
  float scale;
  uint32_t w_stride;           /* the width (no padding here) */
  uint32_t size_with_stride;   /* = size */
  uint8_t pass_through;
  uint32_t h_stride;           /* the height */
} rknn_tensor_attr;

typedef struct _rknn_input_range {
  uint32_t index;
  uint32_t shape_number;
  rknn_tensor_format fmt;
  char name[RKNN_MAX_NAME_LEN];
  uint32_t dyn_range[RKNN_MAX_DYNAMIC_SHAPE_NUM][RKNN_MAX_DIMS];
  uint32_t n_dims;
} rknn_input_range;

typedef struct _rknn_perf_detail {
  char* perf_data;
  uint64_t data_len;
} rknn_perf_detail;

typedef struct _rknn_perf_run {
  int64_t run_duration; /* microseconds */
} rknn_perf_run;

typedef struct _rknn_sdk_version {
  char api_version[256];
  char drv_version[256];
} rknn_sdk_version;

typedef struct _rknn_mem_size {
  uint32_t total_weight_size;
  uint32_t total_internal_size;    /* the activation arena */
  uint64_t total_dma_allocated_size;
  uint32_t total_sram_size;
  uint32_t free_sram_size;
  uint32_t reserved[10];
} rknn_mem_size;

typedef struct _rknn_custom_string {
  char string[1024];
} rknn_custom_string;

typedef struct _rknn_init_extend {
  rknn_context ctx;
  int32_t real_model_offset;
  uint32_t real_model_size;
  int32_t model_buffer_fd;
  uint32_t model_buffer_flags;
  uint8_t reserved[112];
} rknn_init_extend;

typedef struct _rknn_run_extend {
  uint64_t frame_id;
  int32_t non_block;
  int32_t timeout_ms;
  int32_t fence_fd;
} rknn_run_extend;

typedef struct _rknn_output_extend {
  int32_t frame_id;
} rknn_output_extend;

typedef struct _rknn_input {
  uint32_t index;
  void* buf;
  uint32_t size;               /* bytes in buf */
  uint8_t pass_through;        /* 1: buf is already the model's tensor (type and layout as queried) */
  rknn_tensor_type type;       /* of buf: FLOAT32, FLOAT16, INT8, UINT8, INT16, UINT16 */
  rknn_tensor_format fmt;      /* of buf: NHWC or NCHW for a 4-D input */
} rknn_input;

typedef struct _rknn_output {
  uint8_t want_float;          /* 1: float32 data */
  uint8_t is_prealloc;         /* 1: buf/size given by the caller; 0: filled in, freed by rknn_outputs_release */
  uint32_t index;
  void* buf;
  uint32_t size;
} rknn_output;

typedef struct _rknn_tensor_mem {
  void* virt_addr;
  uint64_t phys_addr;  /* 0: host memory */
  int32_t fd;          /* -1 */
  int32_t offset;
  uint32_t size;
  uint32_t flags;
  void* priv_data;
} rknn_tensor_mem;

typedef enum _rknn_mem_sync_mode {
  RKNN_MEMORY_SYNC_TO_DEVICE = 0x1,
  RKNN_MEMORY_SYNC_FROM_DEVICE = 0x2,
  RKNN_MEMORY_SYNC_BIDIRECTIONAL = RKNN_MEMORY_SYNC_TO_DEVICE | RKNN_MEMORY_SYNC_FROM_DEVICE
} rknn_mem_sync_mode;

/* Loads a model: `model` points at `size` bytes of ONNX, or is a file path when size is 0
 * (external tensor data is then read from its folder). `extend` may be NULL. */
int rknn_init(rknn_context* context, void* model, uint32_t size, uint32_t flag, rknn_init_extend* extend);
/* A second context on the same model (its own buffers; for another thread). */
int rknn_dup_context(rknn_context* context_in, rknn_context* context_out);
int rknn_destroy(rknn_context context);
int rknn_query(rknn_context context, rknn_query_cmd cmd, void* info, uint32_t size);
int rknn_inputs_set(rknn_context context, uint32_t n_inputs, rknn_input inputs[]);
int rknn_set_core_mask(rknn_context context, rknn_core_mask core_mask);
int rknn_run(rknn_context context, rknn_run_extend* extend);
int rknn_outputs_get(rknn_context context, uint32_t n_outputs, rknn_output outputs[], rknn_output_extend* extend);
int rknn_outputs_release(rknn_context context, uint32_t n_ouputs, rknn_output outputs[]);

/* Zero-copy: `size` bytes of zeroed memory owned by the context (freed by rknn_destroy_mem, or by
 * rknn_destroy at the latest). */
rknn_tensor_mem* rknn_create_mem(rknn_context context, uint32_t size);
rknn_tensor_mem* rknn_create_mem2(rknn_context context, uint64_t size, uint64_t alloc_flags);
int rknn_destroy_mem(rknn_context context, rknn_tensor_mem* mem);
/* Binds `mem` to the input or output whose name attr->name is (attr as queried, with type/fmt
 * changed for an input as rknn_inputs_set accepts them; outputs are float32). */
int rknn_set_io_mem(rknn_context context, rknn_tensor_mem* mem, rknn_tensor_attr* attr);
int rknn_mem_sync(rknn_context context, rknn_tensor_mem* mem, rknn_mem_sync_mode mode);

/* edgezoo's addition: the last error message on this thread ("" if none). */
const char* rknn_last_error(void);

#ifdef __cplusplus
}
#endif

#endif /* EDGEZOO_RKNN_API_H_ */
