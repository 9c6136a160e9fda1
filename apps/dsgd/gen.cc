// dsgd gen: write a synthetic data set (and its held-out test set) as LIBSVM or CSV text.
#include <fmt/format.h>

#include "dsgd/data/writer.h"
#include "options.h"

namespace dsgd::cli {

Handler add_gen_command(CLI::App& app) {
  struct Options {
    DataOptions data;
    std::string output;
    std::string test_output;
    std::string format;
    int threads = default_workers();
  };
  auto options = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand("gen", "Write a synthetic data set as LIBSVM or CSV text");
  add_data_options(*sub, options->data);
  sub->add_option("-o,--output", options->output, "Training set file (written atomically)")->required();
  sub->add_option("--test-output", options->test_output, "Also write the held-out test set to this file");
  sub->add_option("--format", options->format, "libsvm or csv [default: csv for *.csv, else libsvm]")
      ->check(CLI::IsMember({"libsvm", "csv"}));
  sub->add_option("--threads", options->threads, "Threads generating the rows")->check(CLI::Range(1, 4096));
  return [options] {
    Options& o = *options;
    o.data.resolve();
    const auto write = [&](Split split, const std::string& path) {
      const TextFormat format = o.format.empty() ? format_for_path(path) : parse_text_format(o.format);
      const Dataset data = generate_parallel(o.data.spec, split, static_cast<std::size_t>(o.threads));
      write_text(data, path, format);
      fmt::print("wrote {} rows x {} features to {}\n", data.rows(), data.features(), path);
    };
    write(Split::kTrain, o.output);
    if (!o.test_output.empty()) write(Split::kTest, o.test_output);
    return 0;
  };
}

}  // namespace dsgd::cli
