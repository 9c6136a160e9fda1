// read_data_part: processes (here threads with a ThreadComm each) reading only their rows of a
// file get exactly read_data's rows, and every process gets the same error as read_data.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <string>
#include <vector>

#include "dsgd/collective_io/read_part.h"
#include "dsgd/comm/thread_comm.h"
#include "dsgd/data/reader.h"
#include "dsgd/base/error.h"
#include "read_results.h"

namespace dsgd {
namespace {

std::string file(const std::string& name) { return std::string(DSGD_TEST_DATA) + "/" + name; }

// Process p's rows: an uneven split, so the part boundaries are not the byte ranges'.
std::size_t first_row(std::size_t rows, int process, int processes) {
  return rows * static_cast<std::size_t>(process) * static_cast<std::size_t>(process) /
         (static_cast<std::size_t>(processes) * static_cast<std::size_t>(processes));
}

using testing_support::rows_of;

// Every process's ReadResult, or its error message ("" when none).
struct PartResults {
  std::vector<std::optional<ReadResult>> parts;
  std::vector<std::string> errors;
};

PartResults read_parts(const std::string& path, int processes, ReadOptions options) {
  PartResults out{std::vector<std::optional<ReadResult>>(static_cast<std::size_t>(processes)),
                  std::vector<std::string>(static_cast<std::size_t>(processes))};
  run_threads(processes, [&](Communicator& comm) {
    const auto r = static_cast<std::size_t>(comm.rank());
    try {
      out.parts[r] = read_data_part(path, options, comm,
                                    [&](std::size_t rows, int p) { return first_row(rows, p, processes); });
    } catch (const SharedInputError& e) {
      out.errors[r] = e.what();
    }
  });
  return out;
}

class PartReader : public ::testing::TestWithParam<const char*> {};

TEST_P(PartReader, EachProcessGetsExactlyItsRowsOfTheWholeRead) {
  for (const Storage storage : {Storage::kAuto, Storage::kDense, Storage::kSparse}) {
    const ReadResult whole = read_data(file(GetParam()), {.storage = storage});
    const auto whole_rows = rows_of(whole.data);
    for (const int processes : {1, 2, 3, 5}) {
      for (const int threads : {1, 2}) {
        const PartResults got = read_parts(file(GetParam()), processes, {.storage = storage, .threads = threads});
        std::size_t next = 0;
        for (int p = 0; p < processes; ++p) {
          SCOPED_TRACE(testing::Message() << processes << " processes, process " << p << ", " << threads << " threads");
          ASSERT_EQ(got.errors[static_cast<std::size_t>(p)], "");
          const ReadResult& part = *got.parts[static_cast<std::size_t>(p)];
          testing_support::expect_same_file(part, whole);
          EXPECT_EQ(part.data.first_row(), next);
          EXPECT_EQ(part.data.first_row(), first_row(whole.total_rows, p, processes));
          const auto part_rows = rows_of(part.data);
          for (std::size_t i = 0; i < part.data.rows(); ++i) ASSERT_EQ(part_rows[i], whole_rows[next + i]);
          next += part.data.rows();
        }
        EXPECT_EQ(next, whole.data.rows());
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Files, PartReader,
                         ::testing::Values("heart_scale", "comments.libsvm", "crlf.libsvm", "empty_features.libsvm",
                                           "a9a.gz", "breast_cancer.csv", "no_header.csv"));

TEST(PartReaderErrors, EveryProcessReportsTheErrorReadDataReports) {
  const std::vector<std::pair<std::string, ReadOptions>> cases = {
      {"bad_value.libsvm", {}},     {"bad_label.libsvm", {}},     {"index_zero.libsvm", {}},
      {"not_ascending.libsvm", {}}, {"missing_label.libsvm", {}}, {"third_label.libsvm", {}},
      {"one_class.libsvm", {}},     {"empty.libsvm", {}},         {"no_such_file", {}},
      {"ragged.csv", {}},           {"missing_value.csv", {}},    {"high_index.libsvm", {.features = 3}},
      {"labels_12.libsvm", {.labels = LabelMap{-1, 1}}},
  };
  for (const auto& [name, options] : cases) {
    std::string expected;
    try {
      (void)read_data(file(name), options);
    } catch (const InputError& e) {
      expected = e.what();
    }
    ASSERT_NE(expected, "") << name;
    for (const int processes : {1, 2, 3}) {
      const PartResults got = read_parts(file(name), processes, options);
      for (const std::string& error : got.errors) EXPECT_EQ(error, expected) << name << " on " << processes;
    }
  }
}

TEST(PartReaderErrors, TheFirstMalformedLineInTheFileWinsWhicheverProcessHasIt) {
  // Two malformed lines far apart: each process sees at most one of them.
  std::string text;
  for (int i = 0; i < 200; ++i) text += i == 20 ? "1 2:x\n" : i == 150 ? "-1 0:1\n" : (i % 2 ? "1 1:1\n" : "-1 2:1\n");
  const std::string path = testing::TempDir() + "/two_errors.libsvm";
  std::FILE* f = std::fopen(path.c_str(), "w");
  std::fputs(text.c_str(), f);
  std::fclose(f);
  for (const int processes : {1, 2, 4}) {
    const PartResults got = read_parts(path, processes, {});
    for (const std::string& error : got.errors) EXPECT_NE(error.find(":21: bad value 'x'"), std::string::npos) << error;
  }
}

TEST(PartReader, DroppedValuesBeyondAModelAreCountedOverAllProcesses) {
  const ReadResult whole = read_data(file("high_index.libsvm"), {.features = 3, .drop_beyond = true});
  const PartResults got = read_parts(file("high_index.libsvm"), 2, {.features = 3, .drop_beyond = true});
  for (const auto& part : got.parts) {
    EXPECT_EQ(part->dropped, whole.dropped);
    EXPECT_EQ(part->first_dropped_line, whole.first_dropped_line);
  }
}

// Copies that differ between processes (a stale copy on one host): a shorter one, one with other
// bytes of the same size, one with another time. Every process ends with the same one-line
// error naming the rank, never a crash or a hang; with or without a cache.
TEST(PartReader, ProcessesWhoseCopiesDifferAllStopWithOneMessage) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("dsgd_copies_" + std::to_string(::getpid()));
  fs::remove_all(dir);  // one a process of a reused pid left
  fs::create_directories(dir);
  const std::string original = (dir / "a.libsvm").string();
  fs::copy_file(file("heart_scale"), original, fs::copy_options::overwrite_existing);
  const auto text = [&](const std::string& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  const std::string bytes = text(original);
  std::string flipped = bytes;  // one digit near the first split point of 3 processes' ranges
  std::size_t at = bytes.size() / 3;
  while (!std::isdigit(static_cast<unsigned char>(flipped[at]))) ++at;
  flipped[at] = flipped[at] == '1' ? '2' : '1';
  const std::vector<std::pair<std::string, std::string>> copies = {
      {bytes.substr(0, bytes.size() / 2 + bytes.substr(bytes.size() / 2).find('\n') + 1), "bytes against rank 0's"},
      {flipped, "checksum differs"},
      {bytes, "modified at another time"}};
  for (const bool cache : {false, true}) {
    for (const auto& [content, message] : copies) {
      const std::string copy = (dir / "b.libsvm").string();
      std::ofstream(copy, std::ios::binary) << content;
      fs::last_write_time(copy, fs::last_write_time(original) + std::chrono::seconds(content == bytes ? 5 : 0));
      std::vector<std::string> errors(3);
      run_threads(3, [&](Communicator& comm) {
        const auto r = static_cast<std::size_t>(comm.rank());
        try {  // rank 1 reads the other copy
          (void)read_data_part(r == 1 ? copy : original, {.cache = cache}, comm,
                               [&](std::size_t rows, int p) { return first_row(rows, p, 3); });
        } catch (const SharedInputError& e) {
          errors[r] = e.what();
        }
      });
      for (const std::string& e : errors) {
        EXPECT_NE(e.find("rank 1's copy differs"), std::string::npos) << e << " [" << message << ", cache " << cache << "]";
        EXPECT_NE(e.find(message), std::string::npos) << e;
      }
      fs::remove(copy);
      fs::remove(copy + ".dsgdcache");
    }
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace dsgd
