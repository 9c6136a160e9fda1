#pragma once
// Model files: a self-describing, versioned text format, written atomically.
//
//   # dsgd logistic-regression model
//   format dsgd-model 2
//   dsgd 0.5.0
//   features 123
//   bias -0.6931471805599453
//   labels -1 1
//   standardized no
//   input csv                             (how the training file was read: libsvm, csv or unknown)
//   csv_columns 124 label 0 header yes    (csv: the training file's columns, then one line each:)
//   column malignant
//   ...
//   training {"epochs":8,...}            (the full configuration, as one line of JSON)
//   weights
//   0.25                                  (one line per feature: w, or "w mean scale" when
//   ...                                    standardized)
//   end
//
// Numbers are written in the shortest form that reads back to the same bits, so a model
// survives a save/load round trip exactly. Reading checks everything: the format and its
// version, every number, the weight count against `features`, and the closing `end` line.
// Format 1 (dsgd 0.4) is read too: it has no input section (the input is not known).
#include <string>

#include <nlohmann/json.hpp>

#include "dsgd/base/atomic_file.h"
#include "dsgd/data/csv_schema.h"
#include "dsgd/data/labels.h"
#include "dsgd/data/reader.h"
#include "dsgd/model/linear_model.h"

namespace dsgd {

constexpr int kModelFormatVersion = 2;

// How the model's training data was read, so that the files it scores are read alike.
struct ModelInput {
  FileFormat format = FileFormat::kAuto;  // kAuto: not known (a format 1 model, a LIBLINEAR model)
  std::optional<CsvSchema> csv;           // CSV: the training file's columns
};

struct Model {
  LinearModel params;
  LabelMap labels;
  nlohmann::json training = nlohmann::json::object();  // how it was trained (options, seed, data)
  std::string dsgd_version;                            // filled by load_model; save writes ours
  ModelInput input;                                    // how its training file was read
};

// Writes the model into `file` and commits it (open the AtomicFile before training, so an
// unwritable path fails at once and a failed run leaves nothing); throws InputError.
void write_model(const Model& model, AtomicFile& file);
// The same without the commit, for outputs committed together (commit_together).
void put_model(const Model& model, AtomicFile& file);
// The same into a new AtomicFile at `path`.
void save_model(const Model& model, const std::string& path);
// Throws InputError "path:line: what" for anything malformed. Reads LIBLINEAR's model files
// too (a first line "solver_type ..."): logistic regression of two classes, as `liblinear-train
// -s 0` (or -s 6, -s 7) writes them.
[[nodiscard]] Model load_model(const std::string& path);

// The epochs the model at `path` was trained for, from its training record: epochs_trained, or
// (models of dsgd 0.4) best_epoch; 0 when neither is there. Throws InputError for a value that
// is not a count of epochs.
[[nodiscard]] std::size_t epochs_trained(const Model& model, const std::string& path);

// LIBLINEAR's model file of the same decisions and probabilities (liblinear-predict -b 1):
// solver_type L2R_LR, the positive label first, the weights of the raw features (scaling
// folded in) and the intercept as LIBLINEAR's bias feature (bias 1). Throws ConfigError for
// labels LIBLINEAR cannot write (it writes them as whole numbers).
void put_liblinear_model(const Model& model, AtomicFile& file);
// Throws that ConfigError for labels LIBLINEAR cannot write (to say so before training).
void require_liblinear_labels(const LabelMap& labels);

}  // namespace dsgd
