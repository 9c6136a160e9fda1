#include "dsgd/comm/thread_comm.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <chrono>
#include <stdexcept>
#include <vector>

#include "dsgd/base/error.h"

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

// The split allreduce: work between start and wait, the same bits as allreduce_sum on both
// reduction paths, and the same counters.
TEST(SplitAllreduce, GivesTheBitsOfAllreduceSumOnBothPaths) {
  for (const int workers : {1, 2, 3, 4}) {
    for (const std::size_t length : {std::size_t{5}, ThreadComm::kSlicedFrom + 3}) {
      std::vector<std::vector<double>> split(static_cast<std::size_t>(workers)), whole = split;
      std::vector<CommStats> split_stats(split.size()), whole_stats(split.size());
      run_threads(workers, [&](Communicator& comm) {
        const auto r = static_cast<std::size_t>(comm.rank());
        const auto fill = [&](std::vector<double>& v, int round) {
          v.resize(length);
          for (std::size_t k = 0; k < length; ++k) v[k] = 1.0 / static_cast<double>(k + 1 + r * 7 + round);
        };
        std::vector<double> a, b;
        for (int round = 0; round < 3; ++round) {
          fill(a, round);
          comm.start_allreduce_sum(a);
          double busy = 0;  // work while the sum travels
          for (int k = 0; k < 1000; ++k) busy += std::sqrt(static_cast<double>(k));
          EXPECT_GT(busy, 0);
          while (!comm.test_allreduce()) {
          }
          comm.wait_allreduce();
        }
        split[r] = a;
        split_stats[r] = comm.stats();
        for (int round = 0; round < 3; ++round) {
          fill(b, round);
          comm.allreduce_sum(b);
        }
        whole[r] = b;
        whole_stats[r] = comm.stats() - split_stats[r];
      });
      for (std::size_t r = 0; r < split.size(); ++r) {
        EXPECT_EQ(split[r], whole[r]) << workers << " workers, length " << length;
        EXPECT_EQ(split_stats[r].syncs, whole_stats[r].syncs);
        EXPECT_EQ(split_stats[r].bytes_sent, whole_stats[r].bytes_sent);
        EXPECT_EQ(split_stats[r].bytes_received, whole_stats[r].bytes_received);
      }
      EXPECT_EQ(split[0], split.back());
    }
  }
}

TEST(SplitAllreduce, RefusesOtherCollectivesBeforeTheWait) {
  run_threads(2, [](Communicator& comm) {
    std::vector<double> a(3, 1.0), b(3, 1.0);
    comm.start_allreduce_sum(a);
    EXPECT_THROW(comm.start_allreduce_sum(b), CommError);
    EXPECT_THROW(comm.barrier(), CommError);  // its call would reuse the buffers in flight
    EXPECT_THROW((void)comm.allgather_bytes({}), CommError);
    comm.wait_allreduce();
    EXPECT_EQ(a, std::vector<double>(3, 2.0));
  });
}

// Variable-length all-gather: worker r sends r * 3 bytes (worker 0 none), every worker sees
// every part in rank order, across repeated calls (the double-buffered slots).
TEST(Allgather, EveryWorkerGetsEveryPartInRankOrder) {
  for (const int workers : {1, 2, 3, 5}) {
    std::vector<CommStats> stats(static_cast<std::size_t>(workers));
    run_threads(workers, [&](Communicator& comm) {
      for (int round = 0; round < 4; ++round) {
        const auto bytes_of = [round](int r) {
          std::vector<std::byte> b(static_cast<std::size_t>(r) * 3);
          for (std::size_t k = 0; k < b.size(); ++k) b[k] = static_cast<std::byte>(r * 16 + round + static_cast<int>(k));
          return b;
        };
        const std::vector<std::byte> mine = bytes_of(comm.rank());
        const GatheredBytes& all = comm.allgather_bytes(mine);
        ASSERT_EQ(all.size(), static_cast<std::size_t>(workers));
        for (int r = 0; r < workers; ++r) {
          const std::vector<std::byte> expected = bytes_of(r);
          const std::span<const std::byte> got = all[static_cast<std::size_t>(r)];
          ASSERT_EQ(std::vector<std::byte>(got.begin(), got.end()), expected) << "round " << round << ", part " << r;
        }
      }
      stats[static_cast<std::size_t>(comm.rank())] = comm.stats();
    });
    std::uint64_t total = 0;
    for (int r = 0; r < workers; ++r) total += 3U * static_cast<std::uint64_t>(r);
    for (int r = 0; r < workers; ++r) {
      const CommStats& s = stats[static_cast<std::size_t>(r)];
      EXPECT_EQ(s.syncs, 4U);
      EXPECT_EQ(s.bytes_received, 4U * (total - 3U * static_cast<std::uint64_t>(r)));
      EXPECT_EQ(s.bytes_sent, 4U * 3U * static_cast<std::uint64_t>(r) * static_cast<std::uint64_t>(workers - 1));
    }
  }
}

