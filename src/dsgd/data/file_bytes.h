#pragma once
// The bytes of an input file, whole and read-only: memory-mapped when plain, decompressed into
// memory when gzip (recognised by its magic bytes, whatever the name). "-" is standard input;
// a pipe, FIFO or device (standard input too, unless redirected from a file) is read to its end
// into memory, gzip or not, without asking its size.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dsgd {

// A file's size and modification time (ns since the epoch), as stat() gives them.
struct FileStamp {
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
};
// Throws InputError naming the path when it cannot be stat'ed.
[[nodiscard]] FileStamp file_stamp(const std::string& path);

class FileBytes {
 public:
  // Throws InputError naming the path when it cannot be opened, mapped or decompressed.
  explicit FileBytes(const std::string& path);
  FileBytes(FileBytes&& other) noexcept;
  FileBytes(const FileBytes&) = delete;
  FileBytes& operator=(const FileBytes&) = delete;
  FileBytes& operator=(FileBytes&&) = delete;
  ~FileBytes();

  [[nodiscard]] std::string_view text() const noexcept { return {data_, size_}; }
  [[nodiscard]] bool compressed() const noexcept { return compressed_; }
  // A piece of text() (`part`) to parse: for a mapped file, read into `buffer` (resized to fit)
  // without faulting its pages in (on a VM a read costs a third of the page faults of the same
  // bytes); bytes held in memory (gzip, pipes) as they are. Throws InputError naming the file
  // when the read fails.
  [[nodiscard]] std::string_view read(std::string_view part, std::vector<char>& buffer) const;
  // Gives back the memory of the pages that lie wholly inside `part` (a piece of text()) once
  // they have been read: a mapped file's pages leave this process (the file keeps them, and a
  // later read maps them again), so a pass over a large file holds little of it at a time.
  // Bytes held in memory (gzip, pipes) stay.
  void release(std::string_view part) const noexcept;
  // Size and modification time (ns since the epoch) of the file on disk.
  [[nodiscard]] std::uint64_t file_size() const noexcept { return file_size_; }
  [[nodiscard]] std::int64_t mtime_ns() const noexcept { return mtime_ns_; }

 private:
  const char* data_ = nullptr;
  std::size_t size_ = 0;
  void* mapping_ = nullptr;      // mmap'ed region (plain files)
  std::size_t mapped_size_ = 0;
  int fd_ = -1;                  // the mapped file, open for read()
  std::string path_;
  std::vector<char> inflated_;   // decompressed bytes (gzip files)
  bool compressed_ = false;
  std::uint64_t file_size_ = 0;
  std::int64_t mtime_ns_ = 0;
};

}  // namespace dsgd
