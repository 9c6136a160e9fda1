// dsgd gen: write a synthetic data set (and its held-out test set) as LIBSVM or CSV text.
#include <fmt/format.h>

#include <optional>

#include "dsgd/base/atomic_file.h"
#include "dsgd/data/writer.h"
#include "dsgd/base/error.h"
#include "files.h"
#include "options.h"

namespace dsgd::cli {

Handler add_gen_command(CLI::App& app) {
  struct Options {
    DataOptions data;
    std::string output;
    std::string test_output;
    std::string format;
    std::optional<int> workers;
  };
  auto options = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand("gen", "Write a synthetic data set as LIBSVM or CSV text");
  add_data_options(*sub, options->data);
  sub->add_option("-o,--output", options->output, "The training rows' file ('-': standard output)")
      ->required()
      ->type_name("FILE");
  sub->add_option("--test-output", options->test_output, "Also write the held-out rows to this file")->type_name("FILE");
  choice_option(sub->add_option("--format", options->format, "libsvm or csv [default: csv for *.csv, else libsvm]"),
                {"libsvm", "csv"});
  sub->add_option("-w,--workers", options->workers, "Threads generating the rows [default: hardware threads, at most 4]")
      ->check(positive())
      ->type_name("N");
  add_old_spelling(*sub, "--threads", "--workers", options->workers)->check(positive());
  return [options] {
    Options& o = *options;
    o.data.resolve();
    // The formats and both paths are checked before any row is generated: a bad path fails at once, and a failure
    // leaves neither file behind (both are committed together).
    check_paths({{"-o", o.output}, {"--test-output", o.test_output}}, {});
    AtomicFile train_file(o.output);
    std::optional<AtomicFile> test_file;
    if (!o.test_output.empty()) test_file.emplace(o.test_output);
    const auto format_of = [&](const std::string& path) {
      const TextFormat format = o.format.empty() ? format_for_path(path) : parse_text_format(o.format);
      if (format == TextFormat::kCsv && o.data.spec.nnz > 0)
        throw ConfigError("sparse rows (--nnz) are written as LIBSVM only: CSV would spell out every zero");
      return format;
    };
    (void)format_of(o.output);
    if (!o.test_output.empty()) (void)format_of(o.test_output);
    // Both files spell the labels as the training file's format does (-1/+1 for LIBSVM, 0/1 for
    // CSV), so that a model trained on one scores the other.
    const LabelMap labels = usual_labels(format_of(o.output));
    const auto write = [&](Split split, const std::string& path, AtomicFile& file) {
      const TextFormat format = format_of(path);
      const Dataset data = generate_parallel(o.data.spec, split, static_cast<std::size_t>(o.workers.value_or(default_workers())));
      write_text(data, file.stream(), format, labels);
      return data.rows();
    };
    const std::size_t train_rows = write(Split::kTrain, o.output, train_file);
    const std::size_t test_rows = test_file ? write(Split::kTest, o.test_output, *test_file) : 0;
    std::vector<AtomicFile*> outputs = {&train_file};
    if (test_file) outputs.push_back(&*test_file);
    commit_together(outputs);
    const auto wrote = [&](std::size_t rows, const std::string& path) {
      fmt::print("Wrote   {} rows x {} features to {} (labels {}/{})\n", rows, o.data.spec.features,
                 path == "-" ? "standard output" : path, labels.text(0), labels.text(1));
    };
    wrote(train_rows, o.output);
    if (test_file) wrote(test_rows, o.test_output);
    return 0;
  };
}

}  // namespace dsgd::cli
