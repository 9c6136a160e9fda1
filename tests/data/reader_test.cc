#include "dsgd/data/reader.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <algorithm>
#include <vector>

#include "dsgd/data/parsed_rows.h"
#include "dsgd/base/error.h"

namespace dsgd {
namespace {

std::string file(const std::string& name) { return std::string(DSGD_TEST_DATA) + "/" + name; }

// `name`: a test data file, or an absolute path.
ReadResult read(const std::string& name, ReadOptions options = {}) {
  return read_data(name.starts_with("/") ? name : file(name), options);
}

// Row i as (column, value) pairs, whatever the storage.
std::vector<std::pair<std::size_t, double>> row(const Dataset& d, std::size_t i) {
  std::vector<std::pair<std::size_t, double>> out;
  const Dataset sparse = to_layout(d, Layout::kSparse);
  sparse.visit([&](const auto& v) {
    if constexpr (requires { v.offsets; }) {
      for (std::uint64_t k = v.offsets[i]; k < v.offsets[i + 1]; ++k) out.emplace_back(v.index[k], v.value_of(k));
    }
  });
  return out;
}

using Row = std::vector<std::pair<std::size_t, double>>;

// The message of the InputError reading `name` throws.
std::string error_of(const std::string& name, ReadOptions options = {}) {
  try {
    (void)read(name, options);
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

TEST(LibsvmReader, ReadsCrlfLines) {
  const ReadResult r = read("crlf.libsvm");
  ASSERT_EQ(r.data.rows(), 3U);
  EXPECT_EQ(r.data.features(), 3U);
  EXPECT_EQ(row(r.data, 0), (Row{{0, 0.5}, {2, -1.25}}));
  EXPECT_EQ(row(r.data, 1), (Row{{1, 2.0}, {2, 1e-3}}));
  EXPECT_EQ(r.labels, (LabelMap{-1, 1}));
  EXPECT_EQ(std::vector<std::uint8_t>(r.data.labels().begin(), r.data.labels().end()),
            (std::vector<std::uint8_t>{1, 0, 1}));
}

TEST(LibsvmReader, SkipsCommentsAndBlankLines) {
  const ReadResult r = read("comments.libsvm");
  ASSERT_EQ(r.data.rows(), 2U);
  EXPECT_EQ(row(r.data, 0), (Row{{0, 0.5}, {2, 2.0}}));
  EXPECT_EQ(r.lines, 6U);
}

TEST(LibsvmReader, KeepsRowsWithoutFeatures) {
  const ReadResult r = read("empty_features.libsvm");
  ASSERT_EQ(r.data.rows(), 4U);
  EXPECT_TRUE(row(r.data, 0).empty());
  EXPECT_TRUE(row(r.data, 2).empty());
  EXPECT_EQ(row(r.data, 3), (Row{{1, 3.0}}));
}

TEST(LibsvmReader, ExplicitZerosCountForTheDimensionOnly) {
  const ReadResult r = read("explicit_zeros.libsvm", {.storage = Storage::kSparse});
  EXPECT_EQ(r.data.features(), 5U);  // 5:0 sets the dimension
  EXPECT_EQ(r.data.values(), 2U);    // the zeros are not stored
  EXPECT_EQ(row(r.data, 0), (Row{{1, 1.5}}));
  EXPECT_EQ(r.labels, (LabelMap{-1, 1}));  // labels spelled 1.0 / -1.0
}

TEST(LibsvmReader, AnyTwoLabelValuesLargerPositive) {
  EXPECT_EQ(read("labels_01.libsvm").labels, (LabelMap{0, 1}));
  const ReadResult r = read("labels_12.libsvm");
  EXPECT_EQ(r.labels, (LabelMap{1, 2}));
  EXPECT_EQ(r.data.labels()[0], 0);
  EXPECT_EQ(r.data.labels()[1], 1);
}

TEST(LibsvmReader, IgnoresQid) {
  const ReadResult r = read("qid.libsvm");
  EXPECT_EQ(row(r.data, 0), (Row{{0, 1.0}, {1, 0.5}}));
}

TEST(LibsvmReader, ReadsGzip) {
  const ReadResult plain = read("crlf.libsvm");
  const ReadResult gz = read("small.libsvm.gz");
  ASSERT_EQ(gz.data.rows(), 3U);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(row(gz.data, i), row(plain.data, i));
}

TEST(LibsvmReader, ReportsEachMalformedLineWithFileAndLine) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"bad_value.libsvm", ":2: bad value 'x' for feature 2"},
      {"bad_label.libsvm", ":2: bad label 'abc'"},
      {"index_zero.libsvm", ":2: feature index 0 in '0:1' (indices start at 1)"},
      {"negative_index.libsvm", ":2: negative feature index in '-2:1'"},
      {"not_ascending.libsvm", ":2: feature indices not ascending (2 after 3)"},
      {"duplicate_index.libsvm", ":2: feature indices not ascending (2 after 2)"},
      {"missing_label.libsvm", ":2: missing label"},
      {"third_label.libsvm", ":3: a third label value 0 (after 1 and -1)"},
      {"no_colon.libsvm", ":1: expected index:value, found '2'"},
  };
  for (const auto& [name, message] : cases) {
    const std::string what = error_of(name);
    EXPECT_NE(what.find(file(name) + message), std::string::npos) << name << ": " << what;
  }
}

// The parser reads a plain "index:value" in place and re-reads anything else as a token: both
// paths must take the same values and give the same messages, also at their boundaries.
TEST(LibsvmReader, InPlaceAndTokenReadsAgree) {
  const auto parse = [](const std::string& line, detail::ParseLimits limits = {}) {
    detail::ParsedRows rows;
    try {
      detail::parse_libsvm(line, limits, rows);
    } catch (const detail::LineError& e) {
      return e.what;
    }
    std::string values;
    for (std::size_t k = 0; k < rows.index.size(); ++k) values += fmt::format("{}={} ", rows.index[k], rows.value_at(k));
    return values;
  };
  EXPECT_EQ(parse("1 1:+2 3:1e5\t4:-0.25 0005:7"), "0=2 2=100000 3=-0.25 4=7 ");
  EXPECT_EQ(parse("1 4294967295:1"), "4294967294=1 ");
  EXPECT_EQ(parse("1 00000000001:3"), "0=3 ");
  EXPECT_EQ(parse("1 qid:3 2:1"), "1=1 ");
  EXPECT_EQ(parse("1 2:1 # 1:2"), "1=1 ");
  EXPECT_EQ(parse("1 4294967296:1"), "feature index too large in '4294967296:1'");
  EXPECT_EQ(parse("1 3:1 2:1"), "feature indices not ascending (2 after 3)");
  EXPECT_EQ(parse("1 1:inf"), "bad value 'inf' for feature 1");
  EXPECT_EQ(parse("1 1:1.5abc 2:1"), "bad value '1.5abc' for feature 1");
  EXPECT_EQ(parse("1 1:0x10"), "bad value '0x10' for feature 1");
  EXPECT_EQ(parse("1 1:"), "bad value '' for feature 1");
  EXPECT_EQ(parse("1 1:2:3"), "bad value '2:3' for feature 1");
  EXPECT_EQ(parse("1 2:1 5:1", {.features = 4}), "feature index 5 beyond --features 4");
  detail::ParsedRows dropped;
  detail::parse_libsvm("1 2:1 5:1 6:2", {.features = 4, .drop_beyond = true}, dropped);
  EXPECT_EQ(dropped.dropped, 2U);
  EXPECT_EQ(dropped.index.size(), 1U);
}

TEST(LibsvmReader, IndexBeyondFeaturesIsAnErrorOrDroppedForAModel) {
  EXPECT_NE(error_of("high_index.libsvm", {.features = 3}).find(":2: feature index 7 beyond --features 3"),
            std::string::npos);
  const ReadResult r = read("high_index.libsvm", {.features = 3, .drop_beyond = true, .labels = LabelMap{-1, 1}});
  EXPECT_EQ(r.data.features(), 3U);
  EXPECT_EQ(r.dropped, 1U);
  EXPECT_EQ(r.first_dropped_line, 2U);
  EXPECT_TRUE(row(r.data, 1).empty());
}

TEST(LibsvmReader, ALowerHighestIndexTakesTheGivenDimension) {
  EXPECT_EQ(read("crlf.libsvm", {.features = 10}).data.features(), 10U);
}

// Writes `text` to `path` as a gzip member of its own, after any members the file has.
void append_gzip_member(const std::string& path, const std::string& text) {
  gzFile f = gzopen(path.c_str(), "ab");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, text.data(), static_cast<unsigned>(text.size())), static_cast<int>(text.size()));
  ASSERT_EQ(gzclose(f), Z_OK);
}

