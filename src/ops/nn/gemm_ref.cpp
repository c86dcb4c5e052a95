#include "ops/nn/gemm_ref.h"

#include <algorithm>
#include <cstring>

namespace ez::ops {

void gemm_ref(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B, int64_t ldb, float* C,
              int64_t ldc, bool accumulate, const ThreadPool* pool) {
  auto rows = [&](int64_t m0, int64_t m1) {
    constexpr int64_t kKB = 256, kNB = 512;  // blocks that keep a panel of B in cache
    for (int64_t m = m0; m < m1; ++m)
      if (!accumulate) std::memset(C + m * ldc, 0, sizeof(float) * N);
    for (int64_t n0 = 0; n0 < N; n0 += kNB) {
      const int64_t n1 = std::min(N, n0 + kNB);
      for (int64_t k0 = 0; k0 < K; k0 += kKB) {
        const int64_t k1 = std::min(K, k0 + kKB);
        for (int64_t m = m0; m < m1; ++m) {
          float* c = C + m * ldc;
          const float* a = A + m * lda;
          for (int64_t k = k0; k < k1; ++k) {
            const float av = a[k];
            const float* b = B + k * ldb;
            for (int64_t n = n0; n < n1; ++n) c[n] += av * b[n];
          }
        }
      }
    }
  };
  if (pool && M * N * K > (1 << 18)) pool->parallel_for(M, 4, rows);
  else rows(0, M);
}

}  // namespace ez::ops
