// A bounded parallel loop for file-heavy work (reading, writing and renaming
// thousands of files), where the time goes to system calls and I/O waits.
#pragma once

#include <cstddef>
#include <functional>

namespace gantry {

// Threads parallel_for uses for file I/O: enough to overlap I/O waits even
// on small machines (8), never more than `n` items.
inline constexpr size_t kFileJobs = 8;

// Runs fn(i) for every i in [0, n) on up to `jobs` threads (the calling
// thread is one of them; jobs <= 1 runs sequentially). Every index runs even
// when some throw; afterwards the exception of the lowest failing index is
// rethrown, so callers see the same error a sequential loop would report.
void parallel_for(size_t n, size_t jobs, const std::function<void(size_t)>& fn);

}  // namespace gantry