TEST(LibsvmReader, ReadsConcatenatedGzipMembersAndRefusesDataAfterTheLast) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / fmt::format("dsgd_gz_{}", ::getpid());
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "two.libsvm.gz").string();
  append_gzip_member(path, "+1 1:0.5\n");
  append_gzip_member(path, "-1 2:1\n");  // `cat a.gz b.gz` makes such a file
  ReadResult r = read(path);
  ASSERT_EQ(r.data.rows(), 2U);
  EXPECT_EQ(row(r.data, 1), (Row{{1, 1.0}}));
  // Zeros after the last member (a tool's padding) end the file.
  { std::ofstream(path, std::ios::app | std::ios::binary) << std::string(100, '\0'); }
  r = read(path);
  EXPECT_EQ(r.data.rows(), 2U);
  // Anything else there is an error that says where, not rows quietly dropped.
  const auto size = std::filesystem::file_size(path);
  { std::ofstream(path, std::ios::app | std::ios::binary) << "+1 3:1\n"; }
  EXPECT_EQ(error_of(path),
            fmt::format("{}: data after the end of the gzip data, at byte {} of the file", path, size));
  std::filesystem::remove_all(dir);
}

TEST(LibsvmReader, EmptyFilesAndSingleClassesAreReportedPlainly) {
  EXPECT_NE(error_of("empty.libsvm").find("empty file"), std::string::npos);
  EXPECT_NE(error_of("one_class.libsvm").find("only one class (label 1) in 2 rows"), std::string::npos);
  EXPECT_NE(error_of("truncated.libsvm.gz").find("gzip"), std::string::npos);
  EXPECT_NE(error_of("no_such_file").find("cannot open"), std::string::npos);
}

