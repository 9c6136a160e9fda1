#!/usr/bin/python3
"""Peers side by side: time to a target held-out accuracy, and final accuracy, of dsgd and the tools
a user would pick instead, on the same data files in one run.

Tools (each with its own defaults; none is tuned):
  dsgd seq        `dsgd train TRAIN --test TEST --workers 1`
  dsgd threads    the same with --workers 2 (forced: on 2 cores the default may pick 1)
  dsgd MPI        `mpirun -np 2 dsgd train --backend mpi ...` (skipped without mpirun)
  LIBLINEAR       `liblinear-train -s 0` (L2 logistic regression, C = 1; Debian liblinear-tools)
  sklearn SGD     SGDClassifier(loss="log_loss")
  sklearn LogReg  LogisticRegression() (lbfgs, C = 1, max_iter 100)
  seed NumPy seq  the seed report's program (bench/seed_python/seed_sgd.py): minibatch SGD,
                  batch 8192, lr 0.1, 8 epochs, no shuffle
  seed NumPy W=2  its multiprocessing version with 2 workers (lr x 2 with warm-up)

The target: LIBLINEAR's held-out accuracy minus --gap points (0.5), LIBLINEAR being the exact
solver of the regularised problem, so the target does not depend on the tools being compared.

Time to target = loading the files + training until the model first meets the target.
  dsgd            load_s + target.time_s of its --json report (--target-accuracy T --after-target
                  continue: the target is checked on the test file after every epoch, and that
                  scoring is inside its time; training goes on to its end for the final accuracy)
  LIBLINEAR       the wall times of liblinear-train (load + train; it has one model, at its end)
                  and of liblinear-predict (reading the test file and scoring it: every other
                  tool's time also holds reading the test file)
  sklearn, seed   the load (load_svmlight_files, measured once per data set and added to every
                  Python tool) + the fit; SGDClassifier and the seed program are scored after
                  every epoch (partial_fit epoch by epoch, up to the epochs fit() takes; the
                  scoring is outside the clock), LogisticRegression at its end only
"not met" means the tool's final model is below the target. Each tool runs --repeat times and the
median is shown; a tool whose first run took more than --slow seconds is run once (the "runs"
column says so). Nothing else may run on the machine meanwhile.

Data sets (NAME or NAME:TEST in --data; a name alone is split: every fifth row tests):
  seed         1M x 20 dense, noiseless (dsgd gen -n 1000000 --features 20, 200k test rows): the seed
               report's experiment, written as LIBSVM text into --work
  sparse       1M x 2^22 features, 40 non-zeros a row, Zipf 1.1, 5% label noise (dsgd gen)
  and any LIBSVM file: ijcnn1:ijcnn1.t, news20_binary.libsvm, ...

  /usr/bin/python3 bench/peers/peers.py --data ../shared/data [--out bench/peers/peers_2core.md]
"""
import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

_bench = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path[:0] = [os.path.join(_bench, "seed_python"), _bench]
import seed_sgd  # noqa: E402  (the seed report's program, as a module)
from compare_liblinear import labels_of, split  # noqa: E402  (the 4:1 split and the labels of a file)

DEFAULT_SETS = ["seed", "ijcnn1:ijcnn1.t", "news20_binary.libsvm", "sparse"]
SYNTHETIC = {
    "seed": ["-n", "1000000", "--features", "20"],
    "sparse": ["-n", "1000000", "--features", "4194304", "--nnz", "40", "--zipf", "1.1", "--noise", "0.05"],
}
MPI_ENV = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1", "OMPI_MCA_rmaps_base_oversubscribe": "1"}


class Result:
    def __init__(self, load_s, to_target_s, epochs_to_target, final_accuracy, total_s):
        self.load_s, self.to_target_s, self.epochs_to_target = load_s, to_target_s, epochs_to_target
        self.final_accuracy, self.total_s = final_accuracy, total_s


