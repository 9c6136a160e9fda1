#pragma once
// What the libFuzzer targets share: a scratch folder for the files they read (the readers and
// loaders take paths), and the rule for what a target may throw. The expected errors are the
// typed ones the library documents (InputError, ConfigError and their subclasses); a plain
// dsgd::Error is an internal check that failed, and any other exception (std::bad_alloc,
// std::out_of_range, a JSON library error, ...) escaped a contract: both are findings, and
// so is anything a sanitizer reports.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <string>
#include <string_view>
#include <typeinfo>

#include "dsgd/base/error.h"

namespace dsgd::fuzz {

// A folder of this process's own under $TMPDIR (or /tmp), made on first use and removed at a
// normal exit (a crash leaves it, with the input that caused it).
inline const std::string& scratch_dir() {
  // Never destroyed: the exit handler that removes the folder runs after static destructors.
  static const std::string* const dir = new std::string([] {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/dsgd-fuzz-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      std::perror("dsgd fuzz: mkdtemp");
      std::abort();
    }
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(scratch_dir(), ignored);
    });
    return pattern;
  }());
  return *dir;
}

// The path of `name` inside the scratch folder.
inline std::string scratch_path(std::string_view name) { return scratch_dir() + "/" + std::string(name); }

// Writes `size` bytes to `path` (truncating it); aborts when it cannot (not a finding of the
// code under test, but a fuzzer that cannot run).
inline void write_file(const std::string& path, const void* data, std::size_t size) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr || (size > 0 && std::fwrite(data, 1, size, f) != size) || std::fclose(f) != 0) {
    std::perror(("dsgd fuzz: cannot write " + path).c_str());
    std::abort();
  }
}

// Reports a finding and aborts, so that libFuzzer saves the input as a crash.
[[noreturn]] inline void finding(const std::string& what) {
  std::fprintf(stderr, "dsgd fuzz: FINDING: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

// Calls fn(); returns true when it returned, false when it threw an expected error. Any other
// exception is a finding.
template <typename Fn>
bool expect_typed_errors(Fn&& fn) {
  try {
    fn();
    return true;
  } catch (const InputError&) {
    return false;
  } catch (const ConfigError&) {
    return false;
  } catch (const Error& e) {
    finding(std::string("a plain dsgd::Error (an internal check, not an input error): ") + e.what());
  } catch (const std::exception& e) {
    finding(std::string("an exception that is not a dsgd error (") + typeid(e).name() + "): " + e.what());
  } catch (...) {
    finding("an exception of unknown type");
  }
}

}  // namespace dsgd::fuzz
