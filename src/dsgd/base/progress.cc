#include "dsgd/base/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>

#include "dsgd/base/timer.h"

namespace dsgd {
namespace {

// A count with a thousands' suffix: 950, 12.3k, 45.0M, 1.20G.
std::string amount(std::uint64_t n) {
  const double v = static_cast<double>(n);
  if (n < 10'000) return fmt::format("{}", n);
  if (n < 10'000'000) return fmt::format("{:.1f}k", v / 1e3);
  if (n < 10'000'000'000) return fmt::format("{:.1f}M", v / 1e6);
  return fmt::format("{:.2f}G", v / 1e9);
}

bool is_terminal(std::FILE* out) {
  const char* term = std::getenv("TERM");
  return ::isatty(::fileno(out)) == 1 && (term == nullptr || std::strcmp(term, "dumb") != 0);
}

}  // namespace

std::string Progress::line(const std::string& label, std::uint64_t done, std::uint64_t total, const std::string& unit,
                           double seconds, bool bar) {
  done = std::min(done, total);
  const double share = total == 0 ? 1.0 : static_cast<double>(done) / static_cast<double>(total);
  std::string left;
  if (share > 0.02 && share < 1.0) left = fmt::format(", about {:.0f} s left", seconds * (1.0 - share) / share);
  if (!bar)
    return fmt::format("{}: {:.0f}% ({} of {} {}) in {:.0f} s{}", label, 100 * share, amount(done), amount(total),
                       unit, seconds, left);
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(share * kWidth);
  return fmt::format("{} [{}{}] {:3.0f}% {}/{} {} {:.0f} s{}", label, std::string(static_cast<std::size_t>(filled), '#'),
                     std::string(static_cast<std::size_t>(kWidth - filled), ' '), 100 * share, amount(done),
                     amount(total), unit, seconds, left);
}

Progress::Progress(std::string label, std::uint64_t total, std::string unit, bool enabled, std::FILE* out)
    : label_(std::move(label)), total_(total), unit_(std::move(unit)), out_(out) {
  if (!enabled) return;
  terminal_ = is_terminal(out_);
  drawer_ = std::thread([this] { draw_loop(); });
}

Progress::~Progress() {
  if (!drawer_.joinable()) return;
  {
    const std::lock_guard lock(mutex_);
    stop_ = true;
  }
  stop_signal_.notify_all();
  drawer_.join();
}

void Progress::draw_loop() {
  using std::chrono::milliseconds;
  const auto start = Clock::now();
  // A terminal: the first bar after 2 s, redrawn 4 times a second; a log: a line after 10 s and
  // every 10 s after.
  const milliseconds first = terminal_ ? milliseconds(2000) : milliseconds(10000);
  const milliseconds every = terminal_ ? milliseconds(250) : milliseconds(10000);
  std::unique_lock lock(mutex_);
  if (stop_signal_.wait_for(lock, first, [this] { return stop_; })) return;
  do {
    const std::string text = line(label_, done_.load(std::memory_order_relaxed), total_, unit_, seconds_since(start),
                                  terminal_);
    if (terminal_) {
      std::fprintf(out_, "\r%s\033[K", text.c_str());
    } else {
      std::fprintf(out_, "%s\n", text.c_str());
    }
    std::fflush(out_);
    shown_ = true;
  } while (!stop_signal_.wait_for(lock, every, [this] { return stop_; }));
  if (terminal_ && shown_) {
    std::fputs("\r\033[K", out_);
    std::fflush(out_);
  }
}

}  // namespace dsgd
