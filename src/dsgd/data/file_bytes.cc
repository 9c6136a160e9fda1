#include "dsgd/data/file_bytes.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include <fmt/format.h>

#include "dsgd/error.h"

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

// Reads all of fd (closed here) through zlib: gzip data is decompressed, anything else passed
// through as it is (zlib's transparent mode), so a pipe needs no look ahead. Sets `compressed`.
std::vector<char> read_through_zlib(const std::string& path, int fd, bool& compressed) {
  gzFile in = gzdopen(fd, "rb");
  if (in == nullptr) {
    ::close(fd);
    throw InputError(path, 0, std::string("cannot open: ") + std::strerror(errno));
  }
  (void)gzbuffer(in, 1 << 18);
  std::vector<char> out;
  std::size_t used = 0;
  try {
    while (true) {
      if (out.size() - used < (1 << 20)) out.resize(std::max<std::size_t>(out.size() * 2, 1 << 22));
      const int n =
          gzread(in, out.data() + used, static_cast<unsigned>(std::min<std::size_t>(out.size() - used, 1U << 30)));
      if (n < 0) {
        int code = 0;
        const std::string what = gzerror(in, &code);
        gzclose(in);
        throw InputError(path, 0, code == Z_ERRNO ? "read failed: " + std::string(std::strerror(errno))
                                                  : "corrupt gzip data: " + what);
      }
      if (n == 0) break;
      used += static_cast<std::size_t>(n);
    }
  } catch (const std::bad_alloc&) {
    gzclose(in);
    throw InputError(path, 0, fmt::format("does not fit in memory (more than {} MiB read)", used >> 20));
  }
  compressed = gzdirect(in) == 0;
  // gzread returns 0 both at a clean end and at a truncated stream; gzclose tells them apart.
  const int status = gzclose(in);
  if (status == Z_BUF_ERROR) throw InputError(path, 0, "truncated gzip data");
  if (status != Z_OK) throw InputError(path, 0, "corrupt gzip data");
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
  data_ = static_cast<const char*>(p);
  size_ = file_size_;
}

FileBytes::FileBytes(FileBytes&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)),
      mapping_(std::exchange(other.mapping_, nullptr)), mapped_size_(std::exchange(other.mapped_size_, 0)),
      inflated_(std::move(other.inflated_)), compressed_(other.compressed_), file_size_(other.file_size_),
      mtime_ns_(other.mtime_ns_) {
  if (mapping_ == nullptr && !inflated_.empty()) data_ = inflated_.data();
}

FileBytes::~FileBytes() {
  if (mapping_ != nullptr) ::munmap(mapping_, mapped_size_);
}

}  // namespace dsgd
