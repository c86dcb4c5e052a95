// Plans activation memory: every intermediate tensor gets an offset in one arena such that tensors
// alive at the same step never overlap ("greedy by size", as TFLite and XNNPACK do).
#pragma once

#include <cstddef>
#include <vector>

namespace ez {

struct BufferRequest {
  size_t bytes = 0;
  int first_step = 0;  // step that writes it
  int last_step = 0;   // last step that reads it (inclusive)
};

struct MemoryPlan {
  std::vector<size_t> offsets;  // one per request, aligned to kTensorAlignment
  size_t arena_bytes = 0;       // peak: the arena size needed
  size_t naive_bytes = 0;       // sum of all requests: what no reuse would cost
};

MemoryPlan plan_memory(const std::vector<BufferRequest>& requests);

}  // namespace ez
