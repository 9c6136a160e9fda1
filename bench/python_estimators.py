#!/usr/bin/python3
"""dsgd's Python estimator against scikit-learn's in the same process: fit time and held-out
accuracy of

  dsgd        dsgd.SGDLogisticRegression() with its defaults (the data's defaults; all cores)
  dsgd seed   the seed experiment's settings (8 epochs, batch 8192, rate 0.1 constant, no
              shuffling, no scaling), on the seed set only
  SGD         sklearn.linear_model.SGDClassifier(loss="log_loss") with its defaults
  LogReg      sklearn.linear_model.LogisticRegression() with its defaults (lbfgs, C = 1)

on the seed experiment (1M x 20 synthetic rows from `dsgd gen`, 200k test rows, as a dense
C-contiguous float64 array), ijcnn1 (ijcnn1 / ijcnn1.t, dense) and news20 (news20_binary.libsvm,
CSR, every fifth row held out). The data are loaded once, outside the times; each time is the
median of --repeat fits. Prints a Markdown table (and writes it to -o when given).

  bench/python_estimators.py --data ../shared/data [--dsgd build/apps/dsgd/dsgd] [--repeat 5] [SET ...]
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
from sklearn.datasets import load_svmlight_file
from sklearn.linear_model import LogisticRegression, SGDClassifier

import dsgd


def load_seed(program, folder):
    train, test = os.path.join(folder, "seed.svm"), os.path.join(folder, "seed_test.svm")
    subprocess.run([program, "gen", "-n", "1000000", "--features", "20", "--test-samples", "200000", "-o", train,
                    "--test-output", test], check=True, capture_output=True)
    X, y = load_svmlight_file(train, n_features=20)
    Xt, yt = load_svmlight_file(test, n_features=20)
    return np.ascontiguousarray(X.toarray()), y, np.ascontiguousarray(Xt.toarray()), yt


def load_pair(data, train, test, dense):
    X, y = load_svmlight_file(os.path.join(data, train))
    Xt, yt = load_svmlight_file(os.path.join(data, test), n_features=X.shape[1])
    if dense:
        return np.ascontiguousarray(X.toarray()), y, np.ascontiguousarray(Xt.toarray()), yt
    return X, y, Xt, yt


def load_split(data, name):
    X, y = load_svmlight_file(os.path.join(data, name))
    test = np.arange(X.shape[0]) % 5 == 4
    return X[~test], y[~test], X[test], y[test]


def estimators(set_name):
    out = [("dsgd", lambda: dsgd.SGDLogisticRegression())]
    if set_name == "seed":
        out.append(("dsgd seed", lambda: dsgd.SGDLogisticRegression(epochs=8, batch_size=8192, learning_rate=0.1,
                                                                    schedule="constant", shuffle=False, scale="none")))
    out += [("SGD", lambda: SGDClassifier(loss="log_loss")), ("LogReg", lambda: LogisticRegression())]
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "../../shared/data"))
    parser.add_argument("--dsgd", default=os.path.join(os.path.dirname(__file__), "../build/apps/dsgd/dsgd"))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("-o", "--output")
    parser.add_argument("sets", nargs="*", default=["seed", "ijcnn1", "news20"])
    args = parser.parse_args()
    rows = ["| data | estimator | fit time (s) | vs SGDClassifier | held-out accuracy | epochs (n_iter_) |",
            "|---|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as folder:
        for name in args.sets:
            if name == "seed":
                X, y, Xt, yt = load_seed(args.dsgd, folder)
            elif name == "ijcnn1":
                X, y, Xt, yt = load_pair(args.data, "ijcnn1", "ijcnn1.t", dense=True)
            elif name == "news20":
                X, y, Xt, yt = load_split(args.data, "news20_binary.libsvm")
            else:
                sys.exit(f"python_estimators.py: unknown set {name!r} (seed, ijcnn1, news20)")
            results = []
            for label, make in estimators(name):
                times = []
                for _ in range(args.repeat):
                    clf = make()
                    start = time.perf_counter()
                    clf.fit(X, y)
                    times.append(time.perf_counter() - start)
                accuracy = clf.score(Xt, yt)
                results.append((label, statistics.median(times), accuracy, int(np.max(clf.n_iter_))))
                print(f"{name}: {label}: {results[-1][1]:.3g} s, accuracy {accuracy:.4f}", file=sys.stderr)
            sgd_time = next(t for label, t, _, _ in results if label == "SGD")
            for label, t, accuracy, epochs in results:
                rows.append(f"| {name} {X.shape[0]}x{X.shape[1]} | {label} | {t:.3g} | {sgd_time / t:.1f}x | "
                            f"{accuracy:.4f} | {epochs} |")
    table = "\n".join(rows) + "\n"
    print(table)
    if args.output:
        with open(args.output, "w") as f:
            f.write(table)


if __name__ == "__main__":
    main()
