#include "dsgd/data/file_bytes.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <utility>

#include <fmt/format.h>

#include "dsgd/base/aligned_memory.h"
#include "dsgd/base/error.h"

namespace dsgd {
namespace {

class Fd {
 public:
  explicit Fd(int fd) noexcept : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  [[nodiscard]] int get() const noexcept { return fd_; }

 private:
  int fd_;
};

// Reads all of fd (closed here): gzip data, one member or several (as `cat a.gz b.gz` makes), is
// decompressed and anything else passed through as it is, so a pipe needs no look ahead beyond
// its first two bytes. Bytes after the last member that are neither another member nor zeros
// (which some tools pad with) fail the read: a file with junk at its end is not read as clean.
// Sets `compressed`.
std::vector<char> read_through_zlib(const std::string& path, int raw_fd, bool& compressed) {
  const Fd fd(raw_fd);
  std::vector<unsigned char> in(std::size_t{1} << 18);
  std::size_t in_at = 0, in_end = 0;  // the input not yet used: in[in_at, in_end)
  std::uint64_t before = 0;           // bytes of the file before in[0]
  // Reads more of the file after the unused input; false at its end.
  const auto fill = [&] {
    if (in_at > 0) {
      std::memmove(in.data(), in.data() + in_at, in_end - in_at);
      before += in_at;
      in_end -= in_at;
      in_at = 0;
    }
    while (true) {
      const ssize_t n = ::read(fd.get(), in.data() + in_end, in.size() - in_end);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw InputError(path, 0, "read failed: " + std::string(std::strerror(errno)));
      in_end += static_cast<std::size_t>(n);
      return n > 0;
    }
  };
  // At least `want` unused input bytes, or all there are.
  const auto have = [&](std::size_t want) {
    while (in_end - in_at < want && fill()) {
    }
    return in_end - in_at;
  };
  std::vector<char> out;
  std::size_t used = 0;
  const auto room = [&] {  // free space after `used` to write into
    if (out.size() - used < (1 << 20)) out.resize(std::max<std::size_t>(out.size() * 2, 1 << 22));
    return std::min<std::size_t>(out.size() - used, 1U << 30);
  };
  try {
    compressed = have(2) >= 2 && in[in_at] == 0x1f && in[in_at + 1] == 0x8b;
    if (!compressed) {  // passed through
      do {
        while (in_at < in_end) {
          const std::size_t n = std::min(room(), in_end - in_at);
          std::memcpy(out.data() + used, in.data() + in_at, n);
          used += n;
          in_at += n;
        }
      } while (fill());
    } else {
      z_stream z{};
      if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) throw InputError(path, 0, "cannot start zlib");
      struct End {
        z_stream* z;
        ~End() { inflateEnd(z); }
      } end{&z};
      while (true) {
        if (in_at == in_end) (void)fill();
        z.next_in = in.data() + in_at;
        z.avail_in = static_cast<uInt>(in_end - in_at);
        const std::size_t space = room();
        z.next_out = reinterpret_cast<Bytef*>(out.data() + used);
        z.avail_out = static_cast<uInt>(space);
        const int rc = inflate(&z, Z_NO_FLUSH);
        used += space - z.avail_out;
        in_at = static_cast<std::size_t>(z.next_in - in.data());
        if (rc == Z_STREAM_END) {
          // Zero padding ends the file; another member goes on; anything else is junk.
          while (have(1) > 0 && in[in_at] == 0) ++in_at;
          if (have(1) == 0) break;
          if (have(2) >= 2 && in[in_at] == 0x1f && in[in_at + 1] == 0x8b) {
            inflateReset(&z);
            continue;
          }
          throw InputError(path, 0,
                           fmt::format("data after the end of the gzip data, at byte {} of the file", before + in_at));
        }
        if (rc == Z_BUF_ERROR && z.avail_out > 0) {  // no input left to go on with
          if (in_at < in_end) throw InputError(path, 0, "corrupt gzip data: inflate went no further");
          if (!fill()) throw InputError(path, 0, "truncated gzip data");
          continue;
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR)
          throw InputError(path, 0, std::string("corrupt gzip data: ") + (z.msg != nullptr ? z.msg : "inflate failed"));
      }
    }
  } catch (const std::bad_alloc&) {
    throw InputError(path, 0, fmt::format("does not fit in memory (more than {} MiB read)", used >> 20));
  }
  out.resize(used);
  out.shrink_to_fit();
  return out;
}

}  // namespace

