// Parallelism. oneDNN in Debian is built on OpenMP, so edgezoo's own kernels use the same OpenMP
// runtime: one pool of worker threads for everything, sized per session, never oversubscribed.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace ez {

class ThreadPool {
 public:
  explicit ThreadPool(int num_threads = 0);  // 0 = all available cores
  int num_threads() const { return num_threads_; }

  // Calls fn(begin, end) over [0, n) split into at most num_threads contiguous chunks, each at
  // least `grain` long. Runs inline when one chunk suffices. fn must not throw.
  void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) const;

  // Makes this pool's size the one OpenMP (and so oneDNN) uses on the calling thread.
  void activate() const;

 private:
  int num_threads_;
};

// Number of cores this process may run on (respects the affinity mask).
int available_cores();
// Restricts the process to the given CPU ids (as users pin inference to a board's big cores).
// Returns false and leaves the mask unchanged if a core does not exist.
bool pin_to_cpus(const std::vector<int>& cpus);

}  // namespace ez
