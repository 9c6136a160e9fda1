#pragma once
// Reading labelled data from text: LIBSVM/SVMlight or CSV, plain or gzip-compressed, parsed in
// parallel (the file split at line boundaries, one chunk per thread) into a dense or a sparse
// Dataset. Every malformed line is an InputError "file:line: what is wrong"; nothing is
// returned for a file with any error.
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

}  // namespace dsgd
