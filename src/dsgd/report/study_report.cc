#include "dsgd/report/study_report.h"

#include <fmt/format.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <set>

#include "dsgd/base/atomic_file.h"
#include "dsgd/base/error.h"
#include "dsgd/report/report.h"
#include "dsgd/train/config/memory.h"  // human_bytes

extern char** environ;

namespace dsgd {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string series_name(const std::string& s) { return s.empty() ? std::string("all") : s; }

std::string fmt_time(double s) {
  if (!std::isfinite(s)) return "n/a";
  return s >= 1 ? fmt::format("{:.3f} s", s) : fmt::format("{:.2f} ms", s * 1e3);
}

std::string fmt_error(double predicted, double measured) {
  if (!std::isfinite(predicted) || measured <= 0) return "n/a";
  return fmt::format("{:+.1f}%", 100 * (predicted - measured) / measured);
}

void write_file(const std::string& path, const std::string& text, std::vector<AtomicFile>& files) {
  files.emplace_back(path);
  if (std::fputs(text.c_str(), files.back().stream()) < 0) throw InputError(path, 0, "cannot write");
}

std::string csv_text(const Study& study) {
  std::string out =
      "series,workers,rows,features,nnz,dtype,repeats,median_s,min_s,max_s,compute_s,exchange_s,comm_s,wait_s,"
      "load_s,steps,bytes_per_step,test_accuracy,test_log_loss,bound_s,bandwidth_gbs,speedup,predicted_s,"
      "predicted_speedup,loo_s,random_bound_s\n";
  for (const StudyPoint& p : study.points) {
    out += fmt::format("\"{}\",{},{},{},{},{},{},{:.9g},{:.9g},{:.9g},{:.9g},{:.9g},{:.9g},{:.9g},{:.9g},{},{:.9g},"
                       "{:.9g},{:.9g},{:.9g},{:.9g},{:.9g},{:.9g},{:.9g},{},{:.9g}\n",
                       p.series, p.workers, p.rows, p.features, p.nnz, p.dtype, p.times_s.size(), p.median_s, p.min_s,
                       p.max_s, p.compute_s, p.exchange_s, p.comm_s, p.wait_s, p.load_s, p.steps, p.bytes_per_step,
                       p.test_accuracy, p.test_log_loss, p.bound_s, p.bandwidth_gbs, measured_speedup(study, p),
                       p.predicted_s, predicted_speedup(study, p),
                       std::isfinite(p.loo_s) ? fmt::format("{:.9g}", p.loo_s) : std::string(), p.random_bound_s);
  }
  return out;
}

std::string model_text(const CostModel& m) {
  std::string out;
  for (std::size_t j = 0; j < m.terms(); ++j) {
    out += fmt::format("  {:<34} {}\n", m.term_name(j),
                       m.fitted[j] ? fmt::format("{:.4g} {}", m.cost[j] < 1e-18 ? 0.0 : m.cost[j], m.term_unit(j))
                                   : std::string("not fitted (no point needs it)"));
  }
  return out;
}

std::string table_text(const Study& study, bool markdown) {
  std::string out;
  const auto row = [&](const std::vector<std::string>& cells) {
    if (markdown) {
      out += "|";
      for (const auto& c : cells) out += " " + c + " |";
    } else {
      out += fmt::format("  {:<22} {:>3} {:>10} {:>8} {:>8} {:>10} {:>8} {:>9} {:>8} {:>8} {:>10} {:>10}", cells[0],
                         cells[1], cells[2], cells[3], cells[4], cells[5], cells[6], cells[7], cells[8], cells[9],
                         cells[10], cells[11]);
    }
    out += "\n";
  };
  row({"series", "W", "median", "spread", "speedup", "model", "error", "held out", "model x", "bound", "rand bound",
       "B/step"});
  if (markdown) out += "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n";
  for (const StudyPoint& p : study.points) {
    row({series_name(p.series), std::to_string(p.workers), fmt_time(p.median_s),
         fmt::format("{:.0f}%", p.median_s > 0 ? 100 * (p.max_s - p.min_s) / p.median_s : 0.0),
         fmt::format("{:.2f}x", measured_speedup(study, p)), fmt_time(p.predicted_s),
         fmt_error(p.predicted_s, p.median_s), fmt_error(p.loo_s, p.median_s), fmt::format("{:.2f}x", predicted_speedup(study, p)),
         fmt_time(p.bound_s), p.random_bound_s > 0 ? fmt_time(p.random_bound_s) : std::string("-"),
         human_bytes(p.bytes_per_step)});
  }
  return out;
}

std::string extrapolation_text(const Study& study, bool markdown) {
  std::string out;
  if (markdown && !study.extrapolations.empty())
    out += "| series | W | where | compute | sync | bytes | total | speedup |\n|---|--:|---|--:|--:|--:|--:|--:|\n";
  for (const StudyExtrapolation& e : study.extrapolations) {
    const std::string line =
        markdown ? fmt::format("| {} | {} | {} | {} | {} | {} | {} | {:.2f}x |\n", series_name(e.series), e.workers,
                               e.where, fmt_time(e.parts.compute_s), fmt_time(e.parts.sync_s),
                               fmt_time(e.parts.bytes_s), fmt_time(e.parts.total()), e.speedup)
                 : fmt::format("  {:<22} W={:<4} {:<36} {:>10} (compute {}, sync {}, bytes {})  {:.2f}x\n",
                               series_name(e.series), e.workers, e.where, fmt_time(e.parts.total()),
                               fmt_time(e.parts.compute_s), fmt_time(e.parts.sync_s), fmt_time(e.parts.bytes_s),
                               e.speedup);
    out += line;
  }
  return out;
}

std::string seed_text(const Study& study) {
  std::string out;
  for (const Study::SeedFigure& f : study.seed) {
    double ours = std::numeric_limits<double>::quiet_NaN();
    for (const StudyPoint& p : study.points) {
      if (p.series == f.series && p.workers == f.workers) ours = measured_speedup(study, p);
    }
    out += fmt::format("  {} at W={}: the seed report {:.4f}x, dsgd {:.2f}x ({})\n", series_name(f.series), f.workers,
                       f.speedup, ours, f.what);
  }
  return out;
}

// gnuplot's inline data blocks: one block a series, rows "W value ...".
std::string data_block(const std::string& name, const std::string& rows) {
  return fmt::format("${} << EOD\n{}EOD\n", name, rows);
}

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string plots_script(const Study& study) {
  const std::vector<std::string> all = series_list(study);
  std::string gp = "# dsgd study: the plots of report.md. Run `gnuplot plots.gp` in this folder.\n";
  gp += "set terminal pngcairo size 1000,650 font ',11' noenhanced\nset key outside right top\nset grid\n";
  gp += "set datafile missing 'nan'\n";
  // Speedup: measured (with the spread of the repetitions), the model, ideal, bandwidth.
  std::string plot;
  int max_w = 1;
  for (std::size_t s = 0; s < all.size(); ++s) {
    std::string rows;
    const StudyPoint* base = nullptr;
    for (const StudyPoint& p : study.points) {
      if (p.series != all[s]) continue;
      if (base == nullptr) base = &base_point(study, p);
      max_w = std::max(max_w, p.workers);
      const double lo = speedup_against(study, base->workers, base->median_s, p.workers, p.max_s);
      const double hi = speedup_against(study, base->workers, base->median_s, p.workers, p.min_s);
      const double bw = base->bandwidth_gbs > 0 ? p.bandwidth_gbs / base->bandwidth_gbs * base->workers : kNaN;
      rows += fmt::format("{} {:.6g} {:.6g} {:.6g} {:.6g} {:.6g}\n", p.workers, measured_speedup(study, p), lo, hi,
                          predicted_speedup(study, p), study.scaling == "weak" ? kNaN : bw);
    }
    gp += data_block(fmt::format("speedup{}", s), rows);
    const std::string name = series_name(all[s]);
    plot += fmt::format("{}$speedup{} using 1:2:3:4 with yerrorbars pt 7 lc {} title {}, "
                        "$speedup{} using 1:5 with lines dt 2 lc {} title {}, "
                        "$speedup{} using 1:6 with linespoints dt 3 pt 4 lc {} title {}",
                        plot.empty() ? "" : ", ", s, s + 1, quoted("measured " + name), s, s + 1,
                        quoted("model " + name), s, s + 1, quoted("memory-bandwidth scaling " + name));
  }
  gp += "set output 'speedup.png'\n";
  gp += fmt::format("set title {}\n", quoted(fmt::format("{}: {} scaling speedup against workers", study.title,
                                                         study.scaling)));
  gp += "set xlabel 'workers W'\nset ylabel 'speedup (x, against the smallest W)'\n";
  gp += fmt::format("set xrange [0.5:{}]\nset yrange [0:*]\nset xtics 1\n", max_w + 0.5);
  gp += fmt::format("plot x with lines lc 'black' title 'ideal (speedup = W)', {}\n", plot);

  // The time breakdown, one stacked bar a point.
  std::string rows;
  for (const StudyPoint& p : study.points) {
    const double other = std::max(0.0, p.median_s - p.compute_s - p.exchange_s);
    const double exchange_other = std::max(0.0, p.exchange_s - p.comm_s - p.wait_s);
    rows += fmt::format("{} {:.6g} {:.6g} {:.6g} {:.6g} {:.6g}\n",
                        quoted(fmt::format("{} W={}", series_name(p.series), p.workers)), p.compute_s * 1e3,
                        p.comm_s * 1e3, p.wait_s * 1e3, (exchange_other + other) * 1e3, p.load_s * 1e3);
  }
  gp += data_block("breakdown", rows);
  gp += "set output 'breakdown.png'\nunset xrange\nset xtics rotate by -30 autofreq\n";
  gp += fmt::format("set title {}\n", quoted(study.title + ": where the time goes (median run, mean per worker)"));
  gp += "set xlabel 'point (series, workers)'\nset ylabel 'time (ms)'\nset style data histograms\n";
  gp += "set style histogram rowstacked\nset style fill solid 0.8 border -1\nset boxwidth 0.7\n";
  gp += "plot $breakdown using 2:xtic(1) title 'compute', '' using 3 title 'communication (copy and sum)', "
        "'' using 4 title 'waiting for peers', '' using 5 title 'other (update, epoch ends)', "
        "'' using 6 title 'load (generate or read the data)'\n";
  gp += "set style data points\nset xtics norotate\n";

  // Convergence: held-out log-loss against wall time and against epochs.
  std::string against_time, against_epoch;
  int block = 0;
  for (const StudyPoint& p : study.points) {
    if (p.convergence.empty()) continue;
    std::string lines;
    double t = 0;
    for (const EpochProgress& e : p.convergence) {
      t += e.time_s;
      lines += fmt::format("{} {:.6g} {:.9g}\n", e.epoch, t, e.holdout_loss);
    }
    gp += data_block(fmt::format("conv{}", block), lines);
    const std::string title = quoted(fmt::format("{} W={}", series_name(p.series), p.workers));
    against_time += fmt::format("{}$conv{} using 2:3 with linespoints title {}", against_time.empty() ? "" : ", ",
                                block, title);
    against_epoch += fmt::format("{}$conv{} using 1:3 with linespoints title {}", against_epoch.empty() ? "" : ", ",
                                 block, title);
    ++block;
  }
  if (block > 0) {
    gp += "set output 'convergence.png'\nset terminal pngcairo size 1300,600 font ',11' noenhanced\n";
    gp += "set multiplot layout 1,2 title " +
          quoted(study.title + ": held-out log-loss as training goes (one scored run a point)") + "\n";
    gp += "set xrange [*:*]\nset yrange [*:*]\nset xtics autofreq\nset key inside right top\n";
    gp += "set title 'against wall time'\nset xlabel 'training time (s, held-out scoring included)'\n";
    gp += "set ylabel 'held-out log-loss'\nplot " + against_time + "\n";
    gp += "set title 'against epochs'\nset xlabel 'epoch'\nplot " + against_epoch + "\n";
    gp += "unset multiplot\nset terminal pngcairo size 1000,650 font ',11' noenhanced\nset key outside right top\n";
  }

  // Bytes a step.
  plot.clear();
  for (std::size_t s = 0; s < all.size(); ++s) {
    std::string bytes;
    for (const StudyPoint& p : study.points) {
      if (p.series == all[s] && p.workers > 1) bytes += fmt::format("{} {:.6g}\n", p.workers, p.bytes_per_step);
    }
    if (bytes.empty()) continue;
    gp += data_block(fmt::format("bytes{}", s), bytes);
    plot += fmt::format("{}$bytes{} using 1:2 with linespoints pt 7 title {}", plot.empty() ? "" : ", ", s,
                        quoted(series_name(all[s])));
  }
  if (!plot.empty()) {
    gp += "set output 'bytes.png'\n";
    gp += fmt::format("set title {}\n", quoted(study.title + ": bytes one worker sends and receives a step"));
    gp += fmt::format("set xlabel 'workers W'\nset ylabel 'bytes per step per worker (B)'\nset xrange [1.5:{}]\n",
                      max_w + 0.5);
    gp += "set yrange [0:*]\nset xtics 1\nplot " + plot + "\n";
  }
  return gp;
}

// The path of a program on PATH, or "".
std::string on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::string_view rest = path != nullptr ? path : "";
  while (!rest.empty()) {
    const std::size_t colon = rest.find(':');
    const std::string dir(rest.substr(0, colon));
    const std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
  }
  return {};
}

