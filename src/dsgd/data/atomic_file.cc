#include "dsgd/data/atomic_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "dsgd/error.h"

namespace dsgd {
namespace {
std::string system_error() { return std::strerror(errno); }
}  // namespace

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  std::vector<char> name(path_.begin(), path_.end());
  const char suffix[] = ".tmp.XXXXXX";
  name.insert(name.end(), suffix, suffix + sizeof(suffix));  // with the terminating 0
  const int fd = ::mkstemp(name.data());
  if (fd < 0) throw InputError(path_, 0, "cannot create a file here: " + system_error());
  temp_path_ = name.data();
  file_ = ::fdopen(fd, "w");
  if (file_ == nullptr) {
    ::close(fd);
    ::unlink(temp_path_.c_str());
    throw InputError(path_, 0, "cannot open for writing: " + system_error());
  }
}

AtomicFile::~AtomicFile() {
  if (file_ != nullptr) {
    std::fclose(file_);
    ::unlink(temp_path_.c_str());
  }
}

void AtomicFile::commit() {
  const bool write_failed = std::ferror(file_) != 0;
  const bool flush_failed = std::fflush(file_) != 0;
  const int saved_errno = errno;
  const bool close_failed = std::fclose(file_) != 0;
  file_ = nullptr;
  if (write_failed || flush_failed || close_failed) {
    ::unlink(temp_path_.c_str());
    errno = saved_errno;
    throw InputError(path_, 0, "write failed: " + system_error());
  }
  // mkstemp creates 0600; give the file the usual permissions of a new file.
  const mode_t mask = ::umask(0);
  ::umask(mask);
  (void)::chmod(temp_path_.c_str(), 0666 & ~mask);
  if (std::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    const std::string why = system_error();
    ::unlink(temp_path_.c_str());
    throw InputError(path_, 0, "cannot rename the finished file into place: " + why);
  }
}

}  // namespace dsgd
