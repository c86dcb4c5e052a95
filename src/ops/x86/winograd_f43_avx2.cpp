// AVX2 + FMA stages of the F(4x4, 3x3) Winograd convolution: input transform, the 36 GEMMs with
// a 6x16 register-blocked micro-kernel, output transform with the epilogue. Built with
// -mavx2 -mfma (CMakeLists: *_avx2.cpp); reached only after x86::has_avx2_fma().
//
// Transform matrices (Lavin & Gray, points 0, +-1, +-2):
//   B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1]
//   A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]
// V = B^T d B per 6x6 input patch d, M = U (.) V summed over input channels, y = A^T M A.
#include "ops/x86/avx2_common.h"
#include "ops/x86/winograd_f43_kernels.h"

namespace ez::ops::winograd::avx2 {
namespace {

using namespace x86::avx2;

// r = B^T d for six vectors d[0], d[stride], ...
inline void input_1d(const __m256* d, int stride, __m256* r, int rstride) {
  const __m256 d0 = d[0], d1 = d[stride], d2 = d[2 * stride], d3 = d[3 * stride], d4 = d[4 * stride],
               d5 = d[5 * stride];
  r[0] = _mm256_fmadd_ps(splat(4.0f), d0, _mm256_fnmadd_ps(splat(5.0f), d2, d4));
  r[rstride] = _mm256_fnmadd_ps(splat(4.0f), _mm256_add_ps(d1, d2), _mm256_add_ps(d3, d4));
  r[2 * rstride] = _mm256_fmadd_ps(splat(4.0f), _mm256_sub_ps(d1, d2), _mm256_sub_ps(d4, d3));
  r[3 * rstride] = _mm256_fmadd_ps(splat(2.0f), _mm256_sub_ps(d3, d1), _mm256_sub_ps(d4, d2));
  r[4 * rstride] = _mm256_fmadd_ps(splat(2.0f), _mm256_sub_ps(d1, d3), _mm256_sub_ps(d4, d2));
  r[5 * rstride] = _mm256_fmadd_ps(splat(4.0f), d1, _mm256_fnmadd_ps(splat(5.0f), d3, d5));
}

// o = A^T m for six vectors.
inline void output_1d(const __m256* m, int stride, __m256* o, int ostride) {
  const __m256 m0 = m[0], m1 = m[stride], m2 = m[2 * stride], m3 = m[3 * stride], m4 = m[4 * stride],
               m5 = m[5 * stride];
  const __m256 s12 = _mm256_add_ps(m1, m2), d12 = _mm256_sub_ps(m1, m2);
  const __m256 s34 = _mm256_add_ps(m3, m4), d34 = _mm256_sub_ps(m3, m4);
  o[0] = _mm256_add_ps(_mm256_add_ps(m0, s12), s34);
  o[ostride] = _mm256_fmadd_ps(splat(2.0f), d34, d12);
  o[2 * ostride] = _mm256_fmadd_ps(splat(4.0f), s34, s12);
  o[3 * ostride] = _mm256_add_ps(_mm256_fmadd_ps(splat(8.0f), d34, d12), m5);
}

struct TilePos {
  int64_t image, row, col;  // image index, top-left output pixel
};

TilePos tile_pos(const BlockArgs& a, int64_t tile) {
  const int64_t per_image = a.tiles_y * a.tiles_x;
  const int64_t r = tile % per_image;
  return {tile / per_image, (r / a.tiles_x) * 4, (r % a.tiles_x) * 4};
}

// V[k][j][c] for tile j of the block, every input channel.
void input_transform(const BlockArgs& a, int64_t tile, int64_t j, int64_t count, float* v) {
  const TilePos p = tile_pos(a, tile);
  const float* img = a.x + p.image * a.in_h * a.in_w * a.in_c;
  const int64_t iy0 = p.row - a.pad_top, ix0 = p.col - a.pad_left;
  bool inside[6][6];
  for (int r = 0; r < 6; ++r)
    for (int s = 0; s < 6; ++s)
      inside[r][s] = iy0 + r >= 0 && iy0 + r < a.in_h && ix0 + s >= 0 && ix0 + s < a.in_w;
  __m256 d[36], t[36];
  for (int64_t c = 0; c < a.icp; c += 8) {
    const int64_t valid = a.in_c - c;
    const __m256i mask = tail_mask(valid);
    for (int r = 0; r < 6; ++r)
      for (int s = 0; s < 6; ++s)
        d[r * 6 + s] = inside[r][s]
                           ? load8(img + ((iy0 + r) * a.in_w + ix0 + s) * a.in_c + c, valid, mask)
                           : _mm256_setzero_ps();
    for (int s = 0; s < 6; ++s) input_1d(d + s, 6, t + s, 6);  // down the columns
    for (int r = 0; r < 6; ++r) input_1d(t + r * 6, 1, d + r * 6, 1);  // along the rows
    for (int k = 0; k < 36; ++k) _mm256_store_ps(v + (k * count + j) * a.icp + c, d[k]);
  }
}

// C[R x 16] = A[R x K] * B[K x 16]; C rows ldc apart (C and its scratch are 32-byte aligned).
template <int R>
void gemm_rows(const float* a, int64_t lda, const float* b, int64_t k, float* c, int64_t ldc) {
  __m256 acc0[R], acc1[R];
  gemm_tile<R>(a, lda, b, k, acc0, acc1);
  for (int r = 0; r < R; ++r) {
    _mm256_store_ps(c + r * ldc, acc0[r]);
    _mm256_store_ps(c + r * ldc + 8, acc1[r]);
  }
}

void gemm_block(const float* a, int64_t lda, const float* b, int64_t k, float* c, int64_t ldc, int64_t rows) {
  int64_t j = 0;
  for (; j + 6 <= rows; j += 6) gemm_rows<6>(a + j * lda, lda, b, k, c + j * ldc, ldc);
  switch (rows - j) {
    case 5: gemm_rows<5>(a + j * lda, lda, b, k, c + j * ldc, ldc); break;
    case 4: gemm_rows<4>(a + j * lda, lda, b, k, c + j * ldc, ldc); break;
    case 3: gemm_rows<3>(a + j * lda, lda, b, k, c + j * ldc, ldc); break;
    case 2: gemm_rows<2>(a + j * lda, lda, b, k, c + j * ldc, ldc); break;
    case 1: gemm_rows<1>(a + j * lda, lda, b, k, c + j * ldc, ldc); break;
    default: break;
  }
}

// y for tile j of the block from M[k][j][oc], with bias, residual and activation.
void output_transform(const BlockArgs& a, int64_t tile, int64_t j, int64_t count, const float* m) {
  const TilePos p = tile_pos(a, tile);
  const int64_t rows = a.out_h - p.row < 4 ? a.out_h - p.row : 4;
  const int64_t cols = a.out_w - p.col < 4 ? a.out_w - p.col : 4;
  const int64_t base = (p.image * a.out_h + p.row) * a.out_w + p.col;  // first output pixel
  __m256 mk[36], t[24], o[16];
  for (int64_t c = 0; c < a.out_c; c += 8) {
    const int64_t valid = a.out_c - c;
    const __m256i mask = tail_mask(valid);
    for (int k = 0; k < 36; ++k) mk[k] = _mm256_load_ps(m + (k * count + j) * a.ocp + c);
    for (int s = 0; s < 6; ++s) output_1d(mk + s, 6, t + s, 6);  // 4 rows x 6 columns
    for (int r = 0; r < 4; ++r) output_1d(t + r * 6, 1, o + r * 4, 1);
    const __m256 bias = _mm256_loadu_ps(a.bias + c);
    for (int i = 0; i < 16; ++i) o[i] = _mm256_add_ps(o[i], bias);
    // All 16 outputs of the tile go through the activation together (activate_many), also the
    // ones past the image border, which are not stored.
    auto add_residual = [&] {
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t s = 0; s < cols; ++s)
          o[r * 4 + s] = _mm256_add_ps(o[r * 4 + s], load8(a.residual + (base + r * a.out_w + s) * a.out_c + c, valid, mask));
    };
    if (a.residual && a.epilogue.sum_first) add_residual();
    activate_many<16>(a.epilogue, o);
    if (a.residual && !a.epilogue.sum_first) add_residual();
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t s = 0; s < cols; ++s) store8(a.y + (base + r * a.out_w + s) * a.out_c + c, o[r * 4 + s], valid, mask);
  }
}

}  // namespace

void run_tiles(const BlockArgs& a, int64_t tile_begin, int64_t count, float* v, float* m) {
  for (int64_t j = 0; j < count; ++j) input_transform(a, tile_begin + j, j, count, v);
  const int64_t oc_blocks = a.ocp / 16;
  for (int k = 0; k < 36; ++k)
    for (int64_t ob = 0; ob < oc_blocks; ++ob)
      gemm_block(v + k * count * a.icp, a.icp, a.u + (k * oc_blocks + ob) * a.icp * 16, a.icp,
                 m + k * count * a.ocp + ob * 16, a.ocp, count);
  for (int64_t j = 0; j < count; ++j) output_transform(a, tile_begin + j, j, count, m);
}

}  // namespace ez::ops::winograd::avx2
