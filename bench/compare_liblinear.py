#!/usr/bin/python3
"""Held-out accuracy, log-loss and wall time of dsgd, LIBLINEAR and scikit-learn on the same data.

For every train/test pair, trains
  dsgd       `dsgd train TRAIN --test TEST` with its default settings (no tuning flags),
  LIBLINEAR  `liblinear-train -s 0` (L2-regularised logistic regression, C = 1, no bias; Debian
             liblinear-tools), scored with `liblinear-predict -b 1`,
  sklearn    `SGDClassifier(loss="log_loss")` with its defaults (Debian python3-sklearn),
and prints a Markdown table. Times are wall-clock seconds of the whole command (reading the files
included) for dsgd and LIBLINEAR, and of load + fit + predict for scikit-learn: the median of
--repeat runs.

A data set without its own test file (NAME alone, not NAME:TEST) is split: every fifth row goes
to the test file, the rest to training (written under a temporary folder).

  bench/compare_liblinear.py --data ../shared/data [--dsgd build/apps/dsgd/dsgd] [SET ...]
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time

DEFAULT_SETS = ["a9a:a9a.t", "w8a:w8a.t", "ijcnn1:ijcnn1.t", "rcv1_small_train.libsvm:rcv1_small_test.libsvm",
                "higgs_train.libsvm:higgs_test.libsvm", "covtype_20k.scale", "phishing", "mushrooms", "heart_scale",
                "breast_cancer.libsvm", "skin_nonskin.libsvm", "cod-rna", "news20_binary.libsvm"]


def timed(fn, repeat):
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return result, statistics.median(times)


def split(path, folder):
    base = os.path.join(folder, os.path.basename(path))
    with open(path) as src, open(base + ".train", "w") as train, open(base + ".test", "w") as test:
        for i, line in enumerate(src):
            (test if i % 5 == 4 else train).write(line)
    return base + ".train", base + ".test"


def labels_of(path):
    with open(path) as f:
        return [float(line.split()[0]) for line in f if line.strip() and not line.startswith("#")]


def log_loss(probabilities, positive):
    eps = 1e-15
    total = 0.0
    for p, y in zip(probabilities, positive):
        p = min(max(p, eps), 1 - eps)
        total -= math.log(p) if y else math.log(1 - p)
    return total / len(probabilities)


def run_dsgd(exe, train, test, folder, repeat):
    report = os.path.join(folder, "dsgd.json")
    def once():
        subprocess.run([exe, "train", "-q", train, "--test", test, "--json", report], check=True,
                       stdout=subprocess.DEVNULL)
        with open(report) as f:
            return json.load(f)["test"]
    result, seconds = timed(once, repeat)
    return result["accuracy"], result["log_loss"], seconds


def run_liblinear(train, test, folder, repeat):
    model = os.path.join(folder, "liblinear.model")
    output = os.path.join(folder, "liblinear.out")
    def once():
        subprocess.run(["liblinear-train", "-s", "0", "-q", train, model], check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["liblinear-predict", "-b", "1", test, model, output], check=True, stdout=subprocess.DEVNULL)
    _, seconds = timed(once, repeat)
    with open(output) as f:
        header = f.readline().split()  # "labels A B": the order of the probability columns
        rows = [line.split() for line in f]
    truth = labels_of(test)
    positive_label = max(float(v) for v in header[1:])
    column = 1 + [float(v) for v in header[1:]].index(positive_label)
    p = [float(r[column]) for r in rows]
    predicted = [float(r[0]) for r in rows]
    accuracy = sum(a == b for a, b in zip(predicted, truth)) / len(truth)
    return accuracy, log_loss(p, [t == positive_label for t in truth]), seconds


def run_sklearn(train, test, repeat):
    from sklearn.datasets import load_svmlight_files
    from sklearn.linear_model import SGDClassifier
    def once():
        x_train, y_train, x_test, y_test = load_svmlight_files([train, test])
        model = SGDClassifier(loss="log_loss", random_state=0).fit(x_train, y_train)
        positive = list(model.classes_).index(max(model.classes_))
        p = model.predict_proba(x_test)[:, positive]
        return (model.score(x_test, y_test), log_loss(p, y_test == max(model.classes_)))
    (accuracy, loss), seconds = timed(once, repeat)
    return accuracy, loss, seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sets", nargs="*", default=DEFAULT_SETS, help="TRAIN:TEST or NAME (split 4:1), in --data")
    parser.add_argument("--data", default="../shared/data", help="folder of the data sets")
    parser.add_argument("--dsgd", default="build/apps/dsgd/dsgd", help="the dsgd executable")
    parser.add_argument("--repeat", type=int, default=3, help="runs per tool; the median time is reported")
    args = parser.parse_args()

    print("| data | train / test rows | dsgd acc | LIBLINEAR acc | sklearn acc | dsgd log-loss | LIBLINEAR log-loss "
          "| sklearn log-loss | dsgd s | LIBLINEAR s | sklearn s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        for entry in args.sets:
            names = entry.split(":")
            if len(names) == 2:
                train, test = (os.path.join(args.data, n) for n in names)
            else:
                train, test = split(os.path.join(args.data, names[0]), folder)
            rows = f"{len(labels_of(train))} / {len(labels_of(test))}"
            d = run_dsgd(args.dsgd, train, test, folder, args.repeat)
            l = run_liblinear(train, test, folder, args.repeat)
            s = run_sklearn(train, test, args.repeat)
            print(f"| {names[0]} | {rows} | {100 * d[0]:.2f}% | {100 * l[0]:.2f}% | {100 * s[0]:.2f}% "
                  f"| {d[1]:.4f} | {l[1]:.4f} | {s[1]:.4f} | {d[2]:.3f} | {l[2]:.3f} | {s[2]:.3f} |", flush=True)


if __name__ == "__main__":
    sys.exit(main())
