// libFuzzer target: the LIBSVM/SVMlight reader (reader_fuzz.h says what is checked).
#include "reader_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using dsgd::ReadOptions;
  static const std::vector<ReadOptions> more = {
      {.storage = dsgd::Storage::kSparse, .dtype = dsgd::DType::kF32, .threads = 2},
      // dsgd predict/eval: a model's dimension and labels, values beyond it dropped.
      {.features = 4, .drop_beyond = true, .labels = dsgd::LabelMap{-1, 1}, .threads = 2},
      {.features = 4, .labels = dsgd::LabelMap{0, 1}},
  };
  return dsgd::fuzz::fuzz_reader(data, size, dsgd::FileFormat::kLibsvm, more);
}
