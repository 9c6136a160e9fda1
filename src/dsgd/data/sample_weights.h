#pragma once
// Where sample weights come from: a weights file beside a data file, and class weights.
//
// A weights file holds the weight of each data row of the file it goes with, in the same row
// order, one a line (as LIBLINEAR's instance-weight files and Vowpal Wabbit's importance
// weights): a finite number >= 0; blank lines and lines starting with '#' are skipped. A row's
// weight multiplies its part in training (kernel.h): weight 2 trains as the row written twice,
// 0 as the row left out.
#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include "dsgd/data/dataset.h"

namespace dsgd {

// The weights of rows [rows.begin, rows.end) of a data file of `total_rows` rows, from the
// weights file at `path` ("-" is standard input). Throws InputError naming the file and line:
// a bad, negative or non-finite number, more weights than rows, or fewer (line 0).
[[nodiscard]] std::vector<double> read_weights_file(const std::string& path, std::size_t total_rows, RowRange rows);

// Multipliers of the rows of each class.
struct ClassWeights {
  double negative = 1.0;  // rows of class 0
  double positive = 1.0;  // rows of class 1
};

// The total weight of the rows of class 0 and of class 1 in `data` (their counts if unweighted).
[[nodiscard]] std::array<double, 2> class_totals(const Dataset& data);

// Weights that make both classes weigh the same in all, each half of the total: total /
// (2 x class total), for the class totals of all the data (summed over processes by the
// caller). Without sample weights they are scikit-learn's class_weight='balanced',
// n / (2 n_class). Throws ConfigError if a class weighs nothing.
[[nodiscard]] ClassWeights balanced_class_weights(std::array<double, 2> totals);

// Multiplies the weight of every row of `data` by its class's weight (giving the rows weights
// of 1 first if they had none).
void apply_class_weights(Dataset& data, const ClassWeights& weights);

}  // namespace dsgd
