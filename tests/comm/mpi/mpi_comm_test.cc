// MPI backend tests, run by CTest under mpiexec with 1, 2, 3 and 4 ranks. Every rank runs every
// test; collectives pair up because all ranks run the same tests in the same order. Only rank 0
// prints gtest's progress. A rank whose peers fail does not hang: the communicator's watchdog
// turns a stuck collective into a CommError within kTimeout seconds.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "dsgd/comm/cluster.h"
#include "dsgd/comm/hierarchical_comm.h"
#include "dsgd/comm/mpi/mpi_comm.h"
#include "dsgd/model/evaluation.h"
#include "dsgd/comm/thread_comm.h"
#include "dsgd/data/synthetic.h"
#include "dsgd/train/loop/run.h"

namespace dsgd {
namespace {

constexpr double kTimeout = 30;
Cluster* g_cluster = nullptr;  // set once in main; the tests only read it

Cluster& cluster() { return *g_cluster; }

double value(int rank, std::size_t k) { return static_cast<double>((rank + 1) * 1000 + static_cast<int>(k % 89)); }

class MpiAllreduce : public ::testing::TestWithParam<std::size_t> {};

TEST_P(MpiAllreduce, IntegerVectorsSumExactly) {
  const std::size_t n = GetParam();
  std::vector<double> data(n);
  for (std::size_t k = 0; k < n; ++k) data[k] = value(cluster().rank(), k);
  cluster().comm().allreduce_sum(data);
  for (std::size_t k = 0; k < n; ++k) {
    double expected = 0;
    for (int r = 0; r < cluster().size(); ++r) expected += value(r, k);
    ASSERT_EQ(data[k], expected) << "k = " << k;
  }
}

INSTANTIATE_TEST_SUITE_P(Lengths, MpiAllreduce, ::testing::Values(0, 1, 7, 100003));

// Parts whose sum depends on the order: the result must be the pairwise tree over the global
// part index rank * parts + k, i.e. what tree_sum gives over all parts in one process.
TEST(MpiAllreduceParts, FollowsTheGlobalTree) {
  const int parts = 3;
  const std::size_t n = 11;
  const auto part_value = [](int global, std::size_t k) {
    const double big[] = {1e16, 1.0, -1e16, 1.0, 3.0};
    return big[(static_cast<std::size_t>(global) + k) % 5] * (1.0 + static_cast<double>(k) * 1e-3);
  };
  std::vector<std::vector<double>> local(parts, std::vector<double>(n));
  std::vector<const double*> pointers;
  for (int p = 0; p < parts; ++p) {
    for (std::size_t k = 0; k < n; ++k) local[static_cast<std::size_t>(p)][k] = part_value(cluster().rank() * parts + p, k);
    pointers.push_back(local[static_cast<std::size_t>(p)].data());
  }
  std::vector<double> out(n);
  cluster().comm().allreduce_parts(pointers, out);

  const int total = cluster().size() * parts;
  std::vector<std::vector<double>> all(static_cast<std::size_t>(total), std::vector<double>(n));
  std::vector<const double*> all_pointers;
  for (int g = 0; g < total; ++g) {
    for (std::size_t k = 0; k < n; ++k) all[static_cast<std::size_t>(g)][k] = part_value(g, k);
    all_pointers.push_back(all[static_cast<std::size_t>(g)].data());
  }
  std::vector<double> expected(n);
  tree_sum(all_pointers, 0, n, expected.data());
  EXPECT_EQ(out, expected);
}

// The split allreduce gives the bits of the blocking one, deterministic and native, also when
// the vector is sliced across ranks and with work (and tests) between start and wait.
TEST(MpiSplitAllreduce, GivesTheBitsOfTheBlockingOne) {
  ClusterOptions native_options;
  native_options.allreduce = AllreduceAlgorithm::kNative;
  native_options.timeout_s = kTimeout;
  MpiComm native(MPI_COMM_WORLD, native_options);
  for (ClusterComm* comm : {&cluster().comm(), static_cast<ClusterComm*>(&native)}) {
    for (const std::size_t n : {std::size_t{1}, std::size_t{13}, std::size_t{5000}}) {
      std::vector<double> a(n), b(n);
      for (std::size_t k = 0; k < n; ++k) a[k] = b[k] = 1.0 / static_cast<double>(k + 1 + 3 * cluster().rank());
      comm->start_allreduce_sum(a);
      for (int polls = 0; polls < 3 && !comm->test_allreduce(); ++polls) {
      }
      comm->wait_allreduce();
      comm->allreduce_sum(b);
      ASSERT_EQ(a, b) << "n = " << n;
    }
  }
}

// Variable-length all-gather: rank r sends 5r bytes (rank 0 none); with two threads per rank
// (the hierarchical layout) the parts come in global worker order.
TEST(MpiAllgather, EveryRankGetsEveryPartInOrder) {
  const auto bytes_of = [](int worker) {
    std::vector<std::byte> b(static_cast<std::size_t>(worker) * 5);
    for (std::size_t k = 0; k < b.size(); ++k) b[k] = static_cast<std::byte>(worker * 31 + static_cast<int>(k));
    return b;
  };
  for (int round = 0; round < 2; ++round) {
    const GatheredBytes& all = cluster().comm().allgather_bytes(bytes_of(cluster().rank()));
    ASSERT_EQ(all.size(), static_cast<std::size_t>(cluster().size()));
    for (int r = 0; r < cluster().size(); ++r) {
      const auto got = all[static_cast<std::size_t>(r)];
      EXPECT_EQ(std::vector<std::byte>(got.begin(), got.end()), bytes_of(r));
    }
  }
  std::vector<std::vector<std::vector<std::byte>>> seen(2);
  run_hierarchical(2, cluster().comm(), [&](Communicator& comm) {
    const std::vector<std::byte> mine = bytes_of(comm.rank());
    std::vector<double> sum = {static_cast<double>(comm.rank())};
    comm.start_allreduce_sum(sum);
    comm.wait_allreduce();
    const double w = comm.size();
    EXPECT_EQ(sum[0], w * (w - 1) / 2);
    const GatheredBytes& all = comm.allgather_bytes(mine);
    auto& out = seen[static_cast<std::size_t>(comm.rank() % 2)];
    for (const auto part : all) out.emplace_back(part.begin(), part.end());
  });
  for (const auto& out : seen) {
    ASSERT_EQ(out.size(), static_cast<std::size_t>(2 * cluster().size()));
    for (std::size_t g = 0; g < out.size(); ++g) EXPECT_EQ(out[g], bytes_of(static_cast<int>(g)));
  }
}

// Worker `from`'s bytes for worker `to`: lengths differ by pair, some empty.
std::vector<std::byte> alltoall_part(int from, int to) {
  std::vector<std::byte> b(static_cast<std::size_t>((from + 2 * to) % 5));
  for (std::size_t k = 0; k < b.size(); ++k) b[k] = static_cast<std::byte>(from * 40 + to * 7 + static_cast<int>(k));
  return b;
}

// Every worker gets exactly the part each worker addressed to it: ranks (MPI_Alltoallv), and
// ranks x 2 threads (the hierarchical layout, by the all-gather of every part).
void check_alltoall(Communicator& comm) {
  std::vector<std::byte> mine;
  std::vector<std::uint64_t> sizes;
  for (int to = 0; to < comm.size(); ++to) {
    const std::vector<std::byte> part = alltoall_part(comm.rank(), to);
    mine.insert(mine.end(), part.begin(), part.end());
    sizes.push_back(part.size());
  }
  for (int round = 0; round < 2; ++round) {
    const GatheredBytes& got = comm.alltoall_bytes(mine, sizes);
    ASSERT_EQ(got.size(), static_cast<std::size_t>(comm.size()));
    for (int from = 0; from < comm.size(); ++from) {
      const std::span<const std::byte> part = got[static_cast<std::size_t>(from)];
      EXPECT_EQ(std::vector<std::byte>(part.begin(), part.end()), alltoall_part(from, comm.rank()))
          << "from " << from << " to " << comm.rank();
    }
  }
}

TEST(MpiAlltoall, EveryWorkerGetsThePartsAddressedToIt) {
  check_alltoall(cluster().comm());
  run_hierarchical(2, cluster().comm(), [](Communicator& comm) { check_alltoall(comm); });
}

TEST(MpiComm, BroadcastAndBarrier) {
  std::vector<double> data(4, cluster().rank() == cluster().size() - 1 ? 2.5 : -1.0);
  cluster().comm().broadcast(data, cluster().size() - 1);
  EXPECT_EQ(data, std::vector<double>(4, 2.5));
  cluster().comm().barrier();
}

struct Case {
  std::size_t samples;
  int threads_per_rank;
  bool shuffle;
  DType dtype;
  std::size_t nnz = 0;  // sparse rows over 5000 features
  ExchangeMode exchange = ExchangeMode::kAuto;
};

class MpiTraining : public ::testing::TestWithParam<Case> {};

// Each rank generates only its rows; the weights must equal those of W = ranks x threads
// threads in one process, bit for bit (uneven shards included: the sample counts are primes),
// also on sparse rows, where the ranks exchange lists (or the dense vector, or either) and the
// threads the dense vector.
TEST_P(MpiTraining, WeightsEqualTheThreadsBackendBitForBit) {
  const Case c = GetParam();
  SyntheticSpec spec;
  spec.samples = c.samples;
  spec.features = c.nnz > 0 ? 5000 : 9;
  spec.nnz = c.nnz;
  spec.test_samples = 0;
  spec.noise = 0.05;
  spec.dtype = c.dtype;
  TrainConfig config;
  config.workers = cluster().size() * c.threads_per_rank;
  config.batch = 300;
  config.epochs = 3;
  config.lr = 0.3;
  config.shuffle = c.shuffle;
  config.exchange = c.exchange;
  config.l2 = c.nnz > 0 ? 1e-3 : 0.0;
  const RowRange mine = process_rows(spec.samples, cluster().size(), c.threads_per_rank, cluster().rank());
  const Dataset local = generate_parallel(spec, Split::kTrain, mine, 2);
  const RunResult distributed =
      train_on_cluster(config, cluster(), c.threads_per_rank, balanced_jobs(config, local, spec.samples));

  const Dataset all = generate_parallel(spec, Split::kTrain, 2);
  TrainConfig dense = config;
  dense.exchange = ExchangeMode::kDense;  // the threads' dense exchange: the same bits again
  const RunResult threads = train_on_threads(c.nnz > 0 ? dense : config, all);
  EXPECT_EQ(distributed.model.weights, threads.model.weights);
  if (c.exchange == ExchangeMode::kSparse) {
    EXPECT_EQ(distributed.exchange.sparse_steps, distributed.steps);
  }
  if (c.exchange == ExchangeMode::kSharded && config.workers > 1) {
    EXPECT_EQ(distributed.exchange.sharded_steps, distributed.steps);
    std::uint64_t sent = 0, received = 0;
    for (const WorkerWork& w : distributed.work) {
      sent += w.entries_sent;
      received += w.entries_received;
    }
    EXPECT_EQ(sent, received);
    EXPECT_GT(sent, 0U);
  }
  EXPECT_EQ(distributed.model.bias, threads.model.bias);
  EXPECT_EQ(distributed.steps, threads.steps);
  EXPECT_EQ(distributed.per_worker.size(), static_cast<std::size_t>(config.workers));
  // Metrics over the shards add up to the metrics over all rows.
  const Metrics split = evaluate_on_cluster(local, distributed.model, cluster().comm());
  const Metrics whole = evaluate(all, threads.model);
  EXPECT_EQ(split.accuracy, whole.accuracy);
  EXPECT_NEAR(split.log_loss, whole.log_loss, 1e-12);
}

INSTANTIATE_TEST_SUITE_P(Cases, MpiTraining,
                         ::testing::Values(Case{10007, 1, false, DType::kF64}, Case{10007, 1, true, DType::kF64},
                                           Case{5003, 2, false, DType::kF64}, Case{5003, 2, true, DType::kF32},
                                           Case{7, 1, false, DType::kF64},
                                           Case{4001, 1, true, DType::kF64, 7, ExchangeMode::kSparse},
                                           Case{4001, 2, false, DType::kF32, 7, ExchangeMode::kSparse},
                                           Case{3001, 2, true, DType::kF64, 5, ExchangeMode::kAuto},
                                           Case{3001, 1, false, DType::kF64, 5, ExchangeMode::kDense},
                                           Case{4001, 1, true, DType::kF64, 7, ExchangeMode::kSharded},
                                           Case{4001, 2, true, DType::kF32, 7, ExchangeMode::kSharded}));

}  // namespace
}  // namespace dsgd

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  dsgd::ClusterOptions options;
  options.timeout_s = dsgd::kTimeout;
  const std::unique_ptr<dsgd::Cluster> cluster = dsgd::join_mpi_cluster(options);
  dsgd::g_cluster = cluster.get();
  if (cluster->rank() != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  const int result = RUN_ALL_TESTS();
  // Every rank must agree on success; a rank that failed makes the job fail.
  std::vector<double> failed = {result == 0 ? 0.0 : 1.0};
  cluster->comm().allreduce_sum(failed);
  return failed[0] == 0 ? 0 : 1;
}
