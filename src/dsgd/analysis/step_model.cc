#include "dsgd/analysis/step_model.h"

#include <algorithm>


namespace dsgd {

StepShape measured_shape(const Dataset& data, std::size_t global_batch, int workers) {
  const std::size_t end = std::min(data.rows(), global_batch);
  StepShape shape =
      rows_shape(data, 0, end, std::max<std::size_t>(1, global_batch / static_cast<std::size_t>(workers)));
  shape.workers = workers;
  return shape;
}

ExchangeMode exchange_taken(const RunResult& run) noexcept {
  const ExchangeStats& e = run.exchange;
  if (e.sharded_steps > 0) return ExchangeMode::kSharded;
  if (e.shared_steps > 0) return ExchangeMode::kShared;
  if (e.sparse_steps >= e.dense_steps && e.sparse_steps > 0) return ExchangeMode::kSparse;
  return ExchangeMode::kDense;
}

std::optional<StepModel> model_steps(const Dataset& data, std::size_t global_batch, const RunResult& sequential,
                                     const RunResult& parallel, std::size_t epochs, int cores, bool processes) {
  const int workers = static_cast<int>(parallel.per_worker.size());
  if (data.layout() != Layout::kSparse || workers < 2 || sequential.work.empty() || sequential.steps == 0 ||
      parallel.steps == 0)
    return std::nullopt;
  StepModel m;
  // The machine's costs, from the sequential run: its kernel's time a non-zero, its update's a
  // column moved.
  const double values = static_cast<double>(epochs) * static_cast<double>(data.values());
  const double kernel_s = sequential.compute_s - sequential.update_s;
  if (values > 0 && kernel_s > 0) m.costs.value_s = kernel_s / values;
  const auto columns = static_cast<double>(sequential.work.front().columns_updated);
  if (columns > 0 && sequential.update_s > 0) m.costs.column_s = sequential.update_s / columns;
  m.mode = exchange_taken(parallel);
  m.shape = measured_shape(data, global_batch, workers);
  MachineCosts here = m.costs;
  here.cores = cores;
  const LinkCost link = processes ? LinkCost{20e-6, 2e9} : LinkCost{};
  m.step = step_cost(m.mode, m.shape, link, here);
  m.predicted_s = static_cast<double>(parallel.steps) * m.step.total();
  m.measured_s = parallel.time_s;
  const double one = step_cost(ExchangeMode::kSparse, measured_shape(data, global_batch, 1), link, m.costs).total();
  for (const int w : {2, 4, 8, 16, 32, 64}) {
    const StepShape shape = measured_shape(data, global_batch, w);
    for (const double gbit : {1.0, 10.0, 100.0}) {
      const LinkCost net{50e-6, gbit * 1e9 / 8};
      m.hosts.push_back({w, gbit, one, step_cost(ExchangeMode::kSharded, shape, net, m.costs),
                         step_cost(ExchangeMode::kSparse, shape, net, m.costs)});
    }
  }
  return m;
}

}  // namespace dsgd
