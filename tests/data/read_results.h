#pragma once
// What the reader tests share: a private copy of a test file, and what they compare: the rows of a data set whatever its storage, and the figures a
// read gives about its whole file.
#include <gtest/gtest.h>

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "dsgd/data/reader.h"

namespace dsgd::testing_support {

// The folders copy_of made, removed when the test program ends.
struct MadeFolders {
  std::vector<std::string> paths;
  ~MadeFolders() {
    for (const std::string& p : paths) {
      std::error_code ignored;
      std::filesystem::remove_all(p, ignored);
    }
  }
};
inline MadeFolders& made_folders() {
  static MadeFolders folders;
  return folders;
}

// A copy of test file `name` in a folder of its own, new (mkdtemp: a folder a process of a
// reused pid left behind is never met again; so its cache is written there), removed at exit.
inline std::string copy_of(const std::string& name) {
  namespace fs = std::filesystem;
  std::string pattern = (fs::path(testing::TempDir()) / "dsgd_test_XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + pattern);
  made_folders().paths.push_back(pattern);
  const fs::path to = fs::path(pattern) / name;
  fs::copy_file(fs::path(DSGD_TEST_DATA) / name, to, fs::copy_options::overwrite_existing);
  return to.string();
}

// The rows of `d` as (label, column, value, column, value, ...), whatever the storage and dtype.
inline std::vector<std::vector<double>> rows_of(const Dataset& d) {
  const Dataset sparse = to_layout(d, Layout::kSparse);
  std::vector<std::vector<double>> out;
  sparse.visit([&](const auto& v) {
    if constexpr (requires { v.offsets; }) {
      for (std::size_t i = 0; i < v.rows; ++i) {
        out.push_back({static_cast<double>(v.y[i])});
        for (std::uint64_t k = v.offsets[i]; k < v.offsets[i + 1]; ++k) {
          out.back().push_back(v.index[k]);
          out.back().push_back(v.value_of(k));
        }
      }
    }
  });
  return out;
}

// The figures of the whole file and the shape of the data: the same in every read of a file
// with the same options, whole or in parts, from the text or from the cache.
inline void expect_same_file(const ReadResult& a, const ReadResult& b) {
  EXPECT_EQ(a.total_rows, b.total_rows);
  EXPECT_EQ(a.values, b.values);
  EXPECT_EQ(a.lines, b.lines);
  EXPECT_EQ(a.highest_index, b.highest_index);
  EXPECT_EQ(a.labels, b.labels);
  EXPECT_EQ(a.csv, b.csv);
  EXPECT_EQ(a.data.layout(), b.data.layout());
  EXPECT_EQ(a.data.dtype(), b.data.dtype());
  EXPECT_EQ(a.data.features(), b.data.features());
}

}  // namespace dsgd::testing_support
