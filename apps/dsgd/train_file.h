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

// The settings file training uses where the user gave none (the synthetic seed experiment
// keeps TrainConfig's own); `given` says whether an option was on the command line. Chosen so
// that `dsgd train TRAIN --test TEST` reaches LIBLINEAR's held-out accuracy without tuning (see
// bench/compare_liblinear.py and the README): 30 epochs of about 128 steps, the global batch a
// 128th of the rows whatever the worker count, shuffled, the rate halved every 5 epochs from a
// peak of 32 / (mean |x|^2 + 1).
constexpr std::size_t kFileEpochs = 30;
constexpr std::size_t kFileStepsPerEpoch = 128;
constexpr std::size_t kFileMinBatch = 16;
constexpr std::size_t kFileMaxBatch = 1024;
constexpr double kFileRateScale = 32.0;
constexpr double kFileStepEpochs = 5.0;
// Sparse files this wide train with adagrad: with many columns most are rare, and one rate that
// suits the common ones leaves the rare ones unlearnt (measured: 74.7% against adagrad's 79.7%
// and LIBLINEAR's 80.3% on 1M rows x 4M Zipf columns; a9a, w8a and the other narrow sets keep
// sgd, which matches LIBLINEAR there). Adagrad's rate is scale-free: a peak of 0.1, constant, for
// about kAdagradSteps steps (3 to 30 epochs).
constexpr std::size_t kAdagradFromColumns = 10'000;
constexpr double kAdagradRate = 0.1;
constexpr std::size_t kAdagradSteps = 1500;
// train --help: the training options whose defaults differ on a data file say both (the
// synthetic run's TrainConfig default and the file's rule) instead of one captured value.
void describe_file_defaults(CLI::App& train);

// The batch a file's run takes with `workers` workers where --batch is not given.
[[nodiscard]] std::size_t file_batch(std::size_t rows, int workers) noexcept;
// `data` holds the rows `reader` read (all, or this process's), and the defaults depend only on
// the whole file: the same on every backend.
// `start` is the model training starts from (its scaling is the one trained with), if any.
void apply_file_defaults(TrainConfig& config, const ReadResult& data, const std::function<bool(const char*)>& given,
                         const FileReader& reader, const LinearModel* start);

// The scaling a file gets where the user chose none: unscaled features (some |x| > 1 in any
// process's rows) are standardised when stored dense, scaled by their largest |x| when sparse
// (which keeps zeros zero); features within [-1, 1] are left as they are.
[[nodiscard]] Scaling default_scaling(const Dataset& data, const FileReader& reader);

// Trains on file.data with train's settings where `reader` reads it: on threads (config.workers
// from --workers) or on a cluster (reader.threads workers per process; every process calls it).
// `features` is --features (0 when not given).
// --target-accuracy, --target-loss and --target-every into the configuration (synthetic runs
// meet a target on their test rows).
void set_targets(const FileTrainOptions& file, TrainConfig& config);

int train_from_file(FileTrainOptions& file, TrainOptions& train, std::size_t features,
                    const std::function<bool(const char*)>& given, FileReader reader);

}  // namespace dsgd::cli
