#pragma once
// Reading that needs collectives (a layer above data/ and comm/): each process of a group reads
// only its own rows of a text file, or of its binary cache, and the processes agree on what a
// read of the whole file would have given: labels, dimension, storage and the first error.
#include <cstddef>
#include <functional>
#include <string>

#include "dsgd/comm/communicator.h"
#include "dsgd/data/reader.h"

namespace dsgd {

// Which rows each process of a group holds: the first row of process `rank` among `rows`. The
// processes' ranges must follow each other in rank order (first_row(rows, size) is `rows`).
using FirstRowOf = std::function<std::size_t(std::size_t rows, int rank)>;

// Collective (every process of comm calls it): reads the rows of this process (first_row_of),
// with options.threads threads, and no other: the text is split into comm.size() line-aligned
// byte ranges; each process counts the rows of its range, the counts are gathered, and each
// process parses only the bytes of its own rows (gzip files must be decompressed whole on every
// process first). Labels, the dimension and the storage are agreed across processes, so the
// result is the same as read_data's rows [first_row_of(rank), first_row_of(rank + 1)), and so
// is every error: thrown as SharedInputError on every process alike. With options.cache the
// processes load their rows of a current cache, or write it together (each its own rows, into
// one file).
[[nodiscard]] ReadResult read_data_part(const std::string& path, const ReadOptions& options, Communicator& comm,
                                        const FirstRowOf& first_row_of);

}  // namespace dsgd
