#pragma once
// A file that appears at its path complete or not at all. Opening one only checks that the path
// can be written (its folder exists and takes files, the path is no folder) and removes stale
// temporaries of that path: ones that a process of this host which no longer runs left behind
// (killed by SIGKILL, or by a crash). The temporary file, PATH.tmp.HOST.PID.XXXXXX in the same
// folder, is created only when the content is written (stream()), and commit() flushes it,
// fsyncs it, renames it over the path and fsyncs the folder. Destroyed without commit() (an
// exception on the way), it removes the temporary file and leaves any old file at the path
// untouched. Every temporary a process has open is listed, so that a signal handler can remove
// them all (remove_temporaries), and several files can be committed together: all written
// and synced first, then all renamed, so a failed write commits none.
// Outputs as Unix tools treat them: "-" is standard output; a path that is a device, a FIFO or
// a socket (/dev/stdout, /dev/null, a named pipe), or an open file's name (/dev/stderr,
// /dev/fd/N), is written through, in place: its content is held in memory and written at
// commit (after the files committed with it); a symlink keeps pointing where it did, and its
// final target is the file replaced atomically.
#include <cstdio>
#include <span>
#include <string>
#include <utility>

namespace dsgd {

class AtomicFile {
 public:
  // Throws InputError naming the path if it cannot be written.
  explicit AtomicFile(std::string path);
  AtomicFile(AtomicFile&& other) noexcept
      : path_(std::move(other.path_)),
        target_(std::move(other.target_)),
        through_(other.through_),
        temp_path_(std::move(other.temp_path_)),
        buffer_(std::exchange(other.buffer_, nullptr)),
        buffer_size_(std::exchange(other.buffer_size_, 0)),
        file_(std::exchange(other.file_, nullptr)),
        slot_(std::exchange(other.slot_, -1)),
        prepared_(std::exchange(other.prepared_, false)) {}
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  AtomicFile& operator=(AtomicFile&&) = delete;
  ~AtomicFile();

  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  // Written in place (standard output, a device, a FIFO), not through a temporary file.
  [[nodiscard]] bool written_through() const noexcept { return through_; }
  // The stream to write into; the first call creates the temporary file (InputError if it
  // cannot).
  [[nodiscard]] std::FILE* stream();
  // prepare() then publish().
  void commit();
  // Flushes, fsyncs and closes the temporary file; throws InputError if any write failed (the
  // temporary file is then removed).
  void prepare();
  // Renames the prepared file into place and fsyncs the folder; throws InputError if it cannot.
  void publish();

 private:
  void discard() noexcept;

  std::string path_;
  std::string target_;    // the file replaced: path_, or the final target of a symlink
  bool through_ = false;  // written in place at commit (see above)
  std::string temp_path_;
  char* buffer_ = nullptr;  // written through: the content, until publish
  std::size_t buffer_size_ = 0;
  std::FILE* file_ = nullptr;
  int slot_ = -1;  // in the list of open temporaries
  bool prepared_ = false;
};

// Prepares every file, then publishes every one: all of them appear, or (a write failed) none.
void commit_together(std::span<AtomicFile* const> files);

// Removes every temporary file this process has open (AtomicFile's and any named to
// track_temporary). Async-signal-safe: for SIGINT and SIGTERM handlers.
void remove_temporaries() noexcept;

// Lists a temporary file made by other means (a cache written by several processes) for
// remove_temporaries(), until untrack_temporary(slot); returns the slot (-1 if the list is full).
[[nodiscard]] int track_temporary(const std::string& path) noexcept;
void untrack_temporary(int slot) noexcept;

// Whether an output path is this process's standard output ("-", /dev/stdout, /dev/fd/1,
// /proc/self/fd/1, or the device or pipe that fd 1 is).
[[nodiscard]] bool is_standard_output(const std::string& path) noexcept;
// Keeps standard output for the outputs written to it ("-"): from now on fd 1 (stdout, where
// the commands print their reports) is a copy of standard error, and those outputs are written
// to the original standard output. Idempotent.
void reserve_standard_output();

// "PATH.tmp.HOST.PID.": how this process's temporaries of `path` begin (HOST without dots).
[[nodiscard]] std::string temporary_prefix(const std::string& path);
// Removes the temporaries of `path` that processes of this host left and that no longer run.
void remove_stale_temporaries(const std::string& path);
// The same for every file of `folder` whose name starts with `name_start` (a folder of
// checkpoints, each step's file named apart).
void remove_stale_temporaries_in(const std::string& folder, const std::string& name_start);

}  // namespace dsgd
