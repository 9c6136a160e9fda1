#pragma once
// A file that appears at its path complete or not at all: written to a temporary file in the
// same folder and renamed over the path by commit(). Destroyed without commit() (an exception
// on the way), it removes the temporary file and leaves any old file at the path untouched.
#include <cstdio>
#include <string>
#include <utility>

namespace dsgd {

class AtomicFile {
 public:
  // Throws InputError naming the path if the temporary file cannot be created.
  explicit AtomicFile(std::string path);
  AtomicFile(AtomicFile&& other) noexcept
      : path_(std::move(other.path_)), temp_path_(std::move(other.temp_path_)), file_(std::exchange(other.file_, nullptr)) {}
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  AtomicFile& operator=(AtomicFile&&) = delete;
  ~AtomicFile();

  [[nodiscard]] std::FILE* stream() const noexcept { return file_; }
  // Flushes, closes and renames into place; throws InputError if any write failed.
  void commit();

 private:
  std::string path_;
  std::string temp_path_;
  std::FILE* file_ = nullptr;
};

}  // namespace dsgd
