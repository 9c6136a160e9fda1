#include "dsgd/comm/spin_barrier.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "dsgd/base/error.h"
#include "dsgd/base/timer.h"

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
// Spin this long, then yield the core until kYieldFor, then sleep until woken.
constexpr auto kSpinFor = std::chrono::microseconds(100);
constexpr auto kYieldFor = std::chrono::milliseconds(2);
}  // namespace

SpinBarrier::SpinBarrier(int parties, int machine_threads) noexcept
    : parties_(parties),
      spin_(std::max(parties, machine_threads) <= static_cast<int>(std::max(1U, std::thread::hardware_concurrency()))) {}

std::uint32_t SpinBarrier::arrive() {
  const std::uint32_t entry = state_.load(std::memory_order_acquire);
  if ((entry & kAborted) != 0) throw CommError("the worker group was aborted (a peer failed)");
  const std::uint32_t generation = entry & kGeneration;
  if (arrived_.fetch_add(1, std::memory_order_acq_rel) == parties_ - 1) {
    arrived_.store(0, std::memory_order_relaxed);
    std::uint32_t old = state_.load(std::memory_order_relaxed);
    while (!state_.compare_exchange_weak(old, (old & kAborted) | ((old + 1) & kGeneration),
                                         std::memory_order_release, std::memory_order_relaxed)) {
    }
    state_.notify_all();
  }
  return generation;
}

bool SpinBarrier::done(std::uint32_t ticket) const {
  const std::uint32_t now = state_.load(std::memory_order_acquire);
  if ((now & kGeneration) != ticket) return true;  // completed (an abort after that shows next time)
  if ((now & kAborted) != 0) throw CommError("the worker group was aborted (a peer failed)");
  return false;
}

void SpinBarrier::wait(std::uint32_t ticket) {
  const auto start = Clock::now();
  for (std::uint32_t spins = 1;; ++spins) {
    const std::uint32_t now = state_.load(std::memory_order_acquire);
    if ((now & kGeneration) != ticket) return;  // completed (an abort after that shows next time)
    if ((now & kAborted) != 0) throw CommError("the worker group was aborted (a peer failed)");
    if (spin_ && spins % 64 != 0) {
      DSGD_CPU_RELAX();
      continue;
    }
    const auto waited = Clock::now() - start;
    if (spin_ && waited < kSpinFor) continue;
    if (waited < kYieldFor) {
      std::this_thread::yield();
      continue;
    }
    state_.wait(now, std::memory_order_acquire);
  }
}

void SpinBarrier::abort() noexcept {
  state_.fetch_or(kAborted, std::memory_order_release);
  state_.notify_all();
}

}  // namespace dsgd
