#include "runtime/memory_plan.h"

#include <algorithm>
#include <numeric>

#include "core/tensor.h"

namespace ez {

MemoryPlan plan_memory(const std::vector<BufferRequest>& requests) {
  MemoryPlan plan;
  const size_t n = requests.size();
  plan.offsets.assign(n, 0);
  auto aligned = [](size_t b) { return (b + kTensorAlignment - 1) / kTensorAlignment * kTensorAlignment; };
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  // Largest first; ties by earlier start so the plan is deterministic.
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (requests[a].bytes != requests[b].bytes) return requests[a].bytes > requests[b].bytes;
    return requests[a].first_step < requests[b].first_step;
  });
  std::vector<size_t> placed;
  for (size_t idx : order) {
    const BufferRequest& r = requests[idx];
    const size_t size = aligned(r.bytes);
    plan.naive_bytes += size;
    // Occupied ranges of already placed buffers whose lifetimes overlap this one, by offset.
    std::vector<std::pair<size_t, size_t>> busy;
    for (size_t p : placed) {
      const BufferRequest& q = requests[p];
      if (q.last_step < r.first_step || r.last_step < q.first_step) continue;
      busy.emplace_back(plan.offsets[p], plan.offsets[p] + aligned(q.bytes));
    }
    std::sort(busy.begin(), busy.end());
    // Smallest gap that fits (best fit), else after the last busy range.
    size_t best = SIZE_MAX, best_gap = SIZE_MAX, cursor = 0;
    for (const auto& [begin, end] : busy) {
      if (begin >= cursor && begin - cursor >= size && begin - cursor < best_gap) {
        best = cursor;
        best_gap = begin - cursor;
      }
      cursor = std::max(cursor, end);
    }
    if (best == SIZE_MAX) best = cursor;
    plan.offsets[idx] = best;
    plan.arena_bytes = std::max(plan.arena_bytes, best + size);
    placed.push_back(idx);
  }
  return plan;
}

}  // namespace ez
