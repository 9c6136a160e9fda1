#pragma once
// Writing a Dataset as text: LIBSVM/SVMlight ("+1 1:0.5 2:-1.25 ...", 1-based indices, zeros
// left out) or CSV (header x1..xd,label), the labels spelt as given (by default each format's
// usual spelling: -1/+1 for LIBSVM, 0/1 for CSV). Values are printed with the
// shortest text that reads back to the same bits. Write into an AtomicFile so that a failed run
// leaves nothing half-written.
#include <cstdio>
#include <string>
#include <string_view>

#include "dsgd/data/dataset.h"
#include "dsgd/data/labels.h"

namespace dsgd {

enum class TextFormat { kLibsvm, kCsv };

// "csv" for a path ending in .csv, otherwise LIBSVM.
[[nodiscard]] TextFormat format_for_path(std::string_view path) noexcept;
// Accepts "libsvm" and "csv"; throws ConfigError otherwise.
[[nodiscard]] TextFormat parse_text_format(std::string_view name);

// The usual label spelling of a format: -1/+1 for LIBSVM, 0/1 for CSV.
[[nodiscard]] LabelMap usual_labels(TextFormat format) noexcept;

void write_text(const Dataset& data, std::FILE* out, TextFormat format);
void write_text(const Dataset& data, std::FILE* out, TextFormat format, const LabelMap& labels);

}  // namespace dsgd
