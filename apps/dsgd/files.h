#pragma once
// What the commands that read data files share: the input options, reading a file to train on
// or to score with a model, and the warnings reading may give.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "dsgd/collective_io/file_reader.h"
#include "dsgd/comm/cluster.h"
#include "dsgd/data/reader.h"
#include "dsgd/model/model_file.h"

namespace dsgd::cli {

struct InputOptions {
  std::string format = "auto";
  std::string storage = "auto";
  std::string label_column;
  std::string dtype = "f64";
  bool cache = false;

  [[nodiscard]] ReadOptions read_options(int threads) const;
};

// Checks a command's paths before any work: throws ConfigError when an output option names the
// same file as an input (it would be overwritten), two outputs the same file or both standard
// output, or two inputs both standard input ('-'). `outputs` and `inputs` are (option, path)
// pairs; empty paths are skipped. When an output is standard output, keeps it for that output
// (reserve_standard_output): the command's report text then goes to standard error.
using NamedPaths = std::vector<std::pair<std::string, std::string>>;
void check_paths(const NamedPaths& outputs, const NamedPaths& inputs);

// Adds --format (and its old name --input-format) --storage --label-column --cache (and --dtype
// unless the command has it already).
void add_input_options(CLI::App& app, InputOptions& input, bool with_dtype);

// Streams a file to score with a model (as read_for_model reads it, without the cache), handing
// each block of rows to `fn` (stream_data): the rows are never held together. Warns of values
// dropped beyond the model's features.
[[nodiscard]] ReadResult stream_for_model(const std::string& path, std::size_t features, const LabelMap& labels,
                                          const ModelInput& trained_on, const InputOptions& input, int threads,
                                          const std::function<void(const Dataset&)>& fn);

// Reads a file to score with a model of `features` features and `labels`, trained on a file
// read as `trained_on` says (a name that does not give the format takes the model's; a CSV
// file's columns are matched to the model's by name): a lower highest index is fine; values at
// higher ones are dropped, with a warning on stderr (as is the cache note, with --cache, unless
// `quiet`). `to_predict`: rows may lack labels, and labels are not checked
// (ReadOptions::labels_optional).
[[nodiscard]] ReadResult read_for_model(const std::string& path, std::size_t features, const LabelMap& labels,
                                        const ModelInput& trained_on, const InputOptions& input,
                                        const FileReader& reader, bool quiet = true, bool to_predict = false);

}  // namespace dsgd::cli
