#include "dsgd/data/dataset.h"

#include <gtest/gtest.h>

#include "dsgd/base/error.h"

namespace dsgd {
namespace {

TEST(ShardRange, CoversAllRowsInBalancedContiguousShards) {
  for (std::size_t rows : {0UL, 1UL, 10UL, 1000003UL}) {
    for (std::size_t workers : {1UL, 2UL, 3UL, 4UL, 7UL}) {
      std::size_t next = 0;
      for (std::size_t k = 0; k < workers; ++k) {
        const RowRange r = shard_range(rows, workers, k);
        EXPECT_EQ(r.begin, next);
        EXPECT_LE(r.size(), rows / workers + 1);
        EXPECT_GE(r.size(), rows / workers);
        next = r.end;
      }
      EXPECT_EQ(next, rows);
    }
  }
  EXPECT_EQ(shard_range(10, 3, 0).size(), 4U);  // the first rows % workers shards take one more
  EXPECT_EQ(shard_range(10, 3, 2).size(), 3U);
}

TEST(DType, ParsesKnownNamesAndRejectsOthers) {
  EXPECT_EQ(parse_dtype("f32"), DType::kF32);
  EXPECT_EQ(parse_dtype("float64"), DType::kF64);
  EXPECT_THROW((void)parse_dtype("f16"), ConfigError);
  EXPECT_EQ(to_string(DType::kF32), "f32");
}

TEST(Dataset, ViewsMatchTheStoredTypeAndAreAligned) {
  Dataset data(DType::kF32, 5, 3, 100);
  EXPECT_EQ(data.first_row(), 100U);
  EXPECT_EQ(data.feature_bytes(), 5U * 3U * sizeof(float));
  EXPECT_THROW((void)data.view<double>(), Error);
  const auto view = data.view<float>();
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(view.x) % 64, 0U);
  EXPECT_EQ(view.slice(2, 4).x, view.x + 6);
  EXPECT_THROW(Dataset(DType::kF64, 1, 0), ConfigError);
}

}  // namespace
}  // namespace dsgd
