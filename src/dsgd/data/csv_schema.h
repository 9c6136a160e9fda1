#pragma once
// The columns of the CSV file a model was trained on, which the model keeps so that the files
// it scores are read the same way: by name where both files have a header (a reordered header
// reads right; a missing or unknown column is refused, by name), by position otherwise.
#include <cstddef>
#include <string>
#include <vector>

namespace dsgd {

struct CsvSchema {
  bool header = false;               // the file named its columns in a first line
  std::vector<std::string> columns;  // every column, the label's too: the header's names, or "column 1", ...
  std::size_t label = 0;             // the label's position among them

  // The feature columns' names, in the order of the model's weights.
  [[nodiscard]] std::vector<std::string> features() const {
    std::vector<std::string> out;
    for (std::size_t k = 0; k < columns.size(); ++k) {
      if (k != label) out.push_back(columns[k]);
    }
    return out;
  }
  friend bool operator==(const CsvSchema&, const CsvSchema&) = default;
};

}  // namespace dsgd
