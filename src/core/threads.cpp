#include "core/threads.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace dcae {
namespace {
std::atomic<int> g_threads{0};
}

void set_thread_count(int n) {
  g_threads = n > 0 ? n : 0;
}

int thread_count() {
  const int n = g_threads.load();
  if (n > 0) return n;
  return std::max(1u, std::thread::hardware_concurrency());
}

void parallel_for(std::int64_t begin, std::int64_t end,
                  const std::function<void(std::int64_t)>& fn) {
  const std::int64_t n = end - begin;
  if (n <= 0) return;
  const int workers = static_cast<int>(std::min<std::int64_t>(thread_count(), n));
  if (workers == 1) {
    for (std::int64_t i = begin; i < end; ++i) fn(i);
    return;
  }
  std::atomic<std::int64_t> next{begin};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto work = [&] {
    while (true) {
      const std::int64_t i = next.fetch_add(1);
      if (i >= end) return;
      {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (error) return;
      }
      try {
        fn(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
        return;
      }
    }
  };
  std::vector<std::thread> pool;
  for (int w = 1; w < workers; ++w) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

} // namespace dcae
