// libFuzzer target: the command line. The input is an argument list, one argument a line (so
// that seeds read as commands); it is parsed by a CLI::App set up by the app's own add_commands,
// as apps/dsgd/main.cc sets it up. Only the parse runs: the handlers it returns (which would
// train, predict or generate) are never called; the options' callbacks only set values.
//
// Expected: a parse, or a CLI::ParseError (help and version requests among them, printed into
// a string as main prints them). Anything else escaping the parse would end dsgd with
// std::terminate, as main catches only ParseError around it: a finding.
#include <CLI/CLI.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "fuzz_common.h"
#include "options.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> args = {"dsgd"};
  for (std::size_t start = 0; start < input.size();) {
    std::size_t end = input.find('\n', start);
    if (end == std::string::npos) end = input.size();
    args.push_back(input.substr(start, end - start));
    start = end + 1;
  }
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());

  CLI::App app{"dsgd", "dsgd"};
  // main's command line; the handlers hold the options' storage, so they live as long as the app.
  const dsgd::cli::Commands commands = dsgd::cli::add_commands(app);
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    std::ostringstream out, err;
    (void)app.exit(e, out, err);  // as main prints help and version (and, here, the other errors)
  } catch (const std::exception& e) {
    dsgd::fuzz::finding(std::string("the parse threw a non-CLI11 exception: ") + e.what());
  } catch (...) {
    dsgd::fuzz::finding("the parse threw an exception of unknown type");
  }
  return 0;
}
