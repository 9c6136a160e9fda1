#include "dsgd/comm/spin_barrier.h"

#include <chrono>
#include <thread>

#include "dsgd/error.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define DSGD_CPU_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define DSGD_CPU_RELAX() asm volatile("yield")
#else
#define DSGD_CPU_RELAX() ((void)0)
#endif

namespace dsgd {
namespace {
using Clock = std::chrono::steady_clock;
// Spin this long, then yield the core until kYieldFor, then sleep until woken.
constexpr auto kSpinFor = std::chrono::microseconds(100);
constexpr auto kYieldFor = std::chrono::milliseconds(2);
}  // namespace

void SpinBarrier::check_abort() const {
  if (aborted()) throw CommError("the worker group was aborted (a peer failed)");
}

void SpinBarrier::arrive_and_wait() {
  check_abort();
  const std::uint32_t generation = generation_.load(std::memory_order_acquire);
  if (arrived_.fetch_add(1, std::memory_order_acq_rel) == parties_ - 1) {
    arrived_.store(0, std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_release);
    generation_.notify_all();
    return;
  }
  const auto start = Clock::now();
  for (std::uint32_t spins = 1;; ++spins) {
    if (generation_.load(std::memory_order_acquire) != generation) return check_abort();
    if (spins % 64 != 0) {
      DSGD_CPU_RELAX();
      continue;
    }
    const auto waited = Clock::now() - start;
    if (waited < kSpinFor) continue;
    if (waited < kYieldFor) {
      std::this_thread::yield();
      continue;
    }
    generation_.wait(generation, std::memory_order_acquire);
  }
}

void SpinBarrier::abort() noexcept {
  aborted_.store(true, std::memory_order_release);
  generation_.fetch_add(1, std::memory_order_release);
  generation_.notify_all();
}

}  // namespace dsgd
