#pragma once
// Model files: a self-describing, versioned text format, written atomically.
//
//   # dsgd logistic-regression model
//   format dsgd-model 1
//   dsgd 0.5.0
//   features 123
//   bias -0.6931471805599453
//   labels -1 1
//   standardized no
//   training {"epochs":8,...}            (the full configuration, as one line of JSON)
//   weights
//   0.25                                  (one line per feature: w, or "w mean scale" when
//   ...                                    standardized)
//   end
//
// Numbers are written in the shortest form that reads back to the same bits, so a model
// survives a save/load round trip exactly. Reading checks everything: the format and its
// version, every number, the weight count against `features`, and the closing `end` line.
#include <string>

#include <nlohmann/json.hpp>

#include "dsgd/data/atomic_file.h"
#include "dsgd/data/labels.h"
#include "dsgd/model/linear_model.h"

namespace dsgd {

constexpr int kModelFormatVersion = 1;

struct Model {
  LinearModel params;
  LabelMap labels;
  nlohmann::json training = nlohmann::json::object();  // how it was trained (options, seed, data)
  std::string dsgd_version;                            // filled by load_model; save writes ours
};

// Writes the model into `file` and commits it (open the AtomicFile before training, so an
// unwritable path fails at once and a failed run leaves nothing); throws InputError.
void write_model(const Model& model, AtomicFile& file);
// The same without the commit, for outputs committed together (commit_together).
void put_model(const Model& model, AtomicFile& file);
// The same into a new AtomicFile at `path`.
void save_model(const Model& model, const std::string& path);
// Throws InputError "path:line: what" for anything malformed.
[[nodiscard]] Model load_model(const std::string& path);

}  // namespace dsgd
