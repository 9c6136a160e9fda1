// Trains on a LIBSVM file with the installed library and prints the training accuracy.
#include <cstdio>

#include <dsgd/data/reader.h>
#include <dsgd/model/metrics.h>
#include <dsgd/train/loop/run.h>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const dsgd::ReadResult data = dsgd::read_data(argv[1], {});
  dsgd::TrainConfig config;
  config.workers = 2;
  config.epochs = 20;
  config.batch = 16;
  const dsgd::RunResult run = dsgd::train_on_threads(config, dsgd::balanced_jobs(config, data.data, data.total_rows));
  const dsgd::Metrics m = dsgd::evaluate(data.data, run.model);
  std::printf("%zu rows, %zu features, training accuracy %.4f\n", data.total_rows, data.data.features(), m.accuracy);
  return m.accuracy > 0.75 ? 0 : 1;
}