def median_result(results):
    met = [r for r in results if r.to_target_s is not None]
    to_target = statistics.median(r.to_target_s for r in met) if len(met) == len(results) else None
    return Result(statistics.median(r.load_s for r in results), to_target,
                  results[0].epochs_to_target if to_target is not None else None,
                  statistics.median(r.final_accuracy for r in results),
                  statistics.median(r.total_s for r in results)), len(results)


def repeated(fn, repeat, slow):
    first = fn()
    results = [first]
    if first.total_s <= slow:
        results += [fn() for _ in range(repeat - 1)]
    return median_result(results)


def data_files(entry, args, work):
    if entry in SYNTHETIC:
        train, test = os.path.join(work, entry + ".svm"), os.path.join(work, entry + ".test.svm")
        if not (os.path.exists(train) and os.path.exists(test)):
            subprocess.run([args.dsgd, "gen", *SYNTHETIC[entry], "-o", train, "--test-output", test],
                           check=True, stdout=subprocess.DEVNULL)
        return train, test
    names = entry.split(":")
    if len(names) == 2:
        return tuple(os.path.join(args.data, n) for n in names)
    return split(os.path.join(args.data, names[0]), work)


# --- dsgd ------------------------------------------------------------------------------------

def run_dsgd(args, train, test, target, work, mode):
    report = os.path.join(work, "dsgd.json")
    command = [args.dsgd, "train", "-q", train, "--test", test, "--json", report,
               "--target-accuracy", repr(target), "--after-target", "continue"]
    env = dict(os.environ)
    if mode == "seq":
        command += ["--workers", "1"]
    elif mode == "threads":
        command += ["--workers", "2"]
    else:
        command = ["mpirun", "-np", "2", *command, "--backend", "mpi"]
        env.update(MPI_ENV)
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
    total = time.perf_counter() - start
    with open(report) as f:
        r = json.load(f)
    t = r["target"]
    reached = t["reached"]
    return Result(r["load_s"], r["load_s"] + t["time_s"] if reached else None, t["epoch"] if reached else None,
                  r["test"]["accuracy"], total)


# --- LIBLINEAR -------------------------------------------------------------------------------

def run_liblinear(train, test, work):
    model, output = os.path.join(work, "liblinear.model"), os.path.join(work, "liblinear.out")
    start = time.perf_counter()
    subprocess.run(["liblinear-train", "-s", "0", "-q", train, model], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["liblinear-predict", test, model, output], check=True, stdout=subprocess.DEVNULL)
    scored = time.perf_counter() - start
    with open(output) as f:
        predicted = [float(line) for line in f]
    truth = labels_of(test)
    accuracy = sum(a == b for a, b in zip(predicted, truth)) / len(truth)
    return Result(math.nan, scored, None, accuracy, scored)


# --- Python tools: one load per data set -----------------------------------------------------

class Loaded:
    """The pair as scikit-learn users load it: CSR, made dense (NumPy arrays) where most values are
    non-zero, as the seed program needs; the conversion is part of the load time."""
    def __init__(self, train, test):
        from sklearn.datasets import load_svmlight_files
        start = time.perf_counter()
        x, y, x_test, y_test = load_svmlight_files([train, test])
        positive = max(np.max(y), np.max(y_test))
        self.y, self.y_test = (y == positive).astype(np.float64), (y_test == positive).astype(np.float64)
        if x.nnz > 0.5 * x.shape[0] * x.shape[1]:
            x, x_test = x.toarray(), x_test.toarray()
        self.x, self.x_test = x, x_test
        self.load_s = time.perf_counter() - start


