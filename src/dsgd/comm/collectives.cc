#include <fmt/format.h>

#include <algorithm>
#include <bit>
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

// Every worker's sizes and bytes to everyone; each keeps the parts for it.
const GatheredBytes& Communicator::alltoall_bytes(std::span<const std::byte> mine, std::span<const std::uint64_t> sizes) {
  check_alltoall(mine, sizes);
  const auto w = static_cast<std::size_t>(size());
  alltoall_frame_.resize(w * sizeof(std::uint64_t) + mine.size());
  std::memcpy(alltoall_frame_.data(), sizes.data(), w * sizeof(std::uint64_t));
  if (!mine.empty()) std::memcpy(alltoall_frame_.data() + w * sizeof(std::uint64_t), mine.data(), mine.size());
  const GatheredBytes& frames = allgather_bytes(alltoall_frame_);
  const auto me = static_cast<std::size_t>(rank());
  alltoall_parts_.assign(w, {});
  for (std::size_t p = 0; p < w; ++p) {
    const std::span<const std::byte> frame = frames[p];
    std::vector<std::uint64_t> their(w);
    std::uint64_t total = 0, before = 0;
    if (frame.size() >= w * sizeof(std::uint64_t)) {
      std::memcpy(their.data(), frame.data(), w * sizeof(std::uint64_t));
      for (std::size_t k = 0; k < w; ++k) {
        if (k < me) before += their[k];
        total += their[k];
      }
    }
    if (frame.size() < w * sizeof(std::uint64_t) || total != frame.size() - w * sizeof(std::uint64_t))
      throw CommError(fmt::format("worker {} sent a malformed all-to-all ({} bytes)", p, frame.size()));
    alltoall_parts_[p] = frame.subspan(w * sizeof(std::uint64_t) + before, their[me]);
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