FileStamp file_stamp(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw InputError(path, 0, std::string("cannot open: ") + std::strerror(errno));
  return {static_cast<std::uint64_t>(st.st_size),
          static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

FileBytes::FileBytes(const std::string& path) {
  const Fd fd(path == "-" ? ::fcntl(0, F_DUPFD_CLOEXEC, 0) : ::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) throw InputError(path, 0, std::string("cannot open: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw InputError(path, 0, std::string("cannot stat: ") + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) throw InputError(path, 0, "is a directory, not a data file");
  mtime_ns_ = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  unsigned char magic[2] = {0, 0};
  const bool regular = S_ISREG(st.st_mode);
  const bool gzip = regular && ::pread(fd.get(), magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
  if (!regular || gzip) {
    // A pipe, FIFO or device (streamed: its size is not known before the end), or gzip data.
    inflated_ = read_through_zlib(path, ::fcntl(fd.get(), F_DUPFD_CLOEXEC, 0), compressed_);
    data_ = inflated_.data();
    size_ = inflated_.size();
    file_size_ = regular ? static_cast<std::uint64_t>(st.st_size) : size_;
    return;
  }
  file_size_ = static_cast<std::uint64_t>(st.st_size);
  if (file_size_ == 0) return;
  void* p = ::mmap(nullptr, file_size_, PROT_READ, MAP_PRIVATE, fd.get(), 0);
  if (p == MAP_FAILED) throw InputError(path, 0, std::string("cannot map: ") + std::strerror(errno));
  (void)::madvise(p, file_size_, MADV_SEQUENTIAL);
  mapping_ = p;
  mapped_size_ = file_size_;
  fd_ = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, 0);  // (-1: read() copies from the mapping)
  path_ = path;
  data_ = static_cast<const char*>(p);
  size_ = file_size_;
}

void FileBytes::release(std::string_view part) const noexcept {
  if (mapping_ != nullptr) detail::advise_pages(part.data(), part.size(), detail::PageAdvice::kRelease);
}

FileBytes::FileBytes(FileBytes&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)),
      mapping_(std::exchange(other.mapping_, nullptr)), mapped_size_(std::exchange(other.mapped_size_, 0)),
      fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)),
      inflated_(std::move(other.inflated_)), compressed_(other.compressed_), file_size_(other.file_size_),
      mtime_ns_(other.mtime_ns_) {
  if (mapping_ == nullptr && !inflated_.empty()) data_ = inflated_.data();
}

FileBytes::~FileBytes() {
  if (mapping_ != nullptr) ::munmap(mapping_, mapped_size_);
  if (fd_ >= 0) ::close(fd_);
}

std::string_view FileBytes::read(std::string_view part, std::vector<char>& buffer) const {
  if (fd_ < 0) return part;  // in memory already (or a mapping without a descriptor): nothing to read
  if (buffer.size() < part.size()) buffer.resize(part.size());
  auto at = static_cast<off_t>(part.data() - data_);
  std::size_t done = 0;
  while (done < part.size()) {
    const ssize_t n = ::pread(fd_, buffer.data() + done, part.size() - done, at);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      throw InputError(path_, 0, n < 0 ? "read failed: " + std::string(std::strerror(errno)) : "the file got shorter while read");
    done += static_cast<std::size_t>(n);
    at += n;
  }
  return {buffer.data(), part.size()};
}

}  // namespace dsgd
