#pragma once
// Settings every process of a cluster must share: each process's list, gathered and compared
// with rank 0's, so that a cluster never trains with mismatched options. Called by the command
// line's MPI runs before any work.
#include <span>
#include <string>

#include "dsgd/comm/communicator.h"

namespace dsgd {

struct Setting {
  std::string name;    // as the user typed it: "--batch"
  std::string value;   // exactly: numbers in round-trip form
  bool given = false;  // the value says whether the option was on the command line ("1"/"0")
};
[[nodiscard]] Setting number_setting(std::string name, double value);
[[nodiscard]] Setting given_setting(std::string name, bool given);

// Throws ConfigError naming the first setting in which some process differs from rank 0 (the
// same error on every process). Every process of `comm` calls it with its list, in one order.
void check_same_settings(Communicator& comm, std::span<const Setting> settings);

}  // namespace dsgd