TEST(LibsvmReader, UnknownLabelsOfAModelAreNamed) {
  EXPECT_NE(error_of("labels_12.libsvm", {.labels = LabelMap{-1, 1}}).find(":2: unknown label 2 (the model's labels "
                                                                         "are -1 and 1)"),
            std::string::npos);
}

// Data to predict on: rows with and without labels mixed, any label values, on 1 and 3 threads.
TEST(LibsvmReader, RowsToPredictOnMayLackLabels) {
  const std::string path = ::testing::TempDir() + "/dsgd_predict_rows.libsvm";
  {
    std::FILE* f = std::fopen(path.c_str(), "w");
    std::fputs("1:0.5 3:2\n7 2:1\n\n# a comment\n 1:-1\n-1 3:4 # a row\n", f);
    std::fclose(f);
  }
  for (const int threads : {1, 3}) {
    const ReadOptions o{.features = 3, .drop_beyond = true, .labels = LabelMap{-1, 1}, .labels_optional = true,
                        .threads = threads};
    const ReadResult r = read_data(path, o);
    ASSERT_EQ(r.data.rows(), 4U);
    EXPECT_EQ(r.unlabelled, 2U);
    EXPECT_EQ(row(r.data, 0), (Row{{0, 0.5}, {2, 2.0}}));
    EXPECT_EQ(row(r.data, 1), (Row{{1, 1.0}}));
    EXPECT_EQ(row(r.data, 2), (Row{{0, -1.0}}));
    EXPECT_EQ(row(r.data, 3), (Row{{2, 4.0}}));
    EXPECT_EQ(r.labels, (LabelMap{-1, 1}));
  }
  // Without labels_optional the first row is the usual error.
  EXPECT_NE(error_of(path, {.labels = LabelMap{-1, 1}}).find(":1: missing label"), std::string::npos);
  std::remove(path.c_str());
}

TEST(LibsvmReader, ParallelChunksGiveTheSameDataAndLineNumbers) {
  const ReadResult one = read("heart_scale", {.storage = Storage::kSparse, .threads = 1});
  for (int threads : {2, 3, 7}) {
    const ReadResult many = read("heart_scale", {.storage = Storage::kSparse, .threads = threads});
    ASSERT_EQ(many.data.rows(), one.data.rows());
    EXPECT_TRUE(std::equal(one.data.offsets().begin(), one.data.offsets().end(), many.data.offsets().begin()));
    EXPECT_TRUE(std::equal(one.data.indices().begin(), one.data.indices().end(), many.data.indices().begin()));
    EXPECT_EQ(many.lines, 270U);
  }
}

