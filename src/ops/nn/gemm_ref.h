// A plain reference matrix multiply shared by Conv (after im2col), MatMul and Gemm reference
// kernels. Row-major; C = A(MxK) * B(KxN) (+= when accumulate). The i-k-j order keeps the inner
// loop a contiguous AXPY the compiler vectorises, so reference kernels stay usable on real models.
#pragma once

#include <cstdint>

#include "core/thread_pool.h"

namespace ez::ops {

// lda/ldb/ldc are row strides in elements. Parallel over rows of C when pool is given.
void gemm_ref(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B, int64_t ldb, float* C,
              int64_t ldc, bool accumulate, const ThreadPool* pool);

}  // namespace ez::ops
