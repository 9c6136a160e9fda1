#pragma once
// Typed exceptions of the dsgd library. The library never prints or exits; apps/ turns these
// into one-line messages and exit codes.
#include <cstddef>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace dsgd {

// A training option's name in a message: `field("batch")` marks the configuration field (the
// names of config_fields.h) so that each front end shows it under its own name: what() shows
// the field's ("batch"), the command line its flag ("--batch"), Python its keyword
// ("batch_size"). See Error::named.
[[nodiscard]] std::string field(std::string_view name);

// Names each field marked in `text` by `name_of` (the field's own name when `name_of` is empty).
using FieldNamer = std::function<std::string(std::string_view field)>;
[[nodiscard]] std::string name_fields(std::string_view text, const FieldNamer& name_of);

// Base of every error dsgd throws on purpose.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& text) : std::runtime_error(name_fields(text, {})), text_(text) {}
  // The message with its configuration fields named by `name_of` (what() names them as fields).
  [[nodiscard]] std::string named(const FieldNamer& name_of) const { return name_fields(text_, name_of); }

 private:
  std::string text_;  // with the fields marked
};

// An option or a combination of options that cannot be run (exit code 2 in the CLI).
class ConfigError : public Error {
 public:
  using Error::Error;
};

// A file that cannot be read or written, or whose contents are malformed. Carries the file and,
// where known, the 1-based line, and formats itself as "file:line: what".
class InputError : public Error {
 public:
  InputError(std::string file, std::size_t line, const std::string& what)
      : Error(format(file, line, what)), file_(std::move(file)), line_(line), message_(what) {}
  [[nodiscard]] const std::string& file() const noexcept { return file_; }
  [[nodiscard]] std::size_t line() const noexcept { return line_; }
  // What is wrong, without the file and line.
  [[nodiscard]] const std::string& message() const noexcept { return message_; }

 private:
  // "-" is standard input (or output).
  static std::string format(const std::string& file, std::size_t line, const std::string& what) {
    std::string out = file == "-" ? std::string("stdin") : file;
    if (line != 0) out.append(":").append(std::to_string(line));
    return out.append(": ").append(what);
  }
  std::string file_;
  std::size_t line_;
  std::string message_;
};

// An InputError that every process of a cluster throws alike, having agreed on it through a
// collective (a file read in parts: the first malformed line of any part). The CLI reports it
// once and ends every process with exit code 1, rather than aborting the job.
class SharedInputError : public InputError {
 public:
  using InputError::InputError;
};

// Training whose loss, gradient or weights left the finite doubles (a rate far too high, or
// features that overflow). Decided from sums and weights every worker holds alike, so every
// worker (and process) throws it at the same step; the CLI reports it once, exit code 1.
class DivergedError : public Error {
 public:
  using Error::Error;
};

// Training stopped by its caller (WorkerJob::stop, set by a signal handler or another thread):
// every worker learns of it at the same epoch's end and throws it, and nothing is returned.
class Interrupted : public Error {
 public:
  using Error::Error;
};

// A collective that cannot complete: a peer failed, or the group was aborted.
class CommError : public Error {
 public:
  using Error::Error;
};

}  // namespace dsgd
