// The exchange strategies and the sparse (lazy) update: every exchange gives the same bits, on
// every worker count and with shuffling; the lazy update is the dense update where the
// arithmetic is the same and matches it to rounding where L2 is kept as a scale factor; auto
// picks the cheaper form; bytes follow the touched columns, not d.
#include "dsgd/train/sync/exchange.h"
#include "dsgd/train/sync/exchange_cost.h"
#include "dsgd/train/sync/strategies.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <vector>

#include "dsgd/comm/thread_comm.h"
#include "dsgd/base/error.h"
#include "dsgd/data/synthetic.h"
#include "dsgd/model/kernel.h"
#include "dsgd/train/loop/run.h"
#include "dsgd/train/config/scaling.h"
#include "dsgd/train/update/update.h"
#include "dsgd/train/config/worker_count.h"

namespace dsgd {
namespace {

SyntheticSpec sparse_spec(std::size_t samples, std::size_t features, std::size_t nnz, double zipf = 1.0) {
  SyntheticSpec spec;
  spec.samples = samples;
  spec.features = features;
  spec.test_samples = 0;
  spec.noise = 0.05;
  spec.nnz = nnz;
  spec.zipf = zipf;
  spec.seed = 7;
  return spec;
}

TrainConfig config_of(int workers, std::size_t batch, ExchangeMode exchange, std::size_t epochs = 3) {
  TrainConfig c;
  c.workers = workers;
  c.batch = batch;
  c.epochs = epochs;
  c.lr = 0.5;
  c.exchange = exchange;
  return c;
}

std::vector<double> weights_and_bias(const RunResult& run) {
  std::vector<double> w = run.model.weights;
  w.push_back(run.model.bias);
  return w;
}

// A communicator of threads that cannot share memory (as processes could not): the exchanges
// that move gradients, where the threads backend would share its model.
class Unshared final : public Communicator {
 public:
  explicit Unshared(Communicator& inner) : inner_(inner) {}
  [[nodiscard]] int rank() const noexcept override { return inner_.rank(); }
  [[nodiscard]] int size() const noexcept override { return inner_.size(); }
  void allreduce_sum(std::span<double> data) override { inner_.allreduce_sum(data); }
  void start_allreduce_sum(std::span<double> data) override { inner_.start_allreduce_sum(data); }
  bool test_allreduce() override { return inner_.test_allreduce(); }
  void wait_allreduce() override { inner_.wait_allreduce(); }
  [[nodiscard]] const GatheredBytes& allgather_bytes(std::span<const std::byte> mine) override {
    return inner_.allgather_bytes(mine);
  }
  void broadcast(std::span<double> data, int root) override { inner_.broadcast(data, root); }
  void barrier() override { inner_.barrier(); }
  [[nodiscard]] std::string_view algorithm() const noexcept override { return "threads, unshared"; }

