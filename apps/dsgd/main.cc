// dsgd: synchronous data-parallel SGD for binary logistic regression.
// The command line only: parses, calls the library, and turns its exceptions into one-line
// messages and exit codes (0 ok, 1 failed run or bad input file, 2 bad options).
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <csignal>
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <utility>
#include <cstdio>

#include <signal.h>
#include <unistd.h>
#include <exception>

#include "dsgd/base/atomic_file.h"
#include "dsgd/base/error.h"
#include "dsgd/base/text.h"
#include "options.h"

namespace {

// SIGINT, SIGTERM, SIGHUP (and SIGPIPE, SIGXFSZ: a closed pipe, a file-size limit): remove the
// temporary files of outputs not yet committed, and end with
// the shell's status for the signal (130, 143, 129).
extern "C" void on_signal(int signal) {
  dsgd::remove_temporaries();
  ::_exit(128 + signal);
}

void remove_temporaries_on_signals() {
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  for (const int signal : {SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGXFSZ}) (void)::sigaction(signal, &action, nullptr);
}

int fail(int code, const std::string& what) {
  fmt::print(stderr, "dsgd: error: {}\n", dsgd::printable(what));  // one line, whatever the input held
  return code;
}

// The first option of the chosen command given an empty value ('' on the command line), by its
// name: an empty path would otherwise read as an option not given (no model written, synthetic
// data instead of DATA, standard output instead of -o).
std::string given_empty(const CLI::App& app) {
  for (const CLI::App* sub : app.get_subcommands()) {
    for (const CLI::Option* o : sub->get_options()) {
      if (o->count() == 0) continue;
      const auto& values = o->results();
      if (std::none_of(values.begin(), values.end(), [](const std::string& v) { return v.empty(); })) continue;
      if (!o->get_lnames().empty()) return "--" + o->get_lnames().front();
      return o->get_name(true);
    }
  }
  return {};
}

// The size and rank of the job when an MPI launcher (Open MPI's mpirun, MPICH's or Slurm's
// PMI) started this process as one of several; {1, 0} otherwise.
std::pair<long, long> launched_as_ranks() {
  for (const auto& [size, rank] : {std::pair{"OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK"},
                                   std::pair{"PMI_SIZE", "PMI_RANK"}, std::pair{"PMIX_SIZE", "PMIX_RANK"}}) {
    const char* n = std::getenv(size);
    if (n == nullptr) continue;
    const char* r = std::getenv(rank);
    return {std::strtol(n, nullptr, 10), r != nullptr ? std::strtol(r, nullptr, 10) : 0};
  }
  return {1, 0};
}

// Started by mpirun as one of several processes, a command that does not join them would run
// the whole job once per process (and each would write the same outputs): refused, rank 0
// saying why.
int refuse_independent_ranks(const CLI::App& app) {
  const auto [size, rank] = launched_as_ranks();
  if (size <= 1) return 0;
  for (const CLI::App* sub : app.get_subcommands()) {
    const CLI::Option* backend = sub->get_option_no_throw("--backend");
    if (backend != nullptr && backend->as<std::string>() == "mpi") return 0;
    if (rank != 0) return 2;
    return fail(2, backend != nullptr
                       ? fmt::format("started by an MPI launcher as one of {} processes, but without --backend mpi: "
                                     "each would run the whole job alone and write the same outputs; add "
                                     "--backend mpi (or run dsgd without mpirun)",
                                     size)
                       : fmt::format("'dsgd {}' runs in one process, and was started by an MPI launcher as one of {}: "
                                     "run it without mpirun",
                                     sub->get_name(), size));
  }
  return 0;
}

// The subcommand the user was in, for "run 'dsgd train --help'".
std::string help_hint(const CLI::App& app) {
  for (const CLI::App* sub : app.get_subcommands()) return fmt::format("dsgd {} --help", sub->get_name());
  return "dsgd --help";
}

}  // namespace

int main(int argc, char** argv) {
  remove_temporaries_on_signals();
  CLI::App app{
      "dsgd: binary logistic regression by synchronous data-parallel SGD, on threads, MPI ranks or hosts.\n"
      "  dsgd train DATA [MODEL]          train on a LIBSVM or CSV file (--test FILE scores a held-out file)\n"
      "  dsgd predict DATA MODEL [OUTPUT] a probability (or --labels, a label) for each row\n"
      "  dsgd eval DATA MODEL             accuracy, log-loss, AUC, precision, recall, F1\n"
      "'dsgd COMMAND --help' lists a command's options; 'man dsgd' says more.",
      "dsgd"};
  const dsgd::cli::Commands commands = dsgd::cli::add_commands(app);
  if (argc == 1) {  // nothing asked: how to ask
    fmt::print("{}", app.help());
    return 2;
  }

  // CLI11 reports an unknown subcommand as a missing one; name it.
  if (argc > 1 && argv[1][0] != '-' &&
      std::none_of(commands.begin(), commands.end(), [&](const auto& c) { return c.first == argv[1]; }))
    return fail(2, fmt::format("unknown command '{}' (expected train, predict, eval, gen, bench or study; see 'dsgd --help')",
                               argv[1]));
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ConversionError& e) {
    // CLI11 says "Could not convert: --epochs = 1.5"; the options it cannot convert (after their
    // own checks) take whole numbers.
    const std::string what = e.what();
    const std::string prefix = "Could not convert: ";
    const std::size_t equals = what.find(" = ");
    if (what.starts_with(prefix) && equals != std::string::npos)
      return fail(2, fmt::format("{}: expected a whole number, got {} (see '{}')",
                                 what.substr(prefix.size(), equals - prefix.size()), what.substr(equals + 3),
                                 help_hint(app)));
    return fail(2, fmt::format("{} (see '{}')", what, help_hint(app)));
  } catch (const CLI::ParseError& e) {
    // CLI11 says "shuffle was given a disallowed flag override" for --shuffle=VALUE.
    const std::string what = e.what();
    const std::string override = " was given a disallowed flag override";
    if (what.ends_with(override))
      return fail(2, fmt::format("--{} is a switch and takes no value (see '{}')",
                                 what.substr(0, what.size() - override.size()), help_hint(app)));
    return fail(2, fmt::format("{} (see '{}')", what, help_hint(app)));
  }

  if (const std::string option = given_empty(app); !option.empty())
    return fail(2, fmt::format("{}: an empty value (see '{}')", option, help_hint(app)));
  if (const int refused = refuse_independent_ranks(app); refused != 0) return refused;
  try {
    int code = 0;
    for (const auto& [name, handler] : commands) {
      if (app.got_subcommand(name)) code = handler();
    }
    // The report is the output of eval and train: a full disk or a closed pipe fails the run.
    if (code == 0 && (std::fflush(stdout) != 0 || std::ferror(stdout) != 0))
      return fail(1, std::string("stdout: write failed: ") + std::strerror(errno));
    return code;
  } catch (const dsgd::ConfigError& e) {
    return fail(2, fmt::format("{} (see '{}')", dsgd::cli::message_of(e), help_hint(app)));
  } catch (const std::exception& e) {
    return fail(1, dsgd::cli::message_of(e));
  }
}
