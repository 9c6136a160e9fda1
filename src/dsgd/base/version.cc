#include "dsgd/base/version.h"

namespace dsgd {
const char* version() noexcept { return DSGD_VERSION; }
}  // namespace dsgd
