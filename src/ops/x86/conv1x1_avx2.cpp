// AVX2 + FMA 1x1 convolution on NHWC: a GEMM of the pixels [P x IC] with the packed weights
// [IC x OC], 6 pixels x 16 output channels per register tile, and the epilogue (bias, residual,
// activation) applied to the tile before it is stored: each output is written once.
#include "ops/x86/avx2_common.h"
#include "ops/x86/conv1x1_kernels.h"

namespace ez::ops::conv1x1::avx2 {
namespace {

using namespace x86::avx2;

template <int R>
void tile(const GemmArgs& a, int64_t p, int64_t ob) {
  __m256 acc0[R], acc1[R];
  gemm_tile<R>(a.x + p * a.in_c, a.in_c, a.w + ob * a.in_c * 16, a.in_c, acc0, acc1);
  const int64_t oc = ob * 16, valid0 = a.out_c - oc, valid1 = valid0 - 8;
  const __m256i mask0 = tail_mask(valid0), mask1 = tail_mask(valid1);
  const __m256 b0 = _mm256_loadu_ps(a.bias + oc), b1 = _mm256_loadu_ps(a.bias + oc + 8);
  const x86::EpilogueParams& e = a.epilogue;
  __m256 v[2 * R];
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r) {
    v[2 * r] = _mm256_add_ps(acc0[r], b0);
    v[2 * r + 1] = _mm256_add_ps(acc1[r], b1);
  }
  // The residual, as the output, is [P, OC]; its second half exists only where valid1 > 0.
  auto add_residual = [&] {
    for (int r = 0; r < R; ++r) {
      const float* res = a.residual + (p + r) * a.out_c + oc;
      v[2 * r] = _mm256_add_ps(v[2 * r], load8(res, valid0, mask0));
      if (valid1 > 0) v[2 * r + 1] = _mm256_add_ps(v[2 * r + 1], load8(res + 8, valid1, mask1));
    }
  };
  if (a.residual && e.sum_first) add_residual();
  activate_many<2 * R>(e, v);
  if (a.residual && !e.sum_first) add_residual();
  for (int r = 0; r < R; ++r) {
    float* y = a.y + (p + r) * a.out_c + oc;
    store8(y, v[2 * r], valid0, mask0);
    if (valid1 > 0) store8(y + 8, v[2 * r + 1], valid1, mask1);
  }
}

}  // namespace

void run_rows(const GemmArgs& a, int64_t begin, int64_t end) {
  const int64_t oc_blocks = a.ocp / 16;
  // A block of rows stays in L2 while every block of output channels passes over it.
  for (int64_t p0 = begin; p0 < end; p0 += a.row_block) {
    const int64_t pe = p0 + a.row_block < end ? p0 + a.row_block : end;
    for (int64_t ob = 0; ob < oc_blocks; ++ob) {
      int64_t p = p0;
      for (; p + 6 <= pe; p += 6) tile<6>(a, p, ob);
      switch (pe - p) {
        case 5: tile<5>(a, p, ob); break;
        case 4: tile<4>(a, p, ob); break;
        case 3: tile<3>(a, p, ob); break;
        case 2: tile<2>(a, p, ob); break;
        case 1: tile<1>(a, p, ob); break;
        default: break;
      }
    }
  }
}

}  // namespace ez::ops::conv1x1::avx2