// Worker `from`'s bytes for worker `to` in round `round`: lengths differ by pair, some empty.
std::vector<std::byte> alltoall_part(int from, int to, int round) {
  std::vector<std::byte> b(static_cast<std::size_t>((from + 2 * to + round) % 5));
  for (std::size_t k = 0; k < b.size(); ++k) b[k] = static_cast<std::byte>(from * 40 + to * 7 + round + static_cast<int>(k));
  return b;
}

// Each worker gets, by rank, exactly the part every worker addressed to it, round after round
// (an all-gather between rounds: the buffers of consecutive calls alternate), and counts only
// the bytes that crossed to or from another worker.
TEST(Alltoall, EveryWorkerGetsThePartsAddressedToIt) {
  for (const int workers : {1, 2, 3, 5}) {
    std::vector<CommStats> stats(static_cast<std::size_t>(workers));
    run_threads(workers, [&](Communicator& comm) {
      const int me = comm.rank();
      for (int round = 0; round < 3; ++round) {
        std::vector<std::byte> mine;
        std::vector<std::uint64_t> sizes;
        for (int to = 0; to < workers; ++to) {
          const std::vector<std::byte> part = alltoall_part(me, to, round);
          mine.insert(mine.end(), part.begin(), part.end());
          sizes.push_back(part.size());
        }
        const GatheredBytes& got = comm.alltoall_bytes(mine, sizes);
        ASSERT_EQ(got.size(), static_cast<std::size_t>(workers));
        for (int from = 0; from < workers; ++from) {
          const std::span<const std::byte> part = got[static_cast<std::size_t>(from)];
          EXPECT_EQ(std::vector<std::byte>(part.begin(), part.end()), alltoall_part(from, me, round))
              << "round " << round << ", from " << from << " to " << me;
        }
        (void)comm.allgather_bytes(mine);
      }
      EXPECT_THROW((void)comm.alltoall_bytes({}, std::vector<std::uint64_t>(static_cast<std::size_t>(workers) + 1)),
                   CommError);
      stats[static_cast<std::size_t>(me)] = comm.stats();
    });
    for (int r = 0; r < workers; ++r) {
      std::uint64_t sent = 0, received = 0;
      for (int round = 0; round < 3; ++round) {
        for (int k = 0; k < workers; ++k) {
          if (k == r) continue;
          sent += alltoall_part(r, k, round).size();
          received += alltoall_part(k, r, round).size();
        }
      }
      std::uint64_t gathered_out = 0, gathered_in = 0;  // the all-gathers between the rounds
      for (int round = 0; round < 3; ++round) {
        for (int k = 0; k < workers; ++k) {
          std::uint64_t total = 0;
          for (int to = 0; to < workers; ++to) total += alltoall_part(k, to, round).size();
          if (k == r) gathered_out += total * static_cast<std::uint64_t>(workers - 1);
          else gathered_in += total;
        }
      }
      const CommStats& s = stats[static_cast<std::size_t>(r)];
      EXPECT_EQ(s.syncs, 6U);
      EXPECT_EQ(s.bytes_sent, sent + gathered_out) << workers << " workers, worker " << r;
      EXPECT_EQ(s.bytes_received, received + gathered_in) << workers << " workers, worker " << r;
    }
  }
}

TEST(Allgather, TypedWrappersCarryValuesAndTextExactly) {
  run_threads(3, [](Communicator& comm) {
    struct Pair {
      std::uint64_t big;
      double x;
    };
    const std::uint64_t big = (std::uint64_t{1} << 63) + static_cast<std::uint64_t>(comm.rank());  // not exact in a double
    const std::vector<Pair> ones = allgather_one(comm, Pair{big, 0.1 * comm.rank()});
    ASSERT_EQ(ones.size(), 3U);
    for (std::size_t r = 0; r < 3; ++r) {
      EXPECT_EQ(ones[r].big, (std::uint64_t{1} << 63) + r);
      EXPECT_EQ(ones[r].x, 0.1 * static_cast<double>(r));
    }
    std::vector<std::uint32_t> mine(static_cast<std::size_t>(comm.rank()), 7U);
    const std::vector<std::vector<std::uint32_t>> lists = allgather<std::uint32_t>(comm, mine);
    for (std::size_t r = 0; r < 3; ++r) EXPECT_EQ(lists[r], std::vector<std::uint32_t>(r, 7U));
    EXPECT_EQ(broadcast_one(comm, comm.rank() == 2 ? big : 0U, 2), (std::uint64_t{1} << 63) + 2);
    const std::string text = comm.rank() == 1 ? std::string("a message\0with a NUL", 21) : std::string("other");
    EXPECT_EQ(broadcast_text(comm, text, 1), std::string("a message\0with a NUL", 21));
    EXPECT_EQ(gather(comm, std::vector<double>{1.0 * comm.rank(), 2.0}), (std::vector<double>{0, 2, 1, 2, 2, 2}));
  });
}

TEST(ThreadComm, RejectsAnEmptyGroup) { EXPECT_THROW(ThreadGroup(0), ConfigError); }

}  // namespace
}  // namespace dsgd
