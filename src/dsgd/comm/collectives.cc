#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <vector>

#include "dsgd/base/error.h"
#include "dsgd/comm/communicator.h"

namespace dsgd {
namespace {

constexpr std::size_t kChunk = 512;  // elements summed at a time, so partial sums stay in L1

// out[0..n) = tree sum of parts[lo, hi) at `offset`; scratch holds kChunk per tree level.
void tree_chunk(std::span<const double* const> parts, std::size_t lo, std::size_t hi, std::size_t offset,
                std::size_t n, double* out, double* scratch) {
  if (hi - lo == 1) {
    std::copy_n(parts[lo] + offset, n, out);
    return;
  }
  const std::size_t h = std::bit_floor(hi - lo - 1);
  tree_chunk(parts, lo, lo + h, offset, n, out, scratch + kChunk);
  tree_chunk(parts, lo + h, hi, offset, n, scratch, scratch + kChunk);
  for (std::size_t k = 0; k < n; ++k) out[k] += scratch[k];
}

}  // namespace

void tree_sum(std::span<const double* const> parts, std::size_t offset, std::size_t length, double* out) {
  if (parts.empty()) {
    std::fill_n(out, length, 0.0);
    return;
  }
  const std::size_t levels = static_cast<std::size_t>(std::bit_width(parts.size())) + 1;
  std::vector<double> scratch(levels * kChunk);
  for (std::size_t done = 0; done < length; done += kChunk) {
    const std::size_t n = std::min(kChunk, length - done);
    tree_chunk(parts, 0, parts.size(), offset + done, n, out + done, scratch.data());
  }
}

std::vector<double> gather(Communicator& comm, std::span<const double> mine) {
  std::vector<double> all;
  all.reserve(mine.size() * static_cast<std::size_t>(comm.size()));
  for (const std::vector<double>& part : allgather(comm, mine)) all.insert(all.end(), part.begin(), part.end());
  return all;
}

std::span<std::byte> Communicator::shared_block(std::size_t /*bytes*/) { return {}; }

void Communicator::check_alltoall(std::span<const std::byte> mine, std::span<const std::uint64_t> sizes) const {
  std::uint64_t total = 0;
  for (const std::uint64_t n : sizes) total += n;
  if (sizes.size() != static_cast<std::size_t>(size()) || total != mine.size())
    throw CommError(fmt::format("an all-to-all of {} parts of {} bytes in all, for {} workers and {} bytes",
                                sizes.size(), total, size(), mine.size()));
}

void Communicator::put_frame(std::vector<std::byte>& frame, std::span<const std::byte> mine,
                             std::span<const std::uint64_t> sizes) {
  frame.resize(sizes.size_bytes() + mine.size());
  std::memcpy(frame.data(), sizes.data(), sizes.size_bytes());
  if (!mine.empty()) std::memcpy(frame.data() + sizes.size_bytes(), mine.data(), mine.size());
}

std::vector<std::uint64_t> Communicator::frame_sizes(std::span<const std::byte> frame, std::size_t n,
                                                     std::string_view kind, std::size_t index) {
  std::vector<std::uint64_t> sizes(n);
  std::uint64_t total = 0;
  if (frame.size() >= n * sizeof(std::uint64_t)) {
    std::memcpy(sizes.data(), frame.data(), n * sizeof(std::uint64_t));
    for (const std::uint64_t s : sizes) total += s;
  }
  if (frame.size() < n * sizeof(std::uint64_t) || total != frame.size() - n * sizeof(std::uint64_t))
    throw CommError(fmt::format("{} {} sent a malformed all-to-all ({} bytes)", kind, index, frame.size()));
  return sizes;
}

std::span<const std::byte> Communicator::frame_part(std::span<const std::byte> frame,
                                                    std::span<const std::uint64_t> sizes, std::size_t k) {
  std::uint64_t before = 0;
  for (std::size_t i = 0; i < k; ++i) before += sizes[i];
  return frame.subspan(sizes.size_bytes() + before, sizes[k]);
}

// Every worker's sizes and bytes to everyone; each keeps the parts for it.
const GatheredBytes& Communicator::alltoall_bytes(std::span<const std::byte> mine, std::span<const std::uint64_t> sizes) {
  check_alltoall(mine, sizes);
  const auto w = static_cast<std::size_t>(size());
  put_frame(alltoall_frame_, mine, sizes);
  const GatheredBytes& frames = allgather_bytes(alltoall_frame_);
  alltoall_parts_.assign(w, {});
  for (std::size_t p = 0; p < w; ++p) {
    const std::vector<std::uint64_t> theirs = frame_sizes(frames[p], w, "worker", p);
    alltoall_parts_[p] = frame_part(frames[p], theirs, static_cast<std::size_t>(rank()));
  }
  return alltoall_parts_;
}

std::string broadcast_text(Communicator& comm, std::string_view text, int root) {
  const GatheredBytes& parts = comm.allgather_bytes(
      comm.rank() == root ? std::as_bytes(std::span<const char>(text.data(), text.size())) : std::span<const std::byte>());
  const std::span<const std::byte> sent = parts[static_cast<std::size_t>(root)];
  return {reinterpret_cast<const char*>(sent.data()), sent.size()};
}

bool any_worker(Communicator& comm, bool mine) {
  std::vector<double> count = {mine ? 1.0 : 0.0};
  comm.allreduce_sum(count);
  return count[0] > 0;
}

}  // namespace dsgd
