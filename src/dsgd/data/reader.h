#pragma once
// Reading labelled data from text: LIBSVM/SVMlight or CSV, plain or gzip-compressed, parsed in
// parallel (the file split at line boundaries, one chunk per thread) into a dense or a sparse
// Dataset, or streamed a block of rows at a time. Every malformed line is an InputError
// "file:line: what is wrong"; nothing is returned for a file with any error.
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dsgd/data/read_options.h"

namespace dsgd {

// Throws InputError for files that cannot be read or hold malformed lines, no rows, or not
// exactly two label values (one or more unknown to options.labels, when given).
[[nodiscard]] ReadResult read_data(const std::string& path, const ReadOptions& options);

// Reads a text file a block of rows at a time (line-aligned, about `block_bytes` of text each,
// parsed on options.threads threads), handing each block to `fn` as a sparse data set (dense
// with options.storage kDense; its first_row the block's first row in the file), so that the
// file's rows are never held together: for data scored against a model (options.labels given).
// Returns the whole file's figures, as read_data would (its data set: the last block's shape, no
// rows). Throws InputError as read_data does; the blocks before a malformed line have been handed
// on. The cache is neither read nor written.
ReadResult stream_data(const std::string& path, const ReadOptions& options, std::size_t block_bytes,
                       const std::function<void(const Dataset&)>& fn);

}  // namespace dsgd