class Clock:
    """Training time with the scoring between epochs left out, and the first time the target held."""
    def __init__(self, loaded, target):
        self.loaded, self.target = loaded, target
        self.trained, self.to_target, self.epochs_to_target, self.accuracy = 0.0, None, None, math.nan
        self.resumed = time.perf_counter()

    def epoch_done(self, epoch, accuracy_of):
        self.trained += time.perf_counter() - self.resumed
        self.accuracy = accuracy_of()
        if self.to_target is None and self.accuracy >= self.target:
            self.to_target, self.epochs_to_target = self.loaded.load_s + self.trained, epoch + 1
        self.resumed = time.perf_counter()

    def result(self, final_accuracy=None):
        return Result(self.loaded.load_s, self.to_target, self.epochs_to_target,
                      self.accuracy if final_accuracy is None else final_accuracy, self.loaded.load_s + self.trained)


def run_sgd_classifier(loaded, target):
    from sklearn.linear_model import SGDClassifier
    # Its own fit, to its own stopping rule (tol), gives the final accuracy and the epochs it takes;
    # the same algorithm epoch by epoch (partial_fit) gives when the target was first met.
    start = time.perf_counter()
    fitted = SGDClassifier(loss="log_loss", random_state=0).fit(loaded.x, loaded.y)
    fit_s = time.perf_counter() - start
    final = fitted.score(loaded.x_test, loaded.y_test)
    model = SGDClassifier(loss="log_loss", random_state=0)
    clock = Clock(loaded, target)
    for epoch in range(fitted.n_iter_):
        model.partial_fit(loaded.x, loaded.y, classes=np.array([0.0, 1.0]))
        clock.epoch_done(epoch, lambda: model.score(loaded.x_test, loaded.y_test))
        if clock.to_target is not None:
            break
    r = clock.result(final)
    r.total_s = loaded.load_s + fit_s
    return r


def run_logistic_regression(loaded, target):
    from sklearn.linear_model import LogisticRegression
    start = time.perf_counter()
    model = LogisticRegression().fit(loaded.x, loaded.y)
    fit_s = time.perf_counter() - start
    accuracy = model.score(loaded.x_test, loaded.y_test)
    total = loaded.load_s + fit_s
    return Result(loaded.load_s, total if accuracy >= target else None, None, accuracy, total)


def run_seed(loaded, target, workers):
    clock = Clock(loaded, target)
    score = lambda w: lambda: seed_sgd.accuracy(loaded.x_test, loaded.y_test, w)
    on_epoch = lambda epoch, w: clock.epoch_done(epoch, score(w))
    if workers == 1:
        seed_sgd.train_sequential(loaded.x, loaded.y, 8, 8192, 0.1, on_epoch)
    else:
        seed_sgd.train_parallel(loaded.x, loaded.y, 8, 8192, 0.1, workers, on_epoch)
    return clock.result()


# --- the table -------------------------------------------------------------------------------

