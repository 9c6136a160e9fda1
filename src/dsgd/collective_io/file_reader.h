#pragma once
// Where a run reads its data files: in a cluster of one process, all of a file, with its
// threads and a progress bar; in a cluster of several, each process its own rows (the rows of
// its `threads` workers, process_rows), read collectively (read_part.h). Called by the command
// line's train, study, predict and eval.
#include <functional>
#include <string>

#include "dsgd/comm/cluster.h"
#include "dsgd/data/reader.h"

namespace dsgd {

struct FileReader {
  std::reference_wrapper<Cluster> cluster = this_process();
  int threads = 1;
  // A progress bar on standard error while a regular file's text is parsed in one process (it
  // shows only when the parse takes a while).
  bool show_progress = false;
  bool mpi = false;  // the processes are MPI ranks, each running `threads` workers

  // Throws ConfigError for a stream where the read needs a regular file (--cache, or several
  // processes), and what read_data and read_data_part throw.
  [[nodiscard]] ReadResult operator()(const std::string& path, ReadOptions options) const;
  // Whether this process prints and writes the results (rank 0, or the only process).
  [[nodiscard]] bool root() const noexcept { return cluster.get().rank() == 0; }
};

}  // namespace dsgd
