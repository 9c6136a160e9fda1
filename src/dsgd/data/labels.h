#pragma once
// The two label values of a binary data set and their 0/1 classes: the larger value is the
// positive class (1), whatever the spelling (-1/+1, 0/1, 1/2, -1.0/1.0).
#include <cstdint>
#include <optional>
#include <string>

namespace dsgd {

struct LabelMap {
  double negative = 0;
  double positive = 1;

  // The class of a label value, or nothing for a value that is neither.
  [[nodiscard]] std::optional<std::uint8_t> classify(double label) const noexcept {
    if (label == positive) return 1;
    if (label == negative) return 0;
    return std::nullopt;
  }
  // "-1 -> 0, 1 -> 1"
  [[nodiscard]] std::string describe() const;
  // The value written for a class, shortest round-trip form ("-1", "1", "2").
  [[nodiscard]] std::string text(std::uint8_t cls) const;

  friend bool operator==(const LabelMap&, const LabelMap&) = default;
};

}  // namespace dsgd
