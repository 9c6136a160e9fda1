#include "dsgd/train/config/scaling.h"

#include <cmath>
#include <cstdint>
#include <vector>

namespace dsgd {

double power_of_two_scale(double m) noexcept {
  if (!(m > 0) || !std::isfinite(m)) return 1.0;
  int e = 0;
  const double f = std::frexp(m, &e);  // m = f * 2^e, f in [0.5, 1)
  return std::ldexp(1.0, f == 0.5 ? e - 1 : e);
}

namespace {

// fn(column, |x|) for every stored value of rows `rows` of `data`.
template <typename Fn>
void for_each_value(const Dataset& data, RowRange rows, Fn&& fn) {
  data.visit([&](const auto& v) {
    if constexpr (requires { v.offsets; }) {
      for (std::uint64_t k = v.offsets[rows.begin]; k < v.offsets[rows.end]; ++k)
        fn(v.index[k], std::abs(v.value_of(k)));
    } else {
      for (std::size_t i = rows.begin; i < rows.end; ++i) {
        for (std::size_t j = 0; j < v.cols; ++j) fn(j, std::abs(static_cast<double>(v.row(i)[j])));
      }
    }
  });
}

}  // namespace

Standardization maxabs_scaling(const Dataset& data, RowRange rows, Communicator& comm) {
  const std::size_t d = data.features();
  std::vector<double> largest(d, 0.0);
  for_each_value(data, rows, [&](std::size_t j, double a) {
    if (a > largest[j]) largest[j] = a;  // NaN and infinity are refused by the readers
  });
  if (comm.size() > 1) {
    // The others' maxima, as (column, max) for the columns they hold: max is exact in any order.
    struct Entry {
      std::uint64_t column;
      double largest;
    };
    std::vector<Entry> mine;
    for (std::size_t j = 0; j < d; ++j) {
      if (largest[j] > 0) mine.push_back({j, largest[j]});
    }
    for (const std::vector<Entry>& theirs : allgather<Entry>(comm, mine)) {
      for (const Entry& e : theirs) {
        if (e.column < d && e.largest > largest[e.column]) largest[e.column] = e.largest;
      }
    }
  }
  Standardization s{std::vector<double>(d, 0.0), std::vector<double>(d)};
  for (std::size_t j = 0; j < d; ++j) s.scale[j] = power_of_two_scale(largest[j]);
  return s;
}

bool has_values_beyond_one(const Dataset& data, Communicator& comm) {
  bool beyond = false;
  for_each_value(data, {0, data.rows()}, [&](std::size_t, double a) { beyond = beyond || a > 1.0; });
  return any_worker(comm, beyond);
}

Scaling scaling_of(const LinearModel& model) noexcept {
  if (!model.standardization) return Scaling::kNone;
  for (const double m : model.standardization->mean) {
    if (m != 0.0) return Scaling::kStandardize;
  }
  return Scaling::kMaxAbs;
}

}  // namespace dsgd