// Runs gnuplot on the script in `dir`; returns "" or what went wrong.
std::string run_gnuplot(const std::string& dir) {
  const std::string gnuplot = on_path("gnuplot");
  if (gnuplot.empty())
    return "gnuplot is not installed (Debian: apt-get install gnuplot-nox): no PNG plots; the CSV, JSON, "
           "report.md and plots.gp are written";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addchdir_np(&actions, dir.c_str());
  std::string script = "plots.gp";
  char* argv[] = {const_cast<char*>(gnuplot.c_str()), script.data(), nullptr};
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, gnuplot.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return fmt::format("cannot run {}: {}", gnuplot, std::strerror(rc));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return fmt::format("gnuplot failed on {}/plots.gp (its message above): some plots may be missing", dir);
  return {};
}


}  // namespace

void print_study(std::FILE* out, const Study& study) {
  fmt::print(out, "\n{}: {} scaling, {} timed runs a point after {} warm-up, {} cores, kernel {}\n", study.title,
             study.scaling, study.repeat, study.warmup, study.cores, study.kernel_target);
  fmt::print(out, "{}", table_text(study, false));
  fmt::print(out, "  (median of the timed runs; spread: (max - min) / median; model: the cost model's time, fitted to "
                  "all points; error: its error; held out: the error of the model fitted without the point; model x: "
                  "the model's speedup; bound: the memory-bandwidth bound; rand bound: sparse points' non-zeros at the "
                  "random-read rate of the run's cores)\n");
  fmt::print(out, "Cost model fitted to {} points (T = compute / W + syncs x tree levels + bytes):\n{}",
             study.model.samples, model_text(study.model));
  if (!study.extrapolations.empty())
    fmt::print(out, "Predicted beyond the machine (extrapolations, not measured):\n{}",
               extrapolation_text(study, false));
  if (!study.seed.empty()) fmt::print(out, "Beside the seed report:\n{}", seed_text(study));
}

