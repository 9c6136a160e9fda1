#include "dsgd/data/labels.h"

#include <fmt/format.h>

namespace dsgd {

std::string LabelMap::describe() const { return fmt::format("{} -> 0, {} -> 1", negative, positive); }

std::string LabelMap::text(std::uint8_t cls) const { return fmt::format("{}", cls != 0 ? positive : negative); }

}  // namespace dsgd