TEST(LibsvmReader, DenseAndSparseStorageHoldTheSameValues) {
  const ReadResult dense = read("heart_scale", {.storage = Storage::kDense});
  const ReadResult sparse = read("heart_scale", {.storage = Storage::kSparse});
  ASSERT_EQ(dense.data.layout(), Layout::kDense);
  ASSERT_EQ(sparse.data.layout(), Layout::kSparse);
  const Dataset back = to_layout(sparse.data, Layout::kDense);
  const auto a = dense.data.features_as<double>();
  const auto b = back.features_as<double>();
  EXPECT_TRUE(std::equal(a.begin(), a.end(), b.begin()));
  EXPECT_EQ(read("heart_scale").data.layout(), Layout::kDense);  // auto: 96% non-zero
  EXPECT_EQ(read("a9a.gz").data.layout(), Layout::kSparse);      // auto: 11% non-zero
}

TEST(CsvReader, HeaderAndLastColumnLabel) {
  const ReadResult r = read("header.csv");
  ASSERT_EQ(r.data.rows(), 3U);
  EXPECT_EQ(r.data.features(), 2U);
  ASSERT_TRUE(r.csv.has_value());
  EXPECT_EQ(r.csv->columns, (std::vector<std::string>{"x1", "x2", "label"}));
  EXPECT_EQ(r.csv->label, 2U);
  EXPECT_EQ(r.csv->features(), (std::vector<std::string>{"x1", "x2"}));
  EXPECT_EQ(row(r.data, 0), (Row{{0, 1.5}}));
  EXPECT_EQ(r.labels, (LabelMap{0, 1}));
}

// Read for a model trained on a CSV file: its columns by name in any order (on any number of
// threads, with or without the cache the training read wrote), the label where the model's was
// in a file without a header.
TEST(CsvReader, AModelsColumnsAreMatchedByName) {
  const std::string dir = ::testing::TempDir() + "dsgd_reader_schema_" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/train.csv") << "y,a,b\n1,0.5,2\n0,-1,0\n1,0,1.5\n";
  std::ofstream(dir + "/swapped.csv") << "b,a,y\n2,0.5,1\n0,-1,0\n1.5,0,1\n";
  std::ofstream(dir + "/bare.csv") << "1,0.5,2\n0,-1,0\n1,0,1.5\n";
  ReadOptions train;
  train.label_column = "y";
  train.cache = true;
  const ReadResult trained = read(dir + "/train.csv", train);
  ASSERT_TRUE(trained.csv.has_value());
  EXPECT_EQ(trained.csv->label, 0U);
  EXPECT_EQ(trained.csv->features(), (std::vector<std::string>{"a", "b"}));
  for (const int threads : {1, 3}) {
    for (const std::string name : {"swapped.csv", "bare.csv"}) {
      ReadOptions o;
      o.csv_schema = trained.csv;
      o.labels = trained.labels;
      o.features = 2;
      o.drop_beyond = true;
      o.threads = threads;
      const ReadResult r = read(dir + "/" + name, o);
      for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(row(r.data, i), row(trained.data, i)) << name << " row " << i;
      EXPECT_EQ(std::vector<std::uint8_t>(r.data.labels().begin(), r.data.labels().end()),
                std::vector<std::uint8_t>(trained.data.labels().begin(), trained.data.labels().end()));
    }
  }
  // The training read's cache serves the model's columns only in its own order.
  ReadOptions cached;
  cached.label_column = "y";
  cached.cache = true;
  cached.csv_schema = CsvSchema{true, {"b", "a", "y"}, 2};
  (void)read(dir + "/train.csv", train);  // (loaded from the cache it wrote)
  const ReadResult other = read(dir + "/train.csv", cached);
  EXPECT_FALSE(other.from_cache);
  EXPECT_NE(other.cache_note.find("not the model's, in the model's order"), std::string::npos) << other.cache_note;
  EXPECT_EQ(row(other.data, 0), (Row{{0, 2}, {1, 0.5}}));  // the model's order: b, then a
  std::filesystem::remove_all(dir);
}

TEST(CsvReader, WithoutHeaderEveryLineIsARow) {
  const ReadResult r = read("no_header.csv");
  EXPECT_EQ(r.data.rows(), 3U);
  EXPECT_EQ(row(r.data, 1), (Row{{1, 2.0}}));
}

