// libFuzzer target: the model loader. The input is a model file; load_model must give a model
// or an InputError. A model it accepts must survive a save/load round trip: saved, loaded and
// saved again, the two saved files are the same bytes.
#include <fstream>
#include <iterator>
#include <string>

#include "dsgd/model/model_file.h"
#include "fuzz_common.h"

namespace {

std::string contents(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dsgd::fuzz;
  const std::string path = scratch_path("input.model");
  const std::string saved = scratch_path("saved.model");
  const std::string again = scratch_path("again.model");
  write_file(path, data, size);
  dsgd::Model model;
  if (!expect_typed_errors([&] { model = dsgd::load_model(path); })) return 0;
  if (!expect_typed_errors([&] {
        dsgd::save_model(model, saved);
        dsgd::save_model(dsgd::load_model(saved), again);
      }))
    finding("a model that loads cannot be saved and loaded again");
  if (contents(saved) != contents(again)) finding("a model changes in a save/load round trip");
  return 0;
}
