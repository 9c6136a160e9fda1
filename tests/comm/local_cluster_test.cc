// The cluster of one process (LocalCluster) and the settings check every rank runs.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "dsgd/base/error.h"
#include "dsgd/comm/cluster.h"
#include "dsgd/comm/same_settings.h"
#include "dsgd/comm/thread_comm.h"

namespace dsgd {
namespace {

// Sums that round differently in other orders: only the pairwise tree gives these bits.
std::vector<std::vector<double>> inexact_parts(int n, std::size_t length) {
  std::vector<std::vector<double>> parts(static_cast<std::size_t>(n), std::vector<double>(length));
  for (int p = 0; p < n; ++p) {
    for (std::size_t k = 0; k < length; ++k) parts[p][k] = 1.0 / (3.0 + p * 7 + static_cast<double>(k)) * (p % 2 ? 1e8 : 1);
  }
  return parts;
}

TEST(LocalCluster, IsRankZeroOfOne) {
  LocalCluster cluster;
  EXPECT_EQ(cluster.rank(), 0);
  EXPECT_EQ(cluster.size(), 1);
  EXPECT_EQ(cluster.comm().rank(), 0);
  EXPECT_EQ(cluster.comm().size(), 1);
  EXPECT_EQ(&this_process(), &this_process());  // one for the thread
}

TEST(LocalCluster, SumsItsPartsInTheTreeOrder) {
  LocalCluster cluster;
  for (const int n : {1, 2, 3, 5}) {
    const std::vector<std::vector<double>> parts = inexact_parts(n, 1500);  // (more than one chunk)
    std::vector<const double*> pointers;
    for (const auto& p : parts) pointers.push_back(p.data());
    std::vector<double> expected(1500), out(1500, -1.0);
    tree_sum(pointers, 0, expected.size(), expected.data());
    cluster.comm().allreduce_parts(pointers, out);
    EXPECT_EQ(out, expected) << n << " parts";
    std::vector<double> split(1500, -1.0);
    cluster.comm().start_allreduce_parts(pointers, split);
    EXPECT_TRUE(cluster.comm().test_allreduce());
    cluster.comm().wait_allreduce();
    EXPECT_EQ(split, expected) << n << " parts, split";
  }
  std::vector<double> alone = {1.5, -2.25};
  cluster.comm().allreduce_sum(alone);  // one part in place: unchanged
  EXPECT_EQ(alone, (std::vector<double>{1.5, -2.25}));
  EXPECT_EQ(cluster.comm().stats().bytes_sent, 0U);
}

TEST(LocalCluster, GathersAndBroadcastsItsOwn) {
  LocalCluster cluster;
  EXPECT_EQ(broadcast_text(cluster.comm(), "text", 0), "text");
  EXPECT_TRUE(any_worker(cluster.comm(), true));
  EXPECT_FALSE(any_worker(cluster.comm(), false));
  const std::vector<int> one = allgather_one<int>(cluster.comm(), 7);
  EXPECT_EQ(one, std::vector<int>{7});
  const std::string a = "ab", b = "cde";
  const std::span<const std::byte> parts[] = {std::as_bytes(std::span(a)), std::as_bytes(std::span(b))};
  const GatheredBytes& got = cluster.comm().allgather_parts(parts);
  ASSERT_EQ(got.size(), 2U);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(got[1].data()), got[1].size()), "cde");
  std::vector<double> v = {3.0};
  cluster.comm().broadcast(v, 0);
  EXPECT_EQ(v[0], 3.0);
}

TEST(SameSettings, NamesTheFirstSettingThatDiffers) {
  std::vector<std::string> errors(3);
  run_threads(3, [&](Communicator& comm) {
    const std::vector<Setting> settings = {
        number_setting("--batch", 64),
        {"--exchange", comm.rank() == 2 ? "dense" : "auto"},
        number_setting("--lr", comm.rank() == 2 ? 0.5 : 0.1),  // (differs later in the list)
    };
    try {
      check_same_settings(comm, settings);
    } catch (const ConfigError& e) {
      errors[static_cast<std::size_t>(comm.rank())] = e.what();
    }
  });
  for (const std::string& e : errors) {  // the same message on every rank
    EXPECT_EQ(e, "ranks disagree on --exchange: rank 0 has auto, rank 2 has dense; every rank must be started with "
                 "the same options");
  }
  std::vector<std::string> given(2);
  run_threads(2, [&](Communicator& comm) {
    try {
      check_same_settings(comm, std::vector<Setting>{given_setting("--lr", comm.rank() == 1)});
    } catch (const ConfigError& e) {
      given[static_cast<std::size_t>(comm.rank())] = e.what();
    }
  });
  EXPECT_EQ(given[0], "ranks disagree on --lr: rank 1 was given it and rank 0 was not; every rank must be started with "
                      "the same options");
  LocalCluster alone;
  EXPECT_NO_THROW(check_same_settings(alone.comm(), std::vector<Setting>{number_setting("--batch", 1)}));
}

}  // namespace
}  // namespace dsgd