def seconds(s):
    return "not met" if s is None else f"{s:.3f}" if s < 10 else f"{s:.1f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sets", nargs="*", default=DEFAULT_SETS, help="seed, sparse, TRAIN:TEST or NAME (split 4:1)")
    parser.add_argument("--data", default="../shared/data", help="folder of the data files")
    parser.add_argument("--dsgd", default="build/apps/dsgd/dsgd", help="the dsgd executable")
    parser.add_argument("--work", help="folder for the generated sets (kept, reused); default: a temporary one")
    parser.add_argument("--repeat", type=int, default=3, help="runs per tool; medians are shown")
    parser.add_argument("--slow", type=float, default=60, help="a tool whose first run took longer runs once")
    parser.add_argument("--skip", action="append", default=[], metavar="TOOL",
                        help="leave out the tools whose name starts with this (e.g. 'seed NumPy W=2'); repeatable")
    parser.add_argument("--gap", type=float, default=0.5, help="target = LIBLINEAR's accuracy minus this many points")
    parser.add_argument("--out", help="also write the table (Markdown) and the figures (OUT.json) here")
    args = parser.parse_args()
    for tool in ("liblinear-train", "liblinear-predict"):
        if not shutil.which(tool):
            sys.exit(f"peers: no {tool} (Debian liblinear-tools)")
    if not os.access(args.dsgd, os.X_OK):
        sys.exit(f"peers: {args.dsgd}: not an executable dsgd (see --dsgd)")
    have_mpi = shutil.which("mpirun") is not None

    machine = subprocess.run(["uname", "-srm"], capture_output=True, text=True).stdout.strip()
    with open("/proc/cpuinfo") as f:
        cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    machine = f"{cpu}, {machine}" if cpu else machine
    cores = os.cpu_count()
    lines = [f"Machine: {machine}, {cores} cores; medians of {args.repeat} runs (one run where the first took "
             f"over {args.slow:g} s); target = LIBLINEAR's held-out accuracy - {args.gap} points.", "",
             "| data | rows train / test x features | target | tool | load s | to target s | epochs | "
             "final acc | whole run s | runs |", "|---|---|---|---|---|---|---|---|---|---|"]
    print("\n".join(lines), flush=True)
    figures = []
    work = args.work or tempfile.mkdtemp(prefix="dsgd_peers_")
    os.makedirs(work, exist_ok=True)
    try:
        for entry in args.sets:
            train, test = data_files(entry, args, work)
            name = entry.split(":")[0]
            liblinear, runs = repeated(lambda: run_liblinear(train, test, work), args.repeat, args.slow)
            target = liblinear.final_accuracy - args.gap / 100
            loaded = Loaded(train, test)
            shape = f"{loaded.x.shape[0]} / {loaded.x_test.shape[0]} x {loaded.x.shape[1]}"
            tools = [("dsgd seq", lambda: run_dsgd(args, train, test, target, work, "seq")),
                     ("dsgd threads W=2", lambda: run_dsgd(args, train, test, target, work, "threads"))]
            if have_mpi:
                tools.append(("dsgd MPI W=2", lambda: run_dsgd(args, train, test, target, work, "mpi")))
            tools += [("sklearn SGDClassifier", lambda: run_sgd_classifier(loaded, target)),
                      ("sklearn LogisticRegression", lambda: run_logistic_regression(loaded, target)),
                      ("seed NumPy seq", lambda: run_seed(loaded, target, 1)),
                      ("seed NumPy W=2", lambda: run_seed(loaded, target, 2))]
            rows = [("LIBLINEAR -s 0", liblinear, runs)]
            for tool, fn in tools:
                if any(tool.startswith(prefix) for prefix in args.skip):
                    continue
                result, runs = repeated(fn, args.repeat, args.slow)
                rows.append((tool, result, runs))
            for tool, r, runs in rows:
                load = "-" if math.isnan(r.load_s) else f"{r.load_s:.3f}"
                epochs = "-" if r.epochs_to_target is None else f"{r.epochs_to_target:g}"
                line = (f"| {name} | {shape} | {100 * target:.2f}% | {tool} | {load} | {seconds(r.to_target_s)} | "
                        f"{epochs} | {100 * r.final_accuracy:.2f}% | {seconds(r.total_s)} | {runs} |")
                print(line, flush=True)
                lines.append(line)
                figures.append({"data": name, "tool": tool, "target": target, **vars(r), "runs": runs})
            best_dsgd = min((r.to_target_s for n, r, _ in rows if n.startswith("dsgd") and r.to_target_s), default=None)
            best_other = min((r.to_target_s for n, r, _ in rows if not n.startswith("dsgd") and r.to_target_s),
                             default=None)
            if best_dsgd and best_other:
                line = f"| {name} | | | *dsgd's best against the fastest other tool* | | {best_other / best_dsgd:.1f}x sooner | | | | |"
                print(line, flush=True)
                lines.append(line)
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    if args.out:
        with open(args.out, "w") as f:
            f.write("\n".join(lines) + "\n")
        with open(os.path.splitext(args.out)[0] + ".json", "w") as f:
            json.dump({"machine": machine, "cores": cores, "repeat": args.repeat, "gap": args.gap,
                       "results": figures}, f, indent=2)


if __name__ == "__main__":
    sys.exit(main())
