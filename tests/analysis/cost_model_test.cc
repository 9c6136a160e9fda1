// The cost model of dsgd study: its fit recovers known costs, its leave-one-out predictions, and
// its predictions for hosts on a network.
#include "dsgd/analysis/cost_model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "dsgd/base/error.h"

namespace dsgd {
namespace {

CostSample sample(int workers, const char* kernel, double rows, double syncs_per_worker_count_one = 1000) {
  CostSample s;
  s.workers = workers;
  s.cores = 2;
  s.epochs = 8;
  s.rows_per_worker = rows / workers;
  s.kernel = kernel;
  s.syncs = workers > 1 ? syncs_per_worker_count_one / workers : 0;
  s.bytes_per_worker = workers > 1 ? s.syncs * 100.0 * workers * workers : 0;
  return s;
}

// Samples timed by a known model: 10 ns a narrow row, 80 ns a wide one, 4 us a tree level,
// 100 us a crowded sync, 1 ns a byte.
std::vector<CostSample> known_samples(CostModel& truth) {
  std::vector<CostSample> s;
  for (const char* kernel : {"narrow", "wide"}) {
    for (const int w : {1, 2, 4}) s.push_back(sample(w, kernel, 1e6));
  }
  s.push_back(sample(2, "narrow", 1e6, 3000));  // another batch: syncs apart from rows
  s.push_back(sample(8, "wide", 1e6, 3000));
  truth.kernels = {"narrow", "wide"};
  truth.links = {"threads"};
  truth.cost = {10e-9, 80e-9, 4e-6, 100e-6, 1e-9};
  truth.fitted.assign(5, true);
  for (CostSample& x : s) x.time_s = predict_time(truth, x);
  return s;
}

TEST(CostModel, RecoversTheCostsThatMadeTheTimes) {
  CostModel truth;
  const std::vector<CostSample> samples = known_samples(truth);
  const CostModel fitted = fit_cost_model(samples);
  ASSERT_EQ(fitted.kernels, truth.kernels);
  ASSERT_EQ(fitted.terms(), 5u);
  for (std::size_t j = 0; j < fitted.terms(); ++j) {
    EXPECT_TRUE(fitted.fitted[j]) << fitted.term_name(j);
    EXPECT_NEAR(fitted.cost[j] / truth.cost[j], 1.0, 1e-4) << fitted.term_name(j);
  }
  for (const CostSample& s : samples) EXPECT_NEAR(predict_time(fitted, s) / s.time_s, 1.0, 1e-6);
}

TEST(CostModel, EachLinkHasItsOwnExchangeCostsAndSharesTheRows) {
  // The same rows exchanged by threads and by MPI ranks: one cost a row, and each link's own
  // level, crowd and byte costs (MPI's sync 10x the threads').
  CostModel truth;
  std::vector<CostSample> s = known_samples(truth);
  const std::size_t threads_points = s.size();
  for (std::size_t i = 0; i < threads_points; ++i) {
    CostSample m = s[i];
    m.link = "mpi";
    s.push_back(m);
  }
  truth.links = {"threads", "mpi"};
  truth.cost = {10e-9, 80e-9, 4e-6, 100e-6, 1e-9, 40e-6, 300e-6, 2e-9};
  truth.fitted.assign(8, true);
  for (CostSample& x : s) x.time_s = predict_time(truth, x);
  const CostModel fitted = fit_cost_model(s);
  ASSERT_EQ(fitted.links, truth.links);
  ASSERT_EQ(fitted.terms(), 8u);
  EXPECT_EQ(fitted.link_term("mpi"), 5u);
  EXPECT_EQ(fitted.term_name(5), "per sync and tree level, mpi");
  for (std::size_t j = 0; j < fitted.terms(); ++j)
    EXPECT_NEAR(fitted.cost[j] / truth.cost[j], 1.0, 1e-4) << fitted.term_name(j);
  EXPECT_GT(predict_time(fitted, s[threads_points + 1]), predict_time(fitted, s[1]));  // W = 2 on mpi
  CostSample unknown = s[0];
  unknown.link = "hosts";
  EXPECT_THROW((void)predict_time(fitted, unknown), Error);
}

TEST(CostModel, CostsStayNonNegative) {
  // Times that fall with more syncs would want a negative sync cost: it is held at zero.
  std::vector<CostSample> s = {sample(1, "k", 1e6), sample(2, "k", 1e6)};
  s[0].time_s = 0.080;
  s[1].time_s = 0.030;  // faster than half: a negative sync cost would fit exactly
  const CostModel m = fit_cost_model(s);
  for (const double c : m.cost) EXPECT_GE(c, 0.0);
  EXPECT_FALSE(m.fitted[m.kernels.size() + 1]);  // no point had more workers than cores
}

TEST(CostModel, LeaveOneOutPredictsUnseenPointsOrSaysItCannot) {
  CostModel truth;
  const std::vector<CostSample> samples = known_samples(truth);
  const std::vector<double> loo = leave_one_out(samples);
  ASSERT_EQ(loo.size(), samples.size());
  // Every point left out is still determined by the others (the crowd cost by the other
  // kernel's crowded points), so the predictions hold, the data being exact, to the solver's
  // convergence.
  for (std::size_t i = 0; i < samples.size(); ++i) {
    ASSERT_TRUE(std::isfinite(loo[i])) << i;
    EXPECT_NEAR(loo[i] / samples[i].time_s, 1.0, 1e-2) << i;
  }
  // A kernel seen in one point only cannot be predicted without it.
  std::vector<CostSample> lone = samples;
  lone.push_back(sample(1, "alone", 1e5));
  lone.back().time_s = 0.01;
  EXPECT_TRUE(std::isnan(leave_one_out(lone).back()));
}

TEST(CostModel, NetworkPredictionPaysLatencyAndBandwidthPerHop) {
  CostModel truth;
  const CostModel m = fit_cost_model(known_samples(truth));
  CostSample s = sample(8, "narrow", 1e6);
  const NetworkSpec net{50e-6, 1.25e9};  // 50 us, 10 Gbit/s
  const CostParts p = predict_on_network(m, s, net, 192.0);
  // Eight hosts: no crowding, 2 x 3 hops a sync.
  EXPECT_NEAR(p.compute_s, 8 * (1e6 / 8) * 10e-9, 1e-9);
  EXPECT_NEAR(p.sync_s, s.syncs * 6 * 50e-6, 1e-9);
  EXPECT_NEAR(p.bytes_s, s.syncs * 6 * 192.0 / 1.25e9, 1e-12);
}

TEST(CostModel, RefusesNothingToFitAndUnknownKernels) {
  EXPECT_THROW((void)fit_cost_model({}), Error);
  std::vector<CostSample> s = {sample(1, "k", 1e6)};
  EXPECT_THROW((void)fit_cost_model(s), Error);  // time_s 0
  s[0].time_s = 0.1;
  const CostModel m = fit_cost_model(s);
  EXPECT_THROW((void)predict_time(m, sample(1, "other", 1e6)), Error);
}

}  // namespace
}  // namespace dsgd