nlohmann::json to_json(const Study& study) {
  nlohmann::json j = report_header("study");
  j["title"] = study.title;
  j["scaling"] = study.scaling;
  j["repeat"] = study.repeat;
  j["warmup"] = study.warmup;
  j["cores"] = study.cores;
  nlohmann::json points = nlohmann::json::array();
  for (const StudyPoint& p : study.points) {
    points.push_back({{"series", p.series},
                      {"workers", p.workers},
                      {"backend", p.sample.link},
                      {"rows", p.rows},
                      {"features", p.features},
                      {"nnz", p.nnz},
                      {"dtype", p.dtype},
                      {"times_s", p.times_s},
                      {"median_s", p.median_s},
                      {"compute_s", p.compute_s},
                      {"exchange_s", p.exchange_s},
                      {"comm_s", p.comm_s},
                      {"wait_s", p.wait_s},
                      {"load_s", p.load_s},
                      {"steps", p.steps},
                      {"bytes_per_step", p.bytes_per_step},
                      {"test_accuracy", p.test_accuracy},
                      {"test_log_loss", p.test_log_loss},
                      {"bound_s", p.bound_s},
                      {"random_bound_s", p.random_bound_s},
                      {"bandwidth_gbs", p.bandwidth_gbs},
                      {"speedup", measured_speedup(study, p)},
                      {"predicted_s", p.predicted_s},
                      {"predicted_speedup", predicted_speedup(study, p)},
                      {"held_out_predicted_s", std::isfinite(p.loo_s) ? nlohmann::json(p.loo_s) : nlohmann::json()},
                      {"convergence", to_json(p.convergence)}});
  }
  j["points"] = points;
  nlohmann::json model = nlohmann::json::object();
  for (std::size_t t = 0; t < study.model.terms(); ++t) {
    model[study.model.term_name(t)] = {{"cost", study.model.cost[t]},
                                                   {"unit", study.model.term_unit(t)},
                                                   {"fitted", study.model.fitted[t]}};
  }
  j["cost_model"] = model;
  nlohmann::json more = nlohmann::json::array();
  for (const StudyExtrapolation& e : study.extrapolations) {
    more.push_back({{"series", e.series},
                    {"workers", e.workers},
                    {"where", e.where},
                    {"compute_s", e.parts.compute_s},
                    {"sync_s", e.parts.sync_s},
                    {"bytes_s", e.parts.bytes_s},
                    {"time_s", e.parts.total()},
                    {"speedup", e.speedup}});
  }
  j["extrapolations"] = more;
  return j;
}

