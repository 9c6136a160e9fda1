#pragma once
// The progress of a long task (generating, loading), shown while it runs: on a terminal a bar
// redrawn in place, otherwise a plain line now and then, both on standard error. A task that is
// done before the first showing (2 s on a terminal, 10 s otherwise) shows nothing, so short runs
// and scripts' logs stay as they were. The task's threads only add to a counter; one thread of
// the Progress draws.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>

namespace dsgd {

class Progress {
 public:
  // `label` names the task ("generating", "reading FILE"), `total` its amount in `unit`s.
  // Disabled (nothing shown, no thread) when `enabled` is false.
  Progress(std::string label, std::uint64_t total, std::string unit, bool enabled = true, std::FILE* out = stderr);
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  // Ends the showing: a terminal's bar line is cleared.
  ~Progress();

  // Called by the task's threads as they go.
  void add(std::uint64_t amount) noexcept { done_.fetch_add(amount, std::memory_order_relaxed); }

  // A progress that may be absent: adds to it when there is one.
  static void add(Progress* progress, std::uint64_t amount) noexcept {
    if (progress != nullptr) progress->add(amount);
  }

  // The line shown for `done` of `total` after `seconds` (bar: a terminal's form).
  [[nodiscard]] static std::string line(const std::string& label, std::uint64_t done, std::uint64_t total,
                                        const std::string& unit, double seconds, bool bar);

 private:
  void draw_loop();

  std::string label_;
  std::uint64_t total_;
  std::string unit_;
  std::FILE* out_;
  bool terminal_ = false;
  bool shown_ = false;
  std::atomic<std::uint64_t> done_{0};
  std::mutex mutex_;
  std::condition_variable stop_signal_;
  bool stop_ = false;
  std::thread drawer_;
};

}  // namespace dsgd
