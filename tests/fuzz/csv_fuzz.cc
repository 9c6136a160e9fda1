// libFuzzer target: the CSV reader (reader_fuzz.h says what is checked).
#include "reader_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using dsgd::ReadOptions;
  static const std::vector<ReadOptions> more = {
      {.storage = dsgd::Storage::kSparse, .dtype = dsgd::DType::kF32, .threads = 2},
      // --label-column by position and by name.
      {.label_column = "0", .threads = 2},
      {.label_column = "label"},
      // dsgd predict/eval: a model's dimension and labels, values beyond it dropped.
      {.features = 3, .drop_beyond = true, .labels = dsgd::LabelMap{0, 1}, .threads = 2},
  };
  return dsgd::fuzz::fuzz_reader(data, size, dsgd::FileFormat::kCsv, more);
}