std::string write_study_report(const std::string& dir, const Study& study) {
  if (::mkdir(dir.c_str(), 0777) != 0 && errno != EEXIST)
    throw InputError(dir, 0, fmt::format("cannot make the report folder: {}", std::strerror(errno)));
  std::string md = fmt::format("# {}\n\n{} scaling; every point is the median of {} timed runs after {} warm-up "
                               "run{}, on {} cores (kernel {}).\n\n",
                               study.title, study.scaling, study.repeat, study.warmup, study.warmup == 1 ? "" : "s",
                               study.cores, study.kernel_target);
  md += "## Measured and modelled\n\n" + table_text(study, true);
  md += "\nspread: (max - min) / median of the timed runs; model: the cost model's time, fitted to all points; "
        "error: its error; held out: the error of the model fitted without the point; bound: the "
        "memory-bandwidth bound of the run's cores; rand bound: a sparse point's non-zeros at the random-read rate of "
        "the run's cores (each reads and writes the model at a random place).\n\n";
  md += fmt::format("## Cost model\n\nT = epochs x rows per worker x per row x max(1, W / "
                    "cores) + syncs x (per level x ceil(log2 W) + per extra worker a core x max(0, W / cores - 1)) "
                    "+ bytes exchanged x per byte, one cost a row for each kind of row; fitted to {} points by non-negative least squares on the "
                    "relative error.\n\n```\n{}```\n\n",
                    study.model.samples, model_text(study.model));
  if (!study.extrapolations.empty())
    md += "## Predicted beyond the machine (extrapolations, not measured)\n\n" + extrapolation_text(study, true) +
          "\n";
  if (!study.seed.empty()) md += "## Beside the seed report\n\n```\n" + seed_text(study) + "```\n\n";
  md += "## Plots\n\n![speedup](speedup.png)\n\n![breakdown](breakdown.png)\n\n";
  if (std::any_of(study.points.begin(), study.points.end(), [](const StudyPoint& p) { return !p.convergence.empty(); }))
    md += "![convergence](convergence.png)\n\n";
  if (std::any_of(study.points.begin(), study.points.end(), [](const StudyPoint& p) { return p.workers > 1; }))
    md += "![bytes](bytes.png)\n";
  std::vector<AtomicFile> files;
  files.reserve(4);
  write_file(dir + "/report.md", md, files);
  write_file(dir + "/results.csv", csv_text(study), files);
  write_file(dir + "/results.json", to_json(study).dump(2) + "\n", files);
  write_file(dir + "/plots.gp", plots_script(study), files);
  std::vector<AtomicFile*> all;
  for (AtomicFile& f : files) all.push_back(&f);
  commit_together(all);
  return run_gnuplot(dir);
}

}  // namespace dsgd
