#pragma once
// The report of a scaling study (analysis/study.h): a table on the terminal, its JSON, and in a
// folder report.md, results.csv, results.json and PNG plots drawn by gnuplot. Called by the
// apps' study command.
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "dsgd/analysis/study.h"

namespace dsgd {

void print_study(std::FILE* out, const Study& study);
[[nodiscard]] nlohmann::json to_json(const Study& study);

// Writes report.md, results.csv, results.json, plots.gp and, where gnuplot is on PATH, the PNG
// plots it draws (speedup.png, breakdown.png, convergence.png, bytes.png) into `dir` (made if
// missing). Returns a note for the user when the plots could not be drawn ("" otherwise).
// Throws InputError naming a file that cannot be written.
[[nodiscard]] std::string write_study_report(const std::string& dir, const Study& study);

}  // namespace dsgd
