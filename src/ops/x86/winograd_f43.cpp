// Winograd F(4x4, 3x3): weight transform and packing, blocking and threading; the arithmetic is
// in winograd_f43_avx2.cpp.
#include "ops/x86/winograd_f43.h"

#include <algorithm>

#include "core/tensor.h"
#include "ops/x86/winograd_f43_kernels.h"

namespace ez::ops::winograd {
namespace {

constexpr int64_t kTile = 4;
// Scratch V + M of a block should stay in a core's L2 (512 KiB on the EPYC this was tuned on).
constexpr int64_t kBlockBytes = 256 * 1024;

int64_t round_up(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

// Growing per-thread scratch, 64-byte aligned.
class Scratch {
 public:
  ~Scratch() { aligned_free_bytes(p_); }
  float* get(size_t floats) {
    if (floats > size_) {
      aligned_free_bytes(p_);
      p_ = static_cast<float*>(aligned_alloc_bytes(floats * sizeof(float)));
      size_ = floats;
    }
    return p_;
  }

 private:
  float* p_ = nullptr;
  size_t size_ = 0;
};

}  // namespace

bool worthwhile(const ConvShape& s) {
  return s.in_c >= 8 && s.out_c >= 8 && s.out_h() >= 8 && s.out_w() >= 8;
}

F43Conv::F43Conv(const ConvShape& shape, const float* weights, const float* bias, const Epilogue& epilogue)
    : s_(shape), e_(epilogue) {
  icp_ = round_up(s_.in_c, 8);
  ocp_ = round_up(s_.out_c, 16);
  tiles_y_ = (s_.out_h() + kTile - 1) / kTile;
  tiles_x_ = (s_.out_w() + kTile - 1) / kTile;
  bias_.assign(ocp_, 0.0f);
  if (bias) std::copy(bias, bias + s_.out_c, bias_.begin());
  // U = G g G^T per (output, input) channel, in double; packed [36][ocp/16][icp][16] so that the
  // GEMM reads 16 output channels of one input channel as two vectors.
  static const double G[6][3] = {{1.0 / 4, 0, 0},           {-1.0 / 6, -1.0 / 6, -1.0 / 6}, {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                                 {1.0 / 24, 1.0 / 12, 1.0 / 6}, {1.0 / 24, -1.0 / 12, 1.0 / 6}, {0, 0, 1}};
  const int64_t oc_blocks = ocp_ / 16;
  u_.assign(36 * ocp_ * icp_, 0.0f);
  for (int64_t oc = 0; oc < s_.out_c; ++oc)
    for (int64_t ic = 0; ic < s_.in_c; ++ic) {
      const float* g = weights + (oc * s_.in_c + ic) * 9;
      double gg[6][3];  // G g
      for (int r = 0; r < 6; ++r)
        for (int q = 0; q < 3; ++q) gg[r][q] = G[r][0] * g[q] + G[r][1] * g[3 + q] + G[r][2] * g[6 + q];
      for (int r = 0; r < 6; ++r)
        for (int c = 0; c < 6; ++c) {
          const double u = gg[r][0] * G[c][0] + gg[r][1] * G[c][1] + gg[r][2] * G[c][2];
          const int64_t k = r * 6 + c;
          u_[((k * oc_blocks + oc / 16) * icp_ + ic) * 16 + oc % 16] = static_cast<float>(u);
        }
    }
}

void F43Conv::run(const float* x, const float* residual, float* y, const ThreadPool* pool) const {
  avx2::BlockArgs a;
  a.x = x;
  a.residual = e_.has_residual ? residual : nullptr;
  a.y = y;
  a.u = u_.data();
  a.bias = bias_.data();
  a.in_h = s_.in_h, a.in_w = s_.in_w, a.in_c = s_.in_c;
  a.out_h = s_.out_h(), a.out_w = s_.out_w(), a.out_c = s_.out_c;
  a.icp = icp_, a.ocp = ocp_;
  a.pad_top = s_.pad_top, a.pad_left = s_.pad_left;
  a.tiles_y = tiles_y_, a.tiles_x = tiles_x_;
  a.epilogue = x86::make_epilogue(e_.act, e_.sum_first);

  // Blocks small enough for L2, and at least one per thread; tiles spread evenly over them.
  const int64_t tiles = s_.batch * tiles_y_ * tiles_x_;
  const int64_t threads = pool ? pool->num_threads() : 1;
  const int64_t per_block = std::max<int64_t>(6, kBlockBytes / (36 * (icp_ + ocp_) * int64_t(sizeof(float))));
  int64_t blocks = std::max((tiles + per_block - 1) / per_block, std::min(tiles, threads));
  if (blocks > threads) blocks = round_up(blocks, threads);
  blocks = std::min(blocks, tiles);
  const int64_t count = (tiles + blocks - 1) / blocks;
  auto body = [&](int64_t b0, int64_t b1) {
    thread_local Scratch scratch;
    float* v = scratch.get(36 * count * (icp_ + ocp_));
    float* m = v + 36 * count * icp_;
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t first = b * count;
#ifdef EDGEZOO_X86
      if (first < tiles) avx2::run_tiles(a, first, std::min(count, tiles - first), v, m);
#endif
    }
  };
  if (pool) pool->parallel_for(blocks, 1, body);
  else body(0, blocks);
}

}  // namespace ez::ops::winograd
