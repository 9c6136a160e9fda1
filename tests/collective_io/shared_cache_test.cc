// The binary cache read and written by processes together (here threads with a ThreadComm
// each): each process loads exactly its rows of a cache, and processes reading the text write
// one cache together that equals the one a single process writes.
#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "dsgd/collective_io/read_part.h"
#include "dsgd/comm/thread_comm.h"
#include "dsgd/data/reader.h"
#include "read_results.h"

namespace dsgd {
namespace {

namespace fs = std::filesystem;
using testing_support::copy_of;
using testing_support::rows_of;

ReadOptions with_cache() { return {.cache = true}; }

// Process p of `processes` holds the rows from rows * p / processes on.
FirstRowOf even_split(int processes) {
  return [processes](std::size_t rows, int p) {
    return rows * static_cast<std::size_t>(p) / static_cast<std::size_t>(processes);
  };
}

class SharedCache : public ::testing::TestWithParam<const char*> {};

TEST_P(SharedCache, EachProcessLoadsItsRowsOfTheCache) {
  const std::string path = copy_of(GetParam());
  const ReadResult whole = read_data(path, with_cache());
  const auto all_rows = rows_of(whole.data);
  for (const int processes : {2, 3}) {
    std::vector<std::optional<ReadResult>> parts(static_cast<std::size_t>(processes));
    run_threads(processes, [&](Communicator& comm) {
      parts[static_cast<std::size_t>(comm.rank())] = read_data_part(path, with_cache(), comm, even_split(processes));
    });
    std::size_t next = 0;
    for (const auto& part : parts) {
      ASSERT_TRUE(part->from_cache) << part->cache_note;
      EXPECT_EQ(part->data.first_row(), next);
      const auto rows = rows_of(part->data);
      for (std::size_t i = 0; i < rows.size(); ++i) ASSERT_EQ(rows[i], all_rows[next + i]);
      next += rows.size();
    }
    EXPECT_EQ(next, whole.total_rows);
  }
}

TEST_P(SharedCache, ProcessesReadingTheTextWriteTheCacheTogether) {
  const ReadResult text = read_data(copy_of(GetParam()), {});
  for (const int processes : {1, 2, 3}) {
    const std::string path = copy_of(GetParam());
    std::vector<std::string> notes(static_cast<std::size_t>(processes));
    run_threads(processes, [&](Communicator& comm) {
      const ReadResult part = read_data_part(path, with_cache(), comm, even_split(processes));
      notes[static_cast<std::size_t>(comm.rank())] = part.cache_note;
    });
    for (const std::string& note : notes)
      EXPECT_NE(note.find("written by the ranks together (there was none)"), std::string::npos) << note;
    const ReadResult cached = read_data(path, with_cache());
    ASSERT_TRUE(cached.from_cache) << processes << " processes: " << cached.cache_note;
    testing_support::expect_same_file(text, cached);
    EXPECT_EQ(rows_of(text.data), rows_of(cached.data));
    EXPECT_EQ(std::distance(fs::directory_iterator(fs::path(path).parent_path()), fs::directory_iterator()), 2)
        << "a temporary file was left behind";
  }
}

INSTANTIATE_TEST_SUITE_P(Files, SharedCache,
                         ::testing::Values("heart_scale", "a9a.gz", "breast_cancer.csv", "comments.libsvm",
                                           "empty_features.libsvm", "labels_01.libsvm", "explicit_zeros.libsvm"));

}  // namespace
}  // namespace dsgd
