#include "core/parallel.h"

#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace gantry {

void parallel_for(size_t n, size_t jobs, const std::function<void(size_t)>& fn) {
  if (n == 0) return;
  if (jobs == 0) jobs = 1;
  if (jobs > n) jobs = n;
  std::atomic<size_t> next{0};
  std::mutex mu;
  size_t first_failed = n;
  std::exception_ptr first_error;
  auto work = [&] {
    for (;;) {
      size_t i = next.fetch_add(1);
      if (i >= n) return;
      try {
        fn(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mu);
        if (i < first_failed) {
          first_failed = i;
          first_error = std::current_exception();
        }
      }
    }
  };
  std::vector<std::thread> threads;
  threads.reserve(jobs - 1);
  for (size_t t = 1; t < jobs; ++t)
    threads.emplace_back(work);
  work();
  for (auto& t : threads)
    t.join();
  if (first_error) std::rethrow_exception(first_error);
}

}  // namespace gantry
