// The bandwidth probe's cache: measured once, then read back, and measured around where the
// cache is off, garbled or from another boot.
#include "dsgd/analysis/bandwidth.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace dsgd {
namespace {

namespace fs = std::filesystem;

class BandwidthCache : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("dsgd_bw_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    const char* old = std::getenv("XDG_CACHE_HOME");
    saved_ = old != nullptr ? old : "";
    had_ = old != nullptr;
    ::setenv("XDG_CACHE_HOME", dir_.c_str(), 1);
    ::unsetenv("DSGD_BANDWIDTH_CACHE");
  }
  void TearDown() override {
    if (had_) ::setenv("XDG_CACHE_HOME", saved_.c_str(), 1);
    else ::unsetenv("XDG_CACHE_HOME");
    ::unsetenv("DSGD_BANDWIDTH_CACHE");
    fs::remove_all(dir_);
  }
  fs::path dir_;
  std::string saved_;
  bool had_ = false;
};

TEST_F(BandwidthCache, MeasuresOnceThenReadsTheCache) {
  EXPECT_EQ(bandwidth_cache_path(), (dir_ / "dsgd/bandwidth.json").string());
  const MachineFigure first = machine_read_bandwidth(1);
  EXPECT_GT(first.value, 0);
  EXPECT_EQ(first.source, "measured now");
  ASSERT_TRUE(fs::exists(dir_ / "dsgd/bandwidth.json"));
  const MachineFigure second = machine_read_bandwidth(1);
  EXPECT_EQ(second.value, first.value);  // the same figure, not a second measurement
  EXPECT_NE(second.source.find("cached for this boot in " + bandwidth_cache_path()), std::string::npos)
      << second.source;
  // Each thread count and kind of figure has its own entry.
  EXPECT_EQ(machine_random_reads(1, 1 << 20).source, "measured now");
  EXPECT_NE(machine_random_reads(1, 1 << 20).source.find("cached"), std::string::npos);
}

TEST_F(BandwidthCache, GarbledOrForeignCachesAreMeasuredAgain) {
  fs::create_directories(dir_ / "dsgd");
  std::ofstream(dir_ / "dsgd/bandwidth.json") << "{not json";
  EXPECT_EQ(machine_read_bandwidth(1).source, "measured now");
  EXPECT_NE(machine_read_bandwidth(1).source.find("cached"), std::string::npos);
  // Another boot's figures (or a hand-written one) are not trusted.
  std::ofstream(dir_ / "dsgd/bandwidth.json")
      << R"({"boot_id": "another", "figures": {"read_gbs/1": {"value": 1e9, "at": 0}}})";
  const MachineFigure f = machine_read_bandwidth(1);
  EXPECT_EQ(f.source, "measured now");
  EXPECT_LT(f.value, 1e9);
}

// An expired figure is measured again; the new one replaces it, unless it is under half of it
// and the last measurement was not.
TEST_F(BandwidthCache, AFigureUnderHalfTheExpiredOneIsUsedNotStored) {
  std::string boot;
  std::getline(std::ifstream("/proc/sys/kernel/random/boot_id"), boot);
  ASSERT_FALSE(boot.empty());
  fs::create_directories(dir_ / "dsgd");
  const auto write_expired = [&](const char* value) {
    std::ofstream(dir_ / "dsgd/bandwidth.json")
        << R"({"boot_id": ")" << boot << R"(", "figures": {"read_gbs/1": {"value": )" << value << R"(, "at": 1}}})";
  };
  write_expired("1e9");  // no machine streams 1e9 GB/s: the new figure is under half of it
  const MachineFigure busy = machine_read_bandwidth(1);
  EXPECT_LT(busy.value, 1e9);
  EXPECT_NE(busy.source.find("measured now; not cached: under half of the 1e+09 measured at 00:00 UTC"),
            std::string::npos)
      << busy.source;
  // Twice under half in a row: the second is believed and stored.
  const MachineFigure again = machine_read_bandwidth(1);
  EXPECT_EQ(again.source, "measured now");
  EXPECT_EQ(machine_read_bandwidth(1).value, again.value);
  EXPECT_NE(machine_read_bandwidth(1).source.find("cached"), std::string::npos);
  write_expired("1e-9");
  const MachineFigure quiet = machine_read_bandwidth(1);
  EXPECT_EQ(quiet.source, "measured now");
  EXPECT_EQ(machine_read_bandwidth(1).value, quiet.value);  // stored
}

TEST_F(BandwidthCache, OffMeansMeasuredEveryTime) {
  ::setenv("DSGD_BANDWIDTH_CACHE", "off", 1);
  EXPECT_EQ(bandwidth_cache_path(), "");
  EXPECT_EQ(machine_read_bandwidth(1).source, "measured now");
  EXPECT_EQ(machine_read_bandwidth(1).source, "measured now");
  EXPECT_FALSE(fs::exists(dir_ / "dsgd"));
}

}  // namespace
}  // namespace dsgd
