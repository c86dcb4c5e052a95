#include <gtest/gtest.h>

#include <random>

#include "runtime/memory_plan.h"

namespace ez {

// Two buffers alive at once never overlap; any pair that does not overlap in time may share.
void expect_valid(const std::vector<BufferRequest>& r, const MemoryPlan& p) {
  for (size_t a = 0; a < r.size(); ++a) {
    EXPECT_EQ(p.offsets[a] % 64, 0u);
    EXPECT_LE(p.offsets[a] + r[a].bytes, p.arena_bytes);
    for (size_t b = a + 1; b < r.size(); ++b) {
      const bool live_together = !(r[a].last_step < r[b].first_step || r[b].last_step < r[a].first_step);
      const bool overlap = p.offsets[a] < p.offsets[b] + r[b].bytes && p.offsets[b] < p.offsets[a] + r[a].bytes;
      if (r[a].bytes && r[b].bytes) {
        EXPECT_FALSE(live_together && overlap) << a << " " << b;
      }
    }
  }
}

TEST(MemoryPlan, ChainReusesTwoBuffers) {
  // a -> b -> c -> d, each read only by the next step: two buffers suffice.
  std::vector<BufferRequest> r = {{1000, 0, 1}, {1000, 1, 2}, {1000, 2, 3}, {1000, 3, 3}};
  MemoryPlan p = plan_memory(r);
  expect_valid(r, p);
  EXPECT_EQ(p.arena_bytes, 2 * 1024u);  // 1000 rounded up to 64-byte alignment
  EXPECT_EQ(p.naive_bytes, 4 * 1024u);
}

TEST(MemoryPlan, RandomLifetimesNeverOverlapAndBeatNoReuse) {
  std::mt19937 rng(42);
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<BufferRequest> r;
    for (int i = 0; i < 60; ++i) {
      const int first = static_cast<int>(rng() % 50);
      r.push_back({static_cast<size_t>(rng() % 100000), first, first + static_cast<int>(rng() % 8)});
    }
    MemoryPlan p = plan_memory(r);
    expect_valid(r, p);
    EXPECT_LE(p.arena_bytes, p.naive_bytes);
  }
}

}  // namespace ez
