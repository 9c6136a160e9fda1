#include "dsgd/base/atomic_file.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <vector>

#include "dsgd/base/error.h"

namespace dsgd {
namespace {

std::string system_error() { return std::strerror(errno); }

// The temporaries this process has open, each a malloc'ed path or null; read by a signal
// handler, so plain atomics and no locks.
constexpr std::size_t kSlots = 64;
std::array<std::atomic<char*>, kSlots> g_temporaries{};

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "host";
  std::string out;
  for (const char* p = name; *p != 0; ++p) out += (*p == '.' || *p == '/') ? '_' : *p;  // dots separate fields
  return out.empty() ? "host" : out;
}

std::filesystem::path folder_of(const std::string& path) {
  const std::filesystem::path folder = std::filesystem::path(path).parent_path();
  return folder.empty() ? std::filesystem::path(".") : folder;
}

// The file a path ends at once its symlinks are followed (it need not exist); the path itself
// when it is no symlink.
std::string final_target(std::string path) {
  namespace fs = std::filesystem;
  for (int hop = 0; hop < 40; ++hop) {
    std::error_code ec;
    if (!fs::is_symlink(fs::symlink_status(path, ec))) return path;
    const fs::path link = fs::read_symlink(path, ec);
    if (ec) return path;
    path = link.is_absolute() ? link.string() : (fs::path(path).parent_path() / link).string();
  }
  throw InputError(path, 0, "too many levels of symbolic links");
}

}  // namespace

namespace {
std::FILE* g_standard_output = nullptr;  // set by reserve_standard_output
std::FILE* standard_output() { return g_standard_output != nullptr ? g_standard_output : stdout; }
// The names of this process's standard output and of its open files under /dev and /proc.
bool names_standard_output(const std::string& path) {
  return path == "-" || path == "/dev/stdout" || path == "/dev/fd/1" || path == "/proc/self/fd/1";
}
bool names_open_file(const std::string& path) {
  return path == "/dev/stderr" || path.starts_with("/dev/fd/") || path.starts_with("/proc/self/fd/");
}
// "stdout" for "-" in messages.
std::string shown(const std::string& path) { return path == "-" ? "stdout" : path; }
}  // namespace

bool is_standard_output(const std::string& path) noexcept {
  if (names_standard_output(path)) return true;
  // The pipe or socket that standard output is (fd 1, or what it was before it was reserved).
  struct stat a {}, b {};
  const int fd = g_standard_output != nullptr ? ::fileno(g_standard_output) : 1;
  return ::stat(path.c_str(), &a) == 0 && (S_ISFIFO(a.st_mode) || S_ISSOCK(a.st_mode)) && ::fstat(fd, &b) == 0 &&
         a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

void reserve_standard_output() {
  if (g_standard_output != nullptr) return;
  std::fflush(stdout);
  const int copy = ::fcntl(1, F_DUPFD_CLOEXEC, 3);
  if (copy < 0) throw Error("cannot keep standard output: " + system_error());
  std::FILE* kept = ::fdopen(copy, "w");
  if (kept == nullptr) {
    ::close(copy);
    throw Error("cannot keep standard output: " + system_error());
  }
  if (::dup2(2, 1) < 0) {  // no standard error to send the report to
    std::fclose(kept);
    throw Error("cannot send the report to standard error: " + system_error());
  }
  g_standard_output = kept;
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
}

std::string temporary_prefix(const std::string& path) {
  return path + ".tmp." + host_name() + "." + std::to_string(::getpid()) + ".";
}

namespace {
// Removes, in `folder`, the files "NAME.tmp.HOST.PID.*" of this host whose process no longer
// runs and whose NAME passes `wanted`.
template <typename Wanted>
void remove_dead_temporaries(const std::filesystem::path& folder, const Wanted& wanted) {
  const std::string marker = ".tmp." + host_name() + ".";
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(folder, ec)) {
    const std::string name = entry.path().filename().string();
    const std::size_t at = name.rfind(marker);
    if (at == std::string::npos || !wanted(std::string_view(name).substr(0, at))) continue;
    const std::string_view rest = std::string_view(name).substr(at + marker.size());
    long pid = 0;
    const auto [end, err] = std::from_chars(rest.data(), rest.data() + rest.size(), pid);
    if (err != std::errc() || end == rest.data() || end == rest.data() + rest.size() || *end != '.' || pid <= 0)
      continue;
    if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) std::filesystem::remove(entry.path(), ec);
  }
}
}  // namespace

void remove_stale_temporaries(const std::string& path) {
  const std::string name = std::filesystem::path(path).filename().string();
  remove_dead_temporaries(folder_of(path), [&](std::string_view of) { return of == name; });
}

void remove_stale_temporaries_in(const std::string& folder, const std::string& name_start) {
  remove_dead_temporaries(folder, [&](std::string_view of) { return of.starts_with(name_start); });
}

int track_temporary(const std::string& path) noexcept {
  char* copy = ::strdup(path.c_str());
  if (copy == nullptr) return -1;
  for (std::size_t k = 0; k < kSlots; ++k) {
    char* expected = nullptr;
    if (g_temporaries[k].compare_exchange_strong(expected, copy)) return static_cast<int>(k);
  }
  std::free(copy);
  return -1;
}

void untrack_temporary(int slot) noexcept {
  if (slot < 0) return;
  std::free(g_temporaries[static_cast<std::size_t>(slot)].exchange(nullptr));
}

