#pragma once
// dsgd train DATA: training on a LIBSVM or CSV file, with an optional test file, held-out rows
// for early stopping, a model file out and a model to start from.
#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "files.h"
#include "options.h"
#include "dsgd/train/config/defaults.h"
#include "dsgd/train/state/resume.h"

namespace dsgd::cli {

struct FileTrainOptions {
  std::string data;
  std::string test;
  std::string model;           // -o/--output (or MODEL)
  std::string model_argument;  // MODEL, the second argument
  std::string model_format = "dsgd";
  std::string init;
  std::optional<double> holdout;
  std::string weights;       // --weights FILE
  std::string class_weight;  // --class-weight balanced|POS,NEG
  std::optional<bool> standardize;  // --standardize (true), --no-standardize (false)
  InputOptions input;
  CheckpointSettings checkpoints;  // --checkpoint DIR, --checkpoint-every, --keep-checkpoints, --resume DIR
};

// Adds DATA and the options only file training has: its files, and the configuration fields
// of early stopping, targets and scaling (bound into train).
void add_file_train_options(CLI::App& app, FileTrainOptions& file, TrainOptions& train);

// Trains on file.data with train's settings where `reader` reads it: on this process's threads,
// or on MPI ranks of reader.threads workers each (every process calls it). The fields not in
// train.given take the data's defaults (defaults.h). `features` is --features (0 when not given).
int train_from_file(FileTrainOptions& file, TrainOptions& train, std::size_t features, FileReader reader);

}  // namespace dsgd::cli
