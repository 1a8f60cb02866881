// The one bounded worker pool: run a function over indices on a few threads.
#pragma once

#include <cstddef>
#include <functional>

namespace gantry {

// Threads parallel_for uses for file I/O: enough to overlap I/O waits even
// on small machines (8), never more than `n` items.
inline constexpr size_t kFileJobs = 8;

// Calls fn(i) for every i in [0, n) on at most `jobs` threads (the calling
// thread is one of them; jobs 0 counts as 1). Indices are handed out in
// order. If calls throw, the remaining indices are still run and the first
// exception (by index) is rethrown once all are done; callers that want every
// failure record them per index instead of throwing.
void parallel_for(size_t n, size_t jobs, const std::function<void(size_t)>& fn);

}  // namespace gantry
