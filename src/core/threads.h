#pragma once
/// \file threads.h
/// The process-wide worker-thread count (--nthreads) and a simple parallel loop.

#include <cstdint>
#include <functional>

namespace dcae {

/// Sets the number of worker threads (0 or less → all cores). Call once at start-up.
void set_thread_count(int n);
/// The number of worker threads (≥ 1).
int thread_count();

/// Calls fn(i) for every i in [begin, end) on up to thread_count() threads (dynamic order).
/// The first exception thrown by any call is rethrown after all threads stop.
void parallel_for(std::int64_t begin, std::int64_t end,
                  const std::function<void(std::int64_t)>& fn);

} // namespace dcae
