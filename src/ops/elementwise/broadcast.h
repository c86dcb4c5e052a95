// NumPy-style broadcasting loops shared by every elementwise operator. Equal shapes and
// scalar operands get tight contiguous loops; the general case walks the output row by row with
// per-operand strides (0 along broadcast dims), so the innermost loop is still a strided run.
#pragma once

#include <vector>

#include "core/tensor.h"
#include "core/thread_pool.h"

namespace ez::ops {

// Per-operand element strides aligned to `out` (0 where the operand is broadcast).
std::vector<int64_t> broadcast_strides(const Shape& in, const Shape& out);

// out[i] = f(a[ia], b[ib]) over the broadcast of a and b. `out` must have the broadcast shape.
template <typename A, typename B, typename O, typename F>
void broadcast_binary(const Tensor& a, const Tensor& b, Tensor& out, F f, const ThreadPool* pool) {
  const A* pa = a.data<A>();
  const B* pb = b.data<B>();
  O* po = out.data<O>();
  const int64_t n = out.numel();
  const int64_t grain = 1 << 14;
  auto run = [&](auto&& body) {
    if (pool) pool->parallel_for(n, grain, body);
    else body(0, n);
  };
  if (a.numel() == n && b.numel() == n) {
    run([&](int64_t s, int64_t e) {
      for (int64_t i = s; i < e; ++i) po[i] = f(pa[i], pb[i]);
    });
    return;
  }
  if (b.numel() == 1 && a.numel() == n) {
    const B bv = pb[0];
    run([&](int64_t s, int64_t e) {
      for (int64_t i = s; i < e; ++i) po[i] = f(pa[i], bv);
    });
    return;
  }
  if (a.numel() == 1 && b.numel() == n) {
    const A av = pa[0];
    run([&](int64_t s, int64_t e) {
      for (int64_t i = s; i < e; ++i) po[i] = f(av, pb[i]);
    });
    return;
  }
  const Shape& os = out.shape();
  const int rank = static_cast<int>(os.size());
  const std::vector<int64_t> sa = broadcast_strides(a.shape(), os), sb = broadcast_strides(b.shape(), os);
  const int64_t inner = rank ? os[rank - 1] : 1;
  const int64_t ia = rank ? sa[rank - 1] : 0, ib = rank ? sb[rank - 1] : 0;
  const int64_t rows = inner ? n / inner : 0;
  auto body = [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      // Offsets of row r: decompose the row index over the outer dims.
      int64_t oa = 0, ob = 0, rem = r;
      for (int d = rank - 2; d >= 0; --d) {
        const int64_t idx = rem % os[d];
        rem /= os[d];
        oa += idx * sa[d];
        ob += idx * sb[d];
      }
      O* dst = po + r * inner;
      const A* x = pa + oa;
      const B* y = pb + ob;
      if (ia == 1 && ib == 0) {
        const B yv = *y;
        for (int64_t i = 0; i < inner; ++i) dst[i] = f(x[i], yv);
      } else if (ia == 0 && ib == 1) {
        const A xv = *x;
        for (int64_t i = 0; i < inner; ++i) dst[i] = f(xv, y[i]);
      } else {
        for (int64_t i = 0; i < inner; ++i) dst[i] = f(x[i * ia], y[i * ib]);
      }
    }
  };
  if (pool) pool->parallel_for(rows, std::max<int64_t>(1, grain / std::max<int64_t>(inner, 1)), body);
  else body(0, rows);
}

// out[i] = f(x[i]) over equal shapes.
template <typename I, typename O, typename F>
void map_unary(const Tensor& x, Tensor& out, F f, const ThreadPool* pool) {
  const I* px = x.data<I>();
  O* po = out.data<O>();
  auto body = [&](int64_t s, int64_t e) {
    for (int64_t i = s; i < e; ++i) po[i] = f(px[i]);
  };
  if (pool) pool->parallel_for(x.numel(), 1 << 14, body);
  else body(0, x.numel());
}

}  // namespace ez::ops