 private:
  Communicator& inner_;
};

// Rank 0's result of a run on `workers` threads whose communicators cannot share memory.
WorkerResult train_unshared(const TrainConfig& c, const Dataset& data) {
  std::vector<WorkerResult> results(static_cast<std::size_t>(c.workers));
  const JobOf jobs = balanced_jobs(c, data, data.rows());
  run_threads(c.workers, [&](Communicator& threads) {
    Unshared comm(threads);
    results[static_cast<std::size_t>(comm.rank())] = train_worker(c, jobs(comm.rank()), comm);
  });
  return results[0];
}

class Exchanges : public ::testing::TestWithParam<std::tuple<int, bool, double>> {};

// Sparse lists merged in the workers' tree, and a shared model whose columns each sum the
// workers' gradients in that tree, give exactly the dense allreduce's sums.
TEST_P(Exchanges, SparseSharedAutoAndDenseGiveTheSameBits) {
  const auto [workers, shuffle, l2] = GetParam();
  const Dataset data = generate_parallel(sparse_spec(5003, 3000, 9), Split::kTrain, 2);
  ASSERT_EQ(data.layout(), Layout::kSparse);
  for (const Optimizer optimizer : {Optimizer::kSgd, Optimizer::kAdagrad}) {
    std::vector<std::vector<double>> weights;
    std::uint64_t sparse_columns = 0;  // the columns the sparse exchange's workers each moved
    const auto modes = workers > 1 ? std::vector{ExchangeMode::kDense, ExchangeMode::kSparse, ExchangeMode::kAuto,
                                                 ExchangeMode::kShared, ExchangeMode::kSharded}
                                   : std::vector{ExchangeMode::kDense, ExchangeMode::kSparse, ExchangeMode::kAuto,
                                                 ExchangeMode::kSharded};
    for (const ExchangeMode mode : modes) {
      TrainConfig c = config_of(workers, 97, mode);
      c.shuffle = shuffle;
      c.l2 = l2;
      c.optimizer = optimizer;
      const RunResult run = train_on_threads(c, data);
      EXPECT_TRUE(run.sparse_update);
      const ExchangeStats& e = run.exchange;
      EXPECT_EQ(e.dense_steps + e.sparse_steps + e.shared_steps + e.sharded_steps, run.steps);
      if (mode == ExchangeMode::kDense) EXPECT_EQ(e.dense_steps, run.steps);
      if (mode == ExchangeMode::kSparse) EXPECT_EQ(e.sparse_steps, run.steps);
      if (mode == ExchangeMode::kShared) EXPECT_EQ(e.shared_steps, run.steps);
      if (mode == ExchangeMode::kSharded && workers > 1) EXPECT_EQ(e.sharded_steps, run.steps);
      if (mode == ExchangeMode::kAuto) EXPECT_EQ(e.shared_steps, 0U);  // 3000 columns: lists and dense
      // The update is divided where the model is shared: each column the step touched is moved
      // by one worker; elsewhere every worker moves all of them.
      ASSERT_EQ(run.work.size(), static_cast<std::size_t>(workers));
      std::uint64_t moved = 0;
      for (const WorkerWork& w : run.work) {
        moved += w.columns_updated;
        EXPECT_LE(w.update_s, w.compute_s);
      }
      if (mode == ExchangeMode::kSparse) {
        sparse_columns = run.work.front().columns_updated;
        for (const WorkerWork& w : run.work) EXPECT_EQ(w.columns_updated, sparse_columns);
      }
      if (mode == ExchangeMode::kShared) EXPECT_EQ(moved, sparse_columns);
      if (mode == ExchangeMode::kSharded && workers > 1) {
        // Each touched column moved by its owner alone; a worker takes the entries the others
        // sent it and the weights of the columns it does not own.
        EXPECT_EQ(moved, sparse_columns);
        std::uint64_t sent = 0, received = 0;
        for (std::size_t k = 0; k < run.work.size(); ++k) {
          const WorkerWork& w = run.work[k];
          sent += w.entries_sent;
          received += w.entries_received;
          EXPECT_GT(w.columns_updated, 0U) << "worker " << k;
          EXPECT_EQ(w.weights_received, sparse_columns - w.columns_updated) << "worker " << k;
          EXPECT_EQ(w.weights_sent, w.columns_updated * static_cast<std::uint64_t>(workers - 1)) << "worker " << k;
        }
        EXPECT_EQ(sent, received);
        EXPECT_GT(sent, 0U);
      }
      weights.push_back(weights_and_bias(run));
    }
    for (std::size_t m = 1; m < modes.size(); ++m)
      EXPECT_EQ(weights[0], weights[m]) << workers << " workers: " << to_string(modes[m]) << " differs from dense";
    if (workers > 1) {  // workers that cannot share: auto's lists after a dense step, the same bits;
      // sharded with the all-to-all made of an all-gather (the default of backends without one)
      for (const ExchangeMode mode : {ExchangeMode::kAuto, ExchangeMode::kSharded}) {
        TrainConfig c = config_of(workers, 97, mode);
        c.shuffle = shuffle;
        c.l2 = l2;
        c.optimizer = optimizer;
        const WorkerResult unshared = train_unshared(c, data);
        EXPECT_EQ(unshared.exchange.shared_steps, 0U);
        EXPECT_GT(mode == ExchangeMode::kAuto ? unshared.exchange.sparse_steps : unshared.exchange.sharded_steps, 0U);
        std::vector<double> w = unshared.model.weights;
        w.push_back(unshared.model.bias);
        EXPECT_EQ(weights[0], w) << workers << " workers: unshared " << to_string(mode) << " differs from dense";
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(WorkersShuffleL2, Exchanges,
                         ::testing::Combine(::testing::Values(1, 2, 3, 4), ::testing::Bool(),
                                            ::testing::Values(0.0, 1e-3)));

// A strong L2 makes the scale factor fold into the weights every few dozen steps; the shared
// model folds each worker's share of every replica and still gives the dense bits, also on
// scaled features.
TEST(SharedExchange, FoldsTheL2ScaleAndScalesLikeTheDenseExchange) {
  const Dataset data = generate_parallel(sparse_spec(3001, 2000, 7), Split::kTrain, 2);
  for (const Scaling scale : {Scaling::kNone, Scaling::kMaxAbs}) {
    std::vector<std::vector<double>> weights;
    for (const ExchangeMode mode : {ExchangeMode::kDense, ExchangeMode::kShared, ExchangeMode::kSharded}) {
      TrainConfig c = config_of(3, 40, mode, 6);  // 25 steps an epoch, alpha x 0.75 a step
      c.l2 = 0.5;
      c.scale = scale;
      weights.push_back(weights_and_bias(train_on_threads(c, data)));
    }
    EXPECT_EQ(weights[0], weights[1]);
    EXPECT_EQ(weights[0], weights[2]);
  }
}

// Auto shares the model of threads once a replica outgrows the caches (kSharedFromBytes), and
// keeps the dense bits; below that it moves lists.
TEST(SharedExchange, IsAutosChoiceForModelsBeyondTheCaches) {
  const std::size_t d = kSharedFromBytes / (2 * sizeof(double));
  const Dataset data = generate_parallel(sparse_spec(600, d, 5, 0.0), Split::kTrain, 1);
  std::vector<std::vector<double>> weights;
  for (const ExchangeMode mode : {ExchangeMode::kAuto, ExchangeMode::kDense}) {
    const RunResult run = train_on_threads(config_of(2, 50, mode, 1), data);
    if (mode == ExchangeMode::kAuto) EXPECT_EQ(run.exchange.shared_steps, run.steps);
    weights.push_back(weights_and_bias(run));
  }
  EXPECT_EQ(weights[0], weights[1]);
  const Dataset small = generate_parallel(sparse_spec(600, d / 2 - 1, 5, 0.0), Split::kTrain, 1);
  EXPECT_EQ(train_on_threads(config_of(2, 50, ExchangeMode::kAuto, 1), small).exchange.shared_steps, 0U);
}

// Auto measures the first step's touched columns and takes sharded where its step costs least:
// 4 workers on uniform columns (each batch touches its own quarter of the union), not 2 workers
// on a Zipf head (the batches overlap, lists cost less); the same bits either way.
TEST(AutoExchange, TakesShardedWhereItsStepCostsLeast) {
  const Dataset uniform = generate_parallel(sparse_spec(8000, 200000, 20, 0.0), Split::kTrain, 2);
  const RunResult run = train_on_threads(config_of(4, 500, ExchangeMode::kAuto, 1), uniform);
  EXPECT_EQ(run.exchange.sharded_steps, run.steps);
  EXPECT_EQ(run.exchange_why.rfind("auto chose sharded", 0), 0U) << run.exchange_why;
  const RunResult dense = train_on_threads(config_of(4, 500, ExchangeMode::kDense, 1), uniform);
  EXPECT_EQ(weights_and_bias(run), weights_and_bias(dense));

  const Dataset zipf = generate_parallel(sparse_spec(4000, 20000, 20, 1.0), Split::kTrain, 2);
  const RunResult two = train_on_threads(config_of(2, 500, ExchangeMode::kAuto, 1), zipf);
  EXPECT_EQ(two.exchange.sharded_steps, 0U);
  EXPECT_EQ(two.exchange_why.rfind("auto sums lists", 0), 0U) << two.exchange_why;
  // Given, the exchange is not auto's to choose.
  EXPECT_TRUE(train_on_threads(config_of(2, 500, ExchangeMode::kSparse, 1), zipf).exchange_why.empty());
}

// The shape auto reads: a worker's non-zeros and distinct columns in its first batch, and in its
// first W batches for the union, averaged over the workers.
TEST(ExchangeCost, FirstStepShapeCountsEachWorkersDistinctColumns) {
  const Dataset data = generate_parallel(sparse_spec(3000, 5000, 9, 1.0), Split::kTrain, 1);
  const auto v = data.sparse_view<double>();
  const auto distinct = [&](std::size_t begin, std::size_t end) {
    std::set<std::uint32_t> seen;
    for (std::uint64_t k = v.offsets[begin]; k < v.offsets[end]; ++k) seen.insert(v.index[k]);
    return static_cast<double>(seen.size());
  };
  std::vector<StepShape> shapes(2);
  run_threads(2, [&](Communicator& comm) {
    const std::size_t r = static_cast<std::size_t>(comm.rank());
    const Shard shard{&data, {r * 1500, (r + 1) * 1500}};
    shapes[r] = first_step_shape(shard, 100, comm);
  });
  const double touched = (distinct(0, 100) + distinct(1500, 1600)) / 2;
  const double all = (distinct(0, 200) + distinct(1500, 1700)) / 2;
  for (const StepShape& s : shapes) {
    EXPECT_EQ(s.workers, 2.0);
    EXPECT_EQ(s.touched, touched);
    EXPECT_EQ(s.union_columns, all);
    EXPECT_EQ(s.values, 9.0 * 100);
    EXPECT_EQ(s.columns, 5000.0);
  }
}

// With more workers a list-summing worker receives more (W - 1 lists), a sharded one does not.
TEST(ExchangeCost, ListsBytesGrowWithTheWorkersShardedBytesDoNot) {
  const LinkCost link{50e-6, 1.25e9};
  StepShape s{2, 10000, 5000, 9000, 1e6};
  const double lists2 = step_cost(ExchangeMode::kSparse, s, link).bytes;
  const double sharded2 = step_cost(ExchangeMode::kSharded, s, link).bytes;
  s.workers = 32;
  EXPECT_NEAR(step_cost(ExchangeMode::kSparse, s, link).bytes, 31 * lists2, 1e-6 * lists2);
  EXPECT_LT(step_cost(ExchangeMode::kSharded, s, link).bytes, 2 * sharded2);
  EXPECT_LT(step_cost(ExchangeMode::kSharded, s, link).total(), step_cost(ExchangeMode::kSparse, s, link).total());
  // One worker: the kernel and the update of its columns, nothing exchanged.
  s.workers = 1;
  const StepCost one = step_cost(ExchangeMode::kSharded, s, link);
  EXPECT_EQ(one.exchange_s, 0.0);
  EXPECT_EQ(one.bytes, 0.0);
}

// Sharded keeps one model divided among the workers: local SGD (a model a worker) and overlap
// (a dense allreduce in flight) are refused before any work, naming the exchange.
TEST(ShardedExchange, RefusesLocalSgdAndOverlap) {
  for (const bool overlap : {false, true}) {
    TrainConfig c = config_of(2, 50, ExchangeMode::kSharded, 1);
    if (overlap) {
      c.overlap = true;
    } else {
      c.sync_every = 4;
    }
    try {
      check_config(c);
      ADD_FAILURE() << "accepted sharded with " << (overlap ? "overlap" : "local SGD");
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("sharded"), std::string::npos) << e.what();
    }
  }
  EXPECT_NO_THROW(check_config(config_of(2, 50, ExchangeMode::kSharded, 1)));
}

// Shared needs workers that can share memory, and sparse data.
TEST(SharedExchange, IsRefusedWhereTheWorkersCannotShare) {
  const Dataset data = generate_parallel(sparse_spec(500, 300, 5), Split::kTrain, 1);
  TrainConfig c = config_of(2, 50, ExchangeMode::kShared, 1);
  EXPECT_THROW((void)train_unshared(c, data), ConfigError);
  SyntheticSpec dense_spec = sparse_spec(500, 30, 0);
  const Dataset dense = generate_parallel(dense_spec, Split::kTrain, 1);
  ASSERT_EQ(dense.layout(), Layout::kDense);
  EXPECT_THROW((void)train_on_threads(c, dense), ConfigError);
}

// The plain algorithm on sparse rows: the sparse kernel and an update of all d weights. The
// lazy update must give exactly these bits without L2 (the same arithmetic on every touched
// column, untouched ones unchanged) and match them to rounding with L2 (a scale factor).
std::vector<double> dense_update_reference(const Dataset& data, const TrainConfig& c) {
  const auto v = data.sparse_view<double>();
  std::vector<double> w(v.cols, 0.0), grad(v.cols);
  double bias = 0;
  const std::size_t steps = (v.rows + c.batch - 1) / c.batch;
  for (std::size_t epoch = 0; epoch < c.epochs; ++epoch) {
    for (std::size_t s = 0; s < steps; ++s) {
      const std::size_t begin = s * c.batch, end = std::min(v.rows, begin + c.batch);
      std::fill(grad.begin(), grad.end(), 0.0);
      PassSums sums;
      accumulate_gradient(v.slice(begin, end), nullptr, end - begin, w, bias, grad, sums);
      const double scale = c.lr / static_cast<double>(end - begin);
      for (std::size_t j = 0; j < v.cols; ++j) w[j] -= scale * grad[j] + c.lr * c.l2 * w[j];
      bias -= scale * sums.residual;
    }
  }
  w.push_back(bias);
  return w;
}

TEST(LazyUpdate, IsTheDenseUpdateExactlyWithoutL2AndToRoundingWithIt) {
  const Dataset data = generate_parallel(sparse_spec(3001, 500, 6), Split::kTrain, 1);
  for (const double l2 : {0.0, 1e-2}) {
    TrainConfig c = config_of(1, 64, ExchangeMode::kSparse, 4);
    c.warmup_epochs = 0;
    c.l2 = l2;
    const std::vector<double> lazy = weights_and_bias(train_on_threads(c, data));
    const std::vector<double> dense = dense_update_reference(data, c);
    ASSERT_EQ(lazy.size(), dense.size());
    if (l2 == 0.0) {
      EXPECT_EQ(lazy, dense);
    } else {
      EXPECT_NE(lazy, dense);  // the scale factor rounds differently: the test compares something
      for (std::size_t j = 0; j < lazy.size(); ++j)
        EXPECT_NEAR(lazy[j], dense[j], 1e-12 * std::abs(dense[j]) + 1e-15) << "j = " << j;
    }
  }
}

// Dense and sparse storage of the same rows: the kernels sum in different orders, so the
// weights agree to rounding.
TEST(LazyUpdate, SparseStorageTrainsTheWeightsOfDenseStorageToRounding) {
  const Dataset sparse = generate_parallel(sparse_spec(4001, 40, 5), Split::kTrain, 1);
  const Dataset dense = to_layout(sparse, Layout::kDense);
  for (const int workers : {1, 2}) {
    TrainConfig c = config_of(workers, 128, ExchangeMode::kAuto);
    c.l2 = 1e-3;
    c.optimizer = workers == 2 ? Optimizer::kAdagrad : Optimizer::kSgd;  // adagrad's lazy and dense forms too
    const std::vector<double> a = weights_and_bias(train_on_threads(c, sparse));
    const std::vector<double> b = weights_and_bias(train_on_threads(c, dense));
    for (std::size_t j = 0; j < a.size(); ++j) EXPECT_NEAR(a[j], b[j], 1e-11 * std::abs(b[j]) + 1e-14) << "j = " << j;
  }
}

// Adagrad moves a column by lr * m / sqrt(sum of m^2): its first step is lr in the sign of m,
// whatever the gradient's size, and rare columns move as far as common ones.
TEST(LazyUpdate, AdagradTakesScaleFreeFirstSteps) {
  const Dataset data = generate_parallel(sparse_spec(64, 20000, 3, 0.0), Split::kTrain, 1);
  TrainConfig c = config_of(1, 64, ExchangeMode::kSparse, 1);
  c.warmup_epochs = 0;
  c.lr = 0.25;
  c.bias = false;
  c.optimizer = Optimizer::kAdagrad;
  const RunResult run = train_on_threads(c, data);  // one step over all 64 rows from w = 0
  std::size_t moved = 0;
  for (const double w : run.model.weights) {
    if (w != 0.0) {
      EXPECT_DOUBLE_EQ(std::abs(w), 0.25);
      ++moved;
    }
  }
  EXPECT_GE(moved, 150U);  // 64 rows x 3 columns of 20000, nearly all distinct
}

// Rows that hold every column: the lists cost more than the dense vector, and auto stays dense;
// rows of 2 columns out of 50000: lists after the first (dense, counting) step.
TEST(AutoExchange, PicksTheCheaperFormOnCraftedDensities) {
  Dataset full = to_layout(generate_parallel(
                               [] {
                                 SyntheticSpec s;
                                 s.samples = 2000;
                                 s.features = 64;
                                 s.test_samples = 0;
                                 return s;
                               }(),
                               Split::kTrain, 1),
                           Layout::kSparse);
  const WorkerResult dense = train_unshared(config_of(2, 64, ExchangeMode::kAuto), full);
  EXPECT_EQ(dense.exchange.sparse_steps, 0U);
  EXPECT_EQ(dense.exchange.dense_steps, dense.steps);
  const Dataset thin = generate_parallel(sparse_spec(2000, 50000, 2), Split::kTrain, 1);
  const WorkerResult sparse = train_unshared(config_of(2, 64, ExchangeMode::kAuto), thin);
  EXPECT_EQ(sparse.exchange.sparse_steps, sparse.steps - 1);
  EXPECT_EQ(sparse.exchange.dense_steps, 1U);
  EXPECT_TRUE(sparse_is_cheaper(1000, 1000));
  EXPECT_FALSE(sparse_is_cheaper(1400, 1000));
}

// A step's bytes follow the touched columns: 12 bytes an entry (and a 40-byte header, padding),
// far below the dense vector's, and they grow with the rows' non-zeros, not with d.
TEST(SparseExchange, BytesFollowTheTouchedColumnsNotD) {
  std::vector<double> per_step;
  for (const std::size_t d : {std::size_t{20000}, std::size_t{2'000'000}}) {
    const Dataset data = generate_parallel(sparse_spec(2000, d, 4, 0.0), Split::kTrain, 1);
    const RunResult run = train_on_threads(config_of(2, 50, ExchangeMode::kSparse, 1), data);
    const CommStats& s = run.per_worker[0];
    const double received = static_cast<double>(s.bytes_received) / static_cast<double>(run.steps);
    // Worker 1's 50 rows hold 200 columns, at most: 40 + 12 x 200 bytes a step (+ the run's
    // few small collectives besides the steps).
    EXPECT_LE(received, 40 + 12 * 200 + 8 + 64) << "d = " << d;
    EXPECT_GE(received, 40 + 12 * 150) << "d = " << d;  // uniform columns rarely repeat in 200
    per_step.push_back(received);
    EXPECT_LT(run.touched_share * static_cast<double>(d), 401.0);
  }
  EXPECT_NEAR(per_step[0], per_step[1], 0.1 * per_step[1]);  // 100x the columns, the same bytes
}

// maxabs: powers of two at or above each column's largest |x|, mean 0, 1 for empty columns;
// with a few columns of counts up to 7e7 among values in [-1, 1], the file defaults' rate is
// set by the counts and the other columns learn little, unless the columns are scaled.
TEST(Scaling, MaxAbsScalesArePowersOfTwoAtOrAboveTheLargestValue) {
  EXPECT_EQ(power_of_two_scale(1.0), 1.0);
  EXPECT_EQ(power_of_two_scale(3.0), 4.0);
  EXPECT_EQ(power_of_two_scale(0.3), 0.5);
  EXPECT_EQ(power_of_two_scale(1e8), 134217728.0);
  EXPECT_EQ(power_of_two_scale(0.0), 1.0);
  SyntheticSpec spec = sparse_spec(3000, 200, 6);
  spec.values = SparseValues::kGaussian;
  Dataset data = generate_parallel(spec, Split::kTrain, 1);
  auto values = data.features_as<double>();
  // A few columns hold counts up to 7e7 (byte sizes, say), the rest stay within [-1, 1].
  for (std::size_t k = 0; k < values.size(); ++k) {
    if (data.indices()[k] % 10 == 0) values[k] *= static_cast<double>(1 + (data.indices()[k] % 7)) * 1e7;
  }
  const Standardization s = maxabs_scaling(data, {0, data.rows()}, this_process().comm());
  std::vector<double> largest(200, 0.0);
  for (std::size_t k = 0; k < values.size(); ++k)
    largest[data.indices()[k]] = std::max(largest[data.indices()[k]], std::abs(values[k]));
  for (std::size_t j = 0; j < 200; ++j) {
    EXPECT_EQ(s.mean[j], 0.0);
    EXPECT_GE(s.scale[j], largest[j]);
    EXPECT_LT(s.scale[j], 2 * largest[j] + (largest[j] == 0 ? 2.0 : 0.0));
    int e = 0;
    EXPECT_EQ(std::frexp(s.scale[j], &e), 0.5) << "not a power of two: " << s.scale[j];
  }
  // The threads' maxima agree with one process's (a collective over 3 workers' rows).
  std::vector<Standardization> parts(3);
  run_threads(3, [&](Communicator& comm) {
    const RowRange rows = shard_range(data.rows(), 3, static_cast<std::size_t>(comm.rank()));
    parts[static_cast<std::size_t>(comm.rank())] = maxabs_scaling(data, rows, comm);
  });
  for (const Standardization& p : parts) EXPECT_EQ(p.scale, s.scale);

  // The file defaults' rate, 32 / (E|x|^2 + 1): near 1e-14 on the raw values, which then learn
  // nothing; sane on the scaled ones.
  const auto rate = [&](const std::vector<double>* scale) {
    double sum = 0;
    for (std::size_t k = 0; k < values.size(); ++k) {
      const double x = values[k] / (scale != nullptr ? (*scale)[data.indices()[k]] : 1.0);
      sum += x * x;
    }
    return 32.0 / (sum / static_cast<double>(data.rows()) + 1.0) / 2;
  };
  TrainConfig c = config_of(2, 64, ExchangeMode::kAuto, 10);
  c.lr = rate(&s.scale);
  c.scale = Scaling::kMaxAbs;
  const RunResult scaled = train_on_threads(c, data);
  ASSERT_TRUE(scaled.model.standardization);
  EXPECT_EQ(scaling_of(scaled.model), Scaling::kMaxAbs);
  c.scale = Scaling::kNone;
  c.lr = rate(nullptr);
  EXPECT_LT(c.lr, 1e-12);
  const RunResult raw_run = train_on_threads(c, data);
  const Metrics raw_fit = evaluate(data, raw_run.model);
  const Metrics scaled_fit = evaluate(data, scaled.model);
  EXPECT_GE(scaled_fit.accuracy, raw_fit.accuracy + 0.02);
  EXPECT_LE(scaled_fit.log_loss, raw_fit.log_loss - 0.05);
  // The fold is exact: raw weights times the scale give the stored weights back.
  const RawWeights raw = scaled.model.raw_weights();
  for (std::size_t j = 0; j < 200; ++j) EXPECT_EQ(raw.weights[j] * s.scale[j], scaled.model.weights[j]);
}

TEST(WorkerCount, FewerWorkersWhenAStepIsTooLittleWork) {
  const auto work = [](double rows, double values, bool sparse, double columns = 100) {
    return [=](int w) { return StepWork{rows / w, values / w, sparse, columns}; };
  };
  EXPECT_EQ(paying_workers(4, work(8192, 8192 * 20, false)).workers, 4);
  EXPECT_TRUE(paying_workers(4, work(8192, 8192 * 20, false)).why.empty());
  const WorkerChoice tiny = paying_workers(2, work(32, 32 * 13, false));
  EXPECT_EQ(tiny.workers, 1);
  EXPECT_NE(tiny.why.find("--workers 2 forces it"), std::string::npos) << tiny.why;
  // 4 workers would each get too little, 2 enough.
  const double rows = 2 * kMinStepSeconds / (kRowSeconds + 40 * kSparseValueSeconds) * 1.6;
  EXPECT_EQ(paying_workers(4, work(rows, rows * 40, true)).workers, 3);
  // Sparse steps touching as many columns as they hold values: the exchange outweighs the saving.
  const WorkerChoice wide = paying_workers(2, work(2048, 2048 * 80, true, 62061));
  EXPECT_EQ(wide.workers, 1);
  EXPECT_NE(wide.why.find("of the 62061 columns"), std::string::npos) << wide.why;
  EXPECT_EQ(paying_workers(2, work(2048, 2048 * 14, true, 123)).workers, 2);  // a9a's shape
}

}  // namespace
}  // namespace dsgd
