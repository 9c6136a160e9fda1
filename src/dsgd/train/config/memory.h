#pragma once
// Memory that is asked for, not grabbed: what a run's training state will take, estimated from
// its configuration and the data's shape before anything sized by d is allocated, so that a
// file whose one feature index is 3e8 is refused with the bytes it would need instead of
// swapping the machine to a halt or ending in a bare bad_alloc.
#include <cstddef>
#include <string>

#include "dsgd/comm/cluster.h"
#include "dsgd/data/reader.h"
#include "dsgd/train/config/config.h"

namespace dsgd {

// An upper estimate of one worker's training state beyond the data, in bytes, for d columns:
// the model and its copies (the kept best one with early stopping, the raw weights a held-out
// score reads), the step's gradient vector, and the update's slots (weights, gradients,
// adagrad's squares, feature scales, the touched bitmap) on sparse data or its copy of the
// model on dense data.
[[nodiscard]] std::size_t worker_state_bytes(const TrainConfig& config, std::size_t d, bool sparse) noexcept;

// The memory this machine can give now (MemAvailable of /proc/meminfo, or the memory limit of
// this process's control group where that is lower), in bytes; 0 when unknown.
[[nodiscard]] std::size_t available_memory_bytes();

// The most memory this process has held resident so far (getrusage's ru_maxrss), in bytes.
[[nodiscard]] std::size_t peak_resident_bytes() noexcept;

// "9.60 GB", "81.5 kB": bytes in the units a person reads.
[[nodiscard]] std::string human_bytes(double bytes);

// Empty when `needed` bytes fit in `limit` (0: the memory available, as far as it is known);
// else why not: "needs 9.60 GB (DETAIL), more than the 8.00 GB ...", for a message that names
// the cause first ("a9a:12: feature index 300000000 needs ...").
[[nodiscard]] std::string memory_shortfall(std::size_t needed, std::size_t limit, const std::string& detail);

// Refuses, before anything sized by d is made, a run on `data` (read from `path`) whose
// training state would not fit in `max_memory` (0: what is available): `threads` workers in
// this process, with adagrad and scaling assumed (an upper estimate). The cause is named by the
// line that set d: the file's highest index (InputError) or --features (ConfigError). Every
// process calls it; all give the first failing process's message.
void check_training_memory(const TrainConfig& config, const ReadResult& data, const std::string& path,
                           std::size_t max_memory, int threads, Cluster& cluster);

// What this process has read from storage so far: bytes (/proc/self/io read_bytes) and major
// page faults (getrusage); zeros where unknown.
struct ReadTally {
  std::size_t disk_bytes = 0;
  std::size_t major_faults = 0;
};
[[nodiscard]] ReadTally read_tally();

// For rows read in place from a file's mapping (a cache) that do not fit in `max_memory` (0:
// what is available) beside the training state of `threads` workers: the bytes of rows to keep
// resident (FitOptions::resident_rows_bytes); 0 when they fit or are not mapped.
[[nodiscard]] std::size_t rows_memory_bound(const TrainConfig& config, const Dataset& data, std::size_t max_memory,
                                            int threads);

}  // namespace dsgd