TEST(CsvReader, LabelColumnByNameOrPosition) {
  const ReadResult by_name = read("label_column.csv", {.label_column = "target"});
  const ReadResult by_index = read("label_column.csv", {.label_column = "1"});
  EXPECT_EQ(row(by_name.data, 0), (Row{{0, 1.0}, {1, 2.0}}));
  EXPECT_EQ(row(by_index.data, 1), (Row{{0, 3.0}}));
  EXPECT_EQ(by_name.data.labels()[1], 1);
  EXPECT_NE(error_of("label_column.csv", {.label_column = "nope"}).find(":1: no column named 'nope'"), std::string::npos);
  EXPECT_NE(error_of("label_column.csv", {.label_column = "5"}).find("out of range"), std::string::npos);
}

TEST(CsvReader, MissingValuesAndRaggedRowsAreRejected) {
  EXPECT_NE(error_of("missing_value.csv").find(":2: missing value in column 'x2'"), std::string::npos);
  EXPECT_NE(error_of("na_value.csv").find(":2: missing value in column 'x2'"), std::string::npos);
  EXPECT_NE(error_of("ragged.csv").find(":3: expected 3 fields, found 2"), std::string::npos);
  EXPECT_NE(error_of("bad_number.csv").find(":3: bad number 'oops' in column 'x2'"), std::string::npos);
}

TEST(CsvReader, RealFileWithNamedLabel) {
  const ReadResult r = read("breast_cancer.csv");
  EXPECT_EQ(r.data.rows(), 569U);
  EXPECT_EQ(r.data.features(), 30U);
  EXPECT_EQ(r.labels, (LabelMap{0, 1}));
}


// stream_data hands on the file's rows in blocks, in order, with the figures and the errors
// (global lines) of a whole read.
TEST(StreamData, BlocksHoldTheRowsOfAWholeReadInOrder) {
  const ReadOptions whole_options{.storage = Storage::kSparse, .features = 123, .drop_beyond = true,
                                  .labels = LabelMap{-1, 1}};
  const ReadResult whole = read("a9a.t.gz", whole_options);
  std::vector<Row> rows;
  std::vector<std::uint8_t> labels;
  std::size_t blocks = 0, first_row = 0;
  const ReadResult streamed = stream_data(file("a9a.t.gz"), whole_options, 64 * 1024, [&](const Dataset& block) {
    EXPECT_EQ(block.first_row(), first_row);
    EXPECT_EQ(block.dtype(), DType::kOnes);
    first_row += block.rows();
    ++blocks;
    for (std::size_t i = 0; i < block.rows(); ++i) rows.push_back(row(block, i));
    labels.insert(labels.end(), block.labels().begin(), block.labels().end());
  });
  EXPECT_GT(blocks, 10U);
  EXPECT_TRUE(streamed.streamed);
  EXPECT_EQ(streamed.total_rows, whole.total_rows);
  EXPECT_EQ(streamed.values, whole.values);
  EXPECT_EQ(streamed.lines, whole.lines);
  EXPECT_EQ(streamed.highest_index, whole.highest_index);
  EXPECT_EQ(streamed.highest_index_line, whole.highest_index_line);
  ASSERT_EQ(rows.size(), whole.total_rows);
  for (std::size_t i = 0; i < rows.size(); i += 97) EXPECT_EQ(rows[i], row(whole.data, i)) << i;
  EXPECT_TRUE(std::ranges::equal(labels, whole.data.labels()));
  // A malformed line, or a label the model does not know, late in the file: named by its line.
  const auto error_of_streaming = [&](const std::string& rows, const std::string& last) {
    const std::string bad = ::testing::TempDir() + "dsgd_stream_bad.libsvm";
    std::ofstream(bad) << rows << last;
    try {
      (void)stream_data(bad, whole_options, 4096, [](const Dataset&) {});
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  std::string rows_5000, rows_3000;
  for (int i = 0; i < 5000; ++i) rows_5000 += i % 2 == 0 ? "+1 1:1 5:1\n" : "-1 2:1 3:1\n";
  for (int i = 0; i < 3000; ++i) rows_3000 += "+1 1:1\n";
  EXPECT_NE(error_of_streaming(rows_5000, "-1 2:x\n").find(":5001: bad value"), std::string::npos);
  EXPECT_NE(error_of_streaming(rows_3000, "7 1:1\n").find(":3001: unknown label 7"), std::string::npos);
}

}  // namespace
}  // namespace dsgd
