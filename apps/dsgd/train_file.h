#pragma once
// dsgd train DATA: training on a LIBSVM or CSV file, with an optional test file, held-out rows
// for early stopping, a model file out and a model to start from.
#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "files.h"
#include "options.h"

namespace dsgd::cli {

struct FileTrainOptions {
  std::string data;
  std::string test;
  std::string model;
  std::string init;
  std::optional<double> holdout;
  std::optional<std::size_t> patience;
  std::optional<bool> standardize;
  InputOptions input;
};

// Adds DATA and the options only file training has.
void add_file_train_options(CLI::App& app, FileTrainOptions& file);

// The settings file training uses where the user gave none (the synthetic seed experiment
// keeps TrainConfig's own); `given` says whether an option was on the command line.
void apply_file_defaults(TrainConfig& config, const std::function<bool(const char*)>& given);

// Unscaled dense features (some |x| > 1) are standardised unless the user said otherwise.
[[nodiscard]] bool wants_standardization(const Dataset& data);

int train_from_file(FileTrainOptions& file, TrainOptions& train, std::size_t features);

}  // namespace dsgd::cli
