#pragma once
// The version of dsgd this library was built as (the project version in CMakeLists.txt).
namespace dsgd {
[[nodiscard]] const char* version() noexcept;
}  // namespace dsgd