void remove_temporaries() noexcept {
  for (auto& slot : g_temporaries) {
    if (const char* path = slot.load(); path != nullptr) (void)::unlink(path);
  }
}

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  if (path_.empty()) throw InputError(path_, 0, "an empty output path");
  struct stat st {};
  if (is_standard_output(path_)) {
    path_ = "-";
    through_ = true;
    return;
  }
  const bool exists = ::stat(path_.c_str(), &st) == 0;
  if (exists && S_ISDIR(st.st_mode)) throw InputError(path_, 0, "is a folder, not a file");
  // A device, FIFO or socket (through any symlinks), or an open file's /dev or /proc name
  // (/dev/stderr, /dev/fd/N; when it is a regular file, the shell's redirect: written in place).
  if ((exists && !S_ISREG(st.st_mode)) || names_open_file(path_)) {
    if (::access(path_.c_str(), W_OK) != 0) throw InputError(path_, 0, "cannot write: " + system_error());
    through_ = true;
    return;
  }
  target_ = final_target(path_);
  const std::string folder = folder_of(target_).string();
  if (::stat(folder.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw InputError(path_, 0, "cannot create a file here: no folder " + folder);
  if (::access(folder.c_str(), W_OK | X_OK) != 0) throw InputError(path_, 0, "cannot create a file here: " + system_error());
  remove_stale_temporaries(target_);
}

std::FILE* AtomicFile::stream() {
  if (file_ != nullptr) return file_;
  if (prepared_) throw Error("AtomicFile: written after prepare()");
  if (through_) {
    // Written in place at publish: the content is held in memory until then, so a failure before
    // (or another output's) writes nothing there, and a FIFO is opened only once all is ready.
    file_ = ::open_memstream(&buffer_, &buffer_size_);
    if (file_ == nullptr) throw InputError(shown(path_), 0, "cannot hold the output: " + system_error());
    return file_;
  }
  std::string pattern = temporary_prefix(target_) + "XXXXXX";
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  const int fd = ::mkstemp(name.data());
  if (fd < 0) throw InputError(path_, 0, "cannot create a file here: " + system_error());
  temp_path_ = name.data();
  slot_ = track_temporary(temp_path_);
  file_ = ::fdopen(fd, "w");
  if (file_ == nullptr) {
    ::close(fd);
    discard();
    throw InputError(path_, 0, "cannot open for writing: " + system_error());
  }
  return file_;
}

void AtomicFile::discard() noexcept {
  if (file_ != nullptr) std::fclose(file_);
  file_ = nullptr;
  std::free(std::exchange(buffer_, nullptr));
  buffer_size_ = 0;
  if (!temp_path_.empty()) ::unlink(temp_path_.c_str());
  temp_path_.clear();
  untrack_temporary(std::exchange(slot_, -1));
  prepared_ = false;
}

AtomicFile::~AtomicFile() { discard(); }

void AtomicFile::prepare() {
  (void)stream();  // an empty file is a file too
  if (through_) {  // the content complete in memory; written at publish
    const bool failed = std::ferror(file_) != 0;
    const bool close_failed = std::fclose(file_) != 0;
    file_ = nullptr;
    if (failed || close_failed) {
      discard();
      throw InputError(shown(path_), 0, "cannot hold the output in memory");
    }
    prepared_ = true;
    return;
  }
  const bool write_failed = std::ferror(file_) != 0;
  const bool flush_failed = std::fflush(file_) != 0;
  const bool sync_failed = !write_failed && !flush_failed && ::fsync(::fileno(file_)) != 0;
  const int saved_errno = errno;
  const bool close_failed = std::fclose(file_) != 0;
  file_ = nullptr;
  if (write_failed || flush_failed || sync_failed || close_failed) {
    errno = saved_errno;
    const std::string why = system_error();
    discard();
    throw InputError(path_, 0, "write failed: " + why);
  }
  // mkstemp creates 0600; give the file the permissions of the one it replaces, or the usual
  // ones of a new file.
  struct stat old {};
  if (::stat(target_.c_str(), &old) == 0) {
    (void)::chmod(temp_path_.c_str(), old.st_mode & 07777);
  } else {
    const mode_t mask = ::umask(0);
    ::umask(mask);
    (void)::chmod(temp_path_.c_str(), 0666 & ~mask);
  }
  prepared_ = true;
}

void AtomicFile::publish() {
  if (!prepared_) throw Error("AtomicFile: publish() before prepare()");
  if (through_) {
    std::FILE* out = path_ == "-" ? standard_output() : std::fopen(path_.c_str(), "w");
    if (out == nullptr) {
      const std::string why = system_error();
      discard();
      throw InputError(path_, 0, "cannot open for writing: " + why);
    }
    const bool written = std::fwrite(buffer_, 1, buffer_size_, out) == buffer_size_ && std::fflush(out) == 0;
    const std::string why = system_error();
    const bool closed = path_ == "-" || std::fclose(out) == 0;
    discard();
    if (!written || !closed) throw InputError(shown(path_), 0, "write failed: " + why);
    return;
  }
  if (std::rename(temp_path_.c_str(), target_.c_str()) != 0) {
    const std::string why = system_error();
    discard();
    throw InputError(path_, 0, "cannot rename the finished file into place: " + why);
  }
  temp_path_.clear();
  untrack_temporary(std::exchange(slot_, -1));
  prepared_ = false;
  // The rename is durable once the folder is synced.
  const int folder = ::open(folder_of(target_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (folder >= 0) {
    (void)::fsync(folder);
    ::close(folder);
  }
}

void AtomicFile::commit() {
  prepare();
  publish();
}

void commit_together(std::span<AtomicFile* const> files) {
  for (AtomicFile* f : files) f->prepare();
  // Files first (a rename that fails leaves nothing written through), then the outputs written
  // in place.
  for (AtomicFile* f : files) {
    if (!f->written_through()) f->publish();
  }
  for (AtomicFile* f : files) {
    if (f->written_through()) f->publish();
  }
}

}  // namespace dsgd
