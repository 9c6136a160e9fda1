#pragma once
// The measured points of a scaling study (study.h): a point made from the median of its runs,
// and the points of a study on a data file, each trained through fit as `dsgd train FILE`
// trains (the settings not given take the data's defaults, decided for each worker count).
// Called by `dsgd study`.
#include <optional>
#include <string>

#include "dsgd/analysis/experiment.h"
#include "dsgd/analysis/study.h"
#include "dsgd/data/reader.h"
#include "dsgd/train/config/defaults.h"

namespace dsgd {

// What a point records of its data: its size, its storage and the time it took to make or read.
struct PointData {
  std::size_t rows = 0;
  std::size_t features = 0;
  std::size_t nnz = 0;  // non-zeros a row (the mean, rounded, for a sparse file); 0: dense
  std::string dtype;
  double load_s = 0;
};

// A measured point from the median of its runs, with the cost model's sample of it.
[[nodiscard]] StudyPoint make_point(const std::string& series, int workers, int cores, const PointData& data,
                                    double epochs, const RunReport& median, const std::string& backend = "threads");

// A study on a data file: read once (and its --test file, whose rows score each point).
struct FileStudy {
  ReadResult data;
  std::optional<ReadResult> test;
  std::string label;
};

// The file's PointData (the mean non-zeros a row of a sparse file, rounded).
[[nodiscard]] PointData described(const FileStudy& file);

// A point of a file study on `workers` threads: `warmup` untimed runs, `repeat` timed ones, and,
// with `convergence` and a test file, one more that scores the test rows every epoch.
[[nodiscard]] StudyPoint file_point(const FileStudy& file, TrainConfig config, const GivenField& given, int workers,
                                    int cores, int warmup, int repeat, bool convergence);

}  // namespace dsgd
