#pragma once
// dsgd train DATA: training on a LIBSVM or CSV file, with an optional test file, held-out rows
// for early stopping, a model file out and a model to start from.
#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "files.h"
#include "options.h"
#include "dsgd/train/defaults.h"

namespace dsgd::cli {

struct FileTrainOptions {
  std::string data;
  std::string test;
  std::string model;
  std::string init;
  std::optional<double> holdout;
  std::string weights;       // --weights FILE
  std::string class_weight;  // --class-weight balanced|POS,NEG
  std::optional<std::size_t> patience;
  std::optional<double> target_accuracy;
  std::optional<double> target_loss;
  std::string target_every = "epoch";  // STEPS or epoch
  std::string after_target = "stop";   // stop or continue
  bool standardize = false;  // when --standardize or --no-standardize was given
  std::string scale;         // --scale, when given
  InputOptions input;
  std::string checkpoint;              // --checkpoint DIR
  std::string checkpoint_every = "epoch";  // STEPS or epoch
  std::size_t keep_checkpoints = 3;
  std::string resume;                  // --resume DIR
};

// Adds DATA and the options only file training has.
void add_file_train_options(CLI::App& app, FileTrainOptions& file);

// train --help: the training options whose defaults differ on a data file say both (the
// synthetic run's TrainConfig default and the file's rule) instead of one captured value.
void describe_file_defaults(CLI::App& train);

// The command line's options named by the TrainConfig fields they set (defaults.h's GivenField):
// `given` says whether an option was on the command line.
[[nodiscard]] GivenField given_fields(const std::function<bool(const char*)>& given);

// Trains on file.data with train's settings where `reader` reads it: on threads (config.workers
// from --workers) or on a cluster (reader.threads workers per process; every process calls it).
// `features` is --features (0 when not given).
// --target-accuracy, --target-loss and --target-every into the configuration (synthetic runs
// meet a target on their test rows).
void set_targets(const FileTrainOptions& file, TrainConfig& config);

int train_from_file(FileTrainOptions& file, TrainOptions& train, std::size_t features,
                    const std::function<bool(const char*)>& given, FileReader reader);

}  // namespace dsgd::cli
