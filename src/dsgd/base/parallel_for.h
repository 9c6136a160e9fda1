#pragma once
// Running a few independent pieces of work on their own threads (internal to data/: parsing a
// file's chunks, filling a data set's rows).
#include <cstddef>
#include <exception>
#include <thread>
#include <vector>

namespace dsgd::detail {

// Runs fn(k) for k in [0, n) on n threads (k = 0 on this one); rethrows the first failure.
template <typename Fn>
void parallel_for(std::size_t n, Fn&& fn) {
  std::vector<std::exception_ptr> failures(n);
  std::vector<std::thread> threads;
  for (std::size_t k = 1; k < n; ++k) {
    threads.emplace_back([&, k] {
      try {
        fn(k);
      } catch (...) {
        failures[k] = std::current_exception();
      }
    });
  }
  try {
    if (n > 0) fn(0);
  } catch (...) {
    failures[0] = std::current_exception();
  }
  for (std::thread& t : threads) t.join();
  for (const std::exception_ptr& f : failures) {
    if (f) std::rethrow_exception(f);
  }
}

}  // namespace dsgd::detail
