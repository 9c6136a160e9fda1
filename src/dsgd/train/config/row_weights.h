#pragma once
// The weights a run's rows train with: a weights file (--weights) read onto this process's rows,
// then class weights (--class-weight) applied, their totals summed by worker shards in the
// workers' tree order, so that every backend decides the same bits. Called by `dsgd train FILE`
// once the workers are decided, before fit.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "dsgd/comm/cluster.h"
#include "dsgd/data/reader.h"
#include "dsgd/data/sample_weights.h"
#include "dsgd/train/config/config.h"

namespace dsgd {

struct RowWeighting {
  std::string file;          // a weights file ("-": standard input), or ""
  std::string class_weight;  // "balanced", "POS,NEG", or ""
};

// --class-weight's value: POS,NEG (two numbers > 0), or nothing for "balanced". Throws
// ConfigError for anything else.
[[nodiscard]] std::optional<ClassWeights> parse_class_weights(const std::string& text);

// Weighs this process's rows of `data` (ReadResult: rows data.data.first_row() .. of
// total_rows) for a run of config.workers workers, `threads` of them in this process. Every
// process calls it; a weights file that one process cannot read fails them all alike
// (SharedInputError). Returns the report's description of the weights (file, class_weight,
// positive, negative, total), or null when the rows stay unweighted.
[[nodiscard]] nlohmann::json weigh_rows(const RowWeighting& weighting, ReadResult& data, const TrainConfig& config,
                                        int threads, Cluster& cluster);

// One line on a run's weights (weigh_rows' description).
[[nodiscard]] std::string describe_weights(const nlohmann::json& weights);

}  // namespace dsgd
