#include "dsgd/comm/thread_comm.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <vector>

#include "dsgd/error.h"

namespace dsgd {
namespace {

// Integer-valued inputs: every sum is exact, so any order must give exactly this.
double value(int rank, std::size_t k) { return static_cast<double>((rank + 1) * 1000 + static_cast<int>(k % 97)); }

class AllreduceExact : public ::testing::TestWithParam<std::tuple<int, std::size_t>> {};

TEST_P(AllreduceExact, EveryWorkerGetsTheExactSum) {
  const auto [workers, length] = GetParam();
  std::vector<std::vector<double>> out(static_cast<std::size_t>(workers));
  run_threads(workers, [&, length = length](Communicator& comm) {
    std::vector<double> data(length);
    for (int round = 0; round < 3; ++round) {  // reuse of the double-buffered slots
      for (std::size_t k = 0; k < length; ++k) data[k] = value(comm.rank(), k) + round;
      comm.allreduce_sum(data);
    }
    out[static_cast<std::size_t>(comm.rank())] = data;
  });
  for (std::size_t k = 0; k < length; ++k) {
    double expected = 0;
    for (int r = 0; r < workers; ++r) expected += value(r, k) + 2;
    ASSERT_EQ(out[0][k], expected) << "k = " << k;
  }
  for (const auto& o : out) EXPECT_EQ(o, out[0]);
}

INSTANTIATE_TEST_SUITE_P(WorkersAndLengths, AllreduceExact,
                         ::testing::Combine(::testing::Values(1, 2, 3, 4, 5),
                                            ::testing::Values(std::size_t{0}, std::size_t{1}, std::size_t{7},
                                                              ThreadComm::kSlicedFrom, std::size_t{100003})));

// Values where the order of additions changes the result: the sum must follow the tree.
TEST(Allreduce, SumsInThePairwiseTreeOrderOnBothPaths) {
  const std::vector<double> parts = {1e16, 1.0, -1e16, 1.0};
  const double tree = (parts[0] + parts[1]) + (parts[2] + parts[3]);  // 0: each 1 is lost beside 1e16
  const double chain = ((parts[0] + parts[1]) + parts[2]) + parts[3];
  ASSERT_NE(tree, chain);  // the test means something
  for (std::size_t length : {std::size_t{3}, ThreadComm::kSlicedFrom + 5}) {
    std::vector<double> result;
    run_threads(4, [&](Communicator& comm) {
      std::vector<double> data(length, parts[static_cast<std::size_t>(comm.rank())]);
      comm.allreduce_sum(data);
      if (comm.rank() == 3) result = data;
    });
    for (double v : result) ASSERT_EQ(v, tree);
  }
}

TEST(TreeSum, ThreePartsSumAsFirstPairThenThird) {
  const double a[] = {1e16}, b[] = {1.0}, c[] = {1.0};
  const double* parts[] = {a, b, c};
  double out = 0;
  tree_sum(parts, 0, 1, &out);
  EXPECT_EQ(out, (1e16 + 1.0) + 1.0);
  EXPECT_NE(out, 1e16 + (1.0 + 1.0));
}

TEST(ThreadComm, BroadcastCopiesTheRootsData) {
  run_threads(3, [](Communicator& comm) {
    std::vector<double> data(5, comm.rank() == 1 ? 7.5 : -1.0);
    comm.broadcast(data, 1);
    for (double v : data) EXPECT_EQ(v, 7.5);
  });
}

TEST(ThreadComm, CountsSyncsAndBytesBothWays) {
  std::vector<CommStats> stats(3);
  run_threads(3, [&](Communicator& comm) {
    std::vector<double> small(10, 1.0);
    comm.allreduce_sum(small);
    comm.barrier();
    stats[static_cast<std::size_t>(comm.rank())] = comm.stats();
  });
  for (const CommStats& s : stats) {
    EXPECT_EQ(s.syncs, 2U);
    EXPECT_EQ(s.bytes_received, 2U * 10U * sizeof(double));  // read the other two slots
    EXPECT_EQ(s.bytes_sent, 2U * 10U * sizeof(double));      // its slot read by the other two
  }
}

TEST(ThreadComm, OneWorkerMovesNothing) {
  run_threads(1, [](Communicator& comm) {
    std::vector<double> data = {1.5, 2.5};
    comm.allreduce_sum(data);
    EXPECT_EQ(data, (std::vector<double>{1.5, 2.5}));
    EXPECT_EQ(comm.stats().bytes_sent, 0U);
    EXPECT_EQ(comm.stats().syncs, 1U);
  });
}

TEST(ThreadComm, AFailingWorkerEndsTheRunWithItsErrorAndNobodyHangs) {
  std::atomic<int> comm_errors{0};
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(run_threads(4,
                           [&](Communicator& comm) {
                             std::vector<double> data(3, 1.0);
                             comm.allreduce_sum(data);
                             if (comm.rank() == 2) throw std::runtime_error("worker 2 failed");
                             try {
                               for (int i = 0; i < 1000; ++i) comm.allreduce_sum(data);
                             } catch (const CommError&) {
                               ++comm_errors;
                               throw;
                             }
                           }),
               std::runtime_error);
  EXPECT_EQ(comm_errors.load(), 3);
  // Not a timing assertion on speed: only that the peers were released at all (no hang).
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
}

TEST(ThreadComm, RejectsAnEmptyGroup) { EXPECT_THROW(ThreadGroup(0), ConfigError); }

}  // namespace
}  // namespace dsgd
