#pragma once
// A reusable barrier for the workers of one process that spins while the wait is short and
// sleeps when it is long. Per-step synchronisation decides the speedup: a barrier that always
// sleeps on a futex pays tens of microseconds per wake-up on a VM, more than a step of the seed
// experiment computes. Spinning first (with a pause instruction), then yielding, then sleeping in
// std::atomic::wait keeps short waits at the cost of a cache miss and long waits (an
// oversubscribed machine) from burning a core.
#include <atomic>
#include <cstdint>

namespace dsgd {

class SpinBarrier {
 public:
  // Spins only when every thread on the machine can have a core of its own: with more threads
  // than hardware threads a spinning waiter takes the core from the worker it waits for.
  // `machine_threads` counts the busy threads of the whole job on this host (default: parties).
  explicit SpinBarrier(int parties, int machine_threads = 0) noexcept;

  // Blocks until all parties have arrived. Throws CommError if abort() was called before the
  // call or while waiting for a barrier that had not completed; after an abort every later call
  // throws too. A barrier that completed returns normally even if an abort follows at once.
  void arrive_and_wait() { wait(arrive()); }
  // The same in two halves, so the caller can work between them: arrive() counts this party in
  // and returns a ticket (throwing CommError if the barrier was aborted); done(ticket) says
  // whether every party has arrived; wait(ticket) blocks until then.
  [[nodiscard]] std::uint32_t arrive();
  [[nodiscard]] bool done(std::uint32_t ticket) const;
  void wait(std::uint32_t ticket);
  // Wakes every waiter and makes them (and all later arrivals) throw CommError.
  void abort() noexcept;
  [[nodiscard]] bool aborted() const noexcept {
    return (state_.load(std::memory_order_acquire) & kAborted) != 0;
  }

 private:
  // state_ holds the generation (bits 0-30, counting completed barriers, wrapping) and the abort
  // flag (bit 31) in one word, so a waiter can tell "completed" from "aborted" and a single
  // futex wait wakes for either.
  static constexpr std::uint32_t kAborted = 1U << 31;
  static constexpr std::uint32_t kGeneration = kAborted - 1;

  const int parties_;
  const bool spin_;
  alignas(64) std::atomic<int> arrived_{0};
  alignas(64) std::atomic<std::uint32_t> state_{0};
};

}  // namespace dsgd
