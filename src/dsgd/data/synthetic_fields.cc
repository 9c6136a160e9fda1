#include "dsgd/data/synthetic_fields.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <type_traits>

#include "dsgd/base/error.h"

namespace dsgd {
namespace {

std::uint64_t count_of(std::string_view name, std::string_view text) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size())
    throw ConfigError(fmt::format("{}: '{}' is not a count", name, text));
  return v;
}

double number_of(std::string_view name, std::string_view text) {
  double v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v))
    throw ConfigError(fmt::format("{}: '{}' is not a number", name, text));
  return v;
}

template <auto Member>
void set_count(SyntheticSpec& s, std::string_view name, std::string_view text) {
  s.*Member = static_cast<std::remove_reference_t<decltype(s.*Member)>>(count_of(name, text));
}
template <auto Member>
void set_number(SyntheticSpec& s, std::string_view name, std::string_view text) {
  s.*Member = number_of(name, text);
}
template <auto Member>
std::string text_of(const SyntheticSpec& s) {
  return fmt::format("{}", s.*Member);
}
template <auto Member>
nlohmann::json json_of(const SyntheticSpec& s) {
  return s.*Member;
}

void set_dtype(SyntheticSpec& s, std::string_view name, std::string_view text) {
  if (text != "f32" && text != "f64") throw ConfigError(fmt::format("{}: '{}' is not f32 or f64", name, text));
  s.dtype = parse_dtype(text);
}
void set_values(SyntheticSpec& s, std::string_view name, std::string_view text) {
  if (text != "binary" && text != "gaussian")
    throw ConfigError(fmt::format("{}: '{}' is not binary or gaussian", name, text));
  s.values = parse_sparse_values(text);
}

const SyntheticField kFields[] = {
    {"samples", "--samples", false, set_count<&SyntheticSpec::samples>, text_of<&SyntheticSpec::samples>,
     json_of<&SyntheticSpec::samples>},
    {"features", "--features", false, set_count<&SyntheticSpec::features>, text_of<&SyntheticSpec::features>,
     json_of<&SyntheticSpec::features>},
    {"test_samples", "--test-samples", false, set_count<&SyntheticSpec::test_samples>,
     text_of<&SyntheticSpec::test_samples>, json_of<&SyntheticSpec::test_samples>},
    {"noise", "--noise", false, set_number<&SyntheticSpec::noise>, text_of<&SyntheticSpec::noise>,
     json_of<&SyntheticSpec::noise>},
    {"seed", "--seed", false, set_count<&SyntheticSpec::seed>, text_of<&SyntheticSpec::seed>,
     json_of<&SyntheticSpec::seed>},
    {"dtype", "--dtype", false, set_dtype, [](const SyntheticSpec& s) { return std::string(to_string(s.dtype)); },
     [](const SyntheticSpec& s) { return nlohmann::json(to_string(s.dtype)); }},
    {"nnz", "--nnz", false, set_count<&SyntheticSpec::nnz>, text_of<&SyntheticSpec::nnz>,
     json_of<&SyntheticSpec::nnz>},
    {"zipf", "--zipf", true, set_number<&SyntheticSpec::zipf>, text_of<&SyntheticSpec::zipf>,
     json_of<&SyntheticSpec::zipf>},
    {"values", "--values", true, set_values, [](const SyntheticSpec& s) { return std::string(to_string(s.values)); },
     [](const SyntheticSpec& s) { return nlohmann::json(to_string(s.values)); }},
};

}  // namespace

std::span<const SyntheticField> synthetic_fields() { return kFields; }

const SyntheticField* find_synthetic_field(std::string_view name) noexcept {
  const auto* f = std::find_if(std::begin(kFields), std::end(kFields), [&](const SyntheticField& x) { return x.name == name; });
  return f == std::end(kFields) ? nullptr : f;
}

void set_synthetic(SyntheticSpec& spec, std::string_view name, std::string_view text) {
  const SyntheticField* f = find_synthetic_field(name);
  if (f == nullptr) throw ConfigError(fmt::format("no synthetic-data setting '{}'", name));
  f->set(spec, f->name, text);
}

nlohmann::json to_json(const SyntheticSpec& spec) {
  nlohmann::json out = nlohmann::json::object();
  for (const SyntheticField& f : kFields) out[std::string(f.name)] = f.json(spec);
  return out;
}

}  // namespace dsgd
