// The AVX-512 VNNI inner loops of the int8 convolution (conv_int8.h), in their own translation
// unit built with -mavx512f -mavx512vnni -mfma and called only after a CPU check. Plain types
// only (see winograd_f43_kernels.h for why).
#pragma once

#include <cstdint>

#include "ops/x86/epilogue_params.h"

namespace ez::ops::conv_int8::vnni {

// A run of output pixels: pixel r of the run reads the input at x + r * x_stride + tap_offsets[t]
// for each tap t, 4 * k_steps bytes (channels) from there.
struct TileInput {
  const uint8_t* x = nullptr;
  int64_t x_stride = 0;
  const int64_t* tap_offsets = nullptr;
  int64_t taps = 1, k_steps = 0;
};

constexpr int kMaxExtraOutputs = 4;

struct Epilogue {
  const int32_t* bias = nullptr;        // [OCP]: bias - x_zp * sum(w[m])
  const float* mult = nullptr;          // [OCP]: s_x * s_w[m]
  const float* channel_mult = nullptr;  // [OCP] or null
  bool float_out = false, y_signed = false;
  bool float_unused = false;  // float_out with extra outputs: the float result is not stored
  float y_inv_scale = 1;  // 1 / s_y
  int32_t y_zp = 0;
  x86::EpilogueParams act;
  // An 8-bit output after SiLU or Sigmoid (no affine): the folded constants of
  // x86::avx512::quantize_folded, [OCP] each (m_u = mult * -log2 e, m_y = mult * cm / s_y
  // for SiLU, cm / s_y for Sigmoid), else null.
  const float* fold_u = nullptr;
  const float* fold_y = nullptr;
  // With float_out: up to kMaxExtraOutputs 8-bit copies of the float result, each times an
  // optional channel multiplier and then quantized by QuantizeLinear's exact formula (scale, zero
  // point, int8 or uint8).
  int extra_outputs = 0;
  float extra_scale[kMaxExtraOutputs] = {};
  int32_t extra_zp[kMaxExtraOutputs] = {};
  bool extra_signed[kMaxExtraOutputs] = {};
  const float* extra_mult[kMaxExtraOutputs] = {};  // [OCP] channel multipliers, or null
};

// count consecutive output pixels (a run as in TileInput) times all out_c channels, written to
// y (8-bit or float, out_c per pixel). w: packed [OCP/16][taps][k_steps][16][4]. With one tap
// (offset 0) nothing past the run's last pixel is read; with several, up to 15 pixels' worth
// past it may be (the caller's buffer must have that room).
// extra_y: the extra outputs at the run's first pixel (e.extra_outputs of them, out_c bytes per pixel).
void run_pixels(const TileInput& in, int64_t count, const int8_t* w, int64_t out_c, const Epilogue& e, void* y, void* const* extra_y);

}  // namespace ez::ops::conv_int8::vnni
