#include "files.h"

#include <fmt/format.h>

namespace dsgd::cli {

ReadOptions InputOptions::read_options(int threads) const {
  ReadOptions o;
  o.format = parse_file_format(input_format);
  o.storage = parse_storage(storage);
  o.dtype = parse_dtype(dtype);
  o.label_column = label_column;
  o.threads = threads;
  return o;
}

void add_input_options(CLI::App& app, InputOptions& input, bool with_dtype) {
  auto* group = "Data files";
  app.add_option("--input-format", input.input_format,
                 "auto (CSV for *.csv and *.csv.gz, else LIBSVM), libsvm or csv; gzip is detected either way")
      ->group(group)
      ->check(CLI::IsMember({"auto", "libsvm", "csv"}));
  app.add_option("--format", input.storage,
                 fmt::format("Storage of the features: dense, sparse (CSR), or auto (dense from {:.0f}% non-zeros)",
                             100 * kDenseFromDensity))
      ->group(group)
      ->check(CLI::IsMember({"auto", "dense", "sparse"}));
  app.add_option("--label-column", input.label_column,
                 "CSV: the label column, by header name or 0-based position [default: 'label', else the last]")
      ->group(group);
  if (with_dtype) {
    app.add_option("--dtype", input.dtype, "Storage of the values: f64, or f32 (sums still in double)")
        ->group(group)
        ->check(CLI::IsMember({"f32", "f64"}));
  }
}

ReadResult read_for_model(const std::string& path, std::size_t features, const LabelMap& labels,
                          const InputOptions& input, int threads) {
  ReadOptions o = input.read_options(threads);
  o.features = features;
  o.drop_beyond = true;
  o.labels = labels;
  ReadResult read = read_data(path, o);
  if (read.dropped > 0) {
    fmt::print(stderr,
               "dsgd: warning: {}: {} values at feature indices above {} (the model's dimension) ignored, the first "
               "at line {}\n",
               path, read.dropped, o.features, read.first_dropped_line);
  }
  return read;
}

std::string describe(const std::string& path, const ReadResult& read) {
  const Dataset& d = read.data;
  const std::string storage =
      d.layout() == Layout::kDense
          ? std::string("dense")
          : fmt::format("sparse ({} values, {:.1f}%)", d.values(),
                        100.0 * static_cast<double>(d.values()) /
                            (static_cast<double>(d.rows()) * static_cast<double>(d.features())));
  return fmt::format("{}: {} rows x {} features, {}, labels {}, read in {:.4f} s", path, d.rows(), d.features(),
                     storage, read.labels.describe(), read.seconds);
}

}  // namespace dsgd::cli
