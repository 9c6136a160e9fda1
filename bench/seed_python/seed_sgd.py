"""Reproduction of the seed report's Python program (baseline timing only).

The course report "Distributed SGD for binary logistic regression" (BITS Pilani,
"System Optimization for Distributed Deep Learning") built its system in Python
with numpy and ``multiprocessing``. Its source is not part of this repository;
this file re-creates the program from the report's description so that dsgd
has a speed baseline to compare against on the same machine. It is not part of the C++ build.

What it does:
  * synthetic data: X ~ N(0,1) (n_samples x n_features), w* ~ N(0,1),
    y = 1 if X.w* > 0 else 0 (noiseless); plus a held-out set of 20% extra
    samples drawn the same way from the same w*.
  * sequential baseline: minibatch SGD, no shuffle, w0 = 0,
    grad = X_b^T (sigmoid(X_b w) - y_b) / len(batch).
  * parallel version: a multiprocessing.Pool(workers) (platform default start
    method, i.e. fork on Linux); each minibatch is np.array_split into
    `workers` slices, pool.map returns each slice's mean gradient, and the
    main process averages them with EQUAL weight (np.mean of the list). That
    is the report's bug (slices of unequal size get the wrong weight); it is
    reproduced on purpose.
  * parallel learning rate: lr * workers, with a linear warmup over the first
    epoch chosen here as a per-step ramp from lr (step 0) up to lr * workers
    (last step of epoch 0); constant lr * workers afterwards.
  * timing: time.perf_counter around training only; the parallel time
    includes creating (and closing) the pool, as the report did.
  * accuracy: on the training set (as the report) and on the held-out set.

Run (Debian's python3-numpy; the pyenv `python3` here has no numpy):
    /usr/bin/python3 bench/seed_python/seed_sgd.py --workers 2
    /usr/bin/python3 bench/seed_python/seed_sgd.py --samples 100000 --json out.json
"""
import argparse
import json
import multiprocessing
import time

import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.clip(z, -500.0, 500.0)))


def gradient(X, y, w):
    """Mean logistic-loss gradient over the rows of X."""
    return X.T @ (sigmoid(X @ w) - y) / len(y)


def worker_gradient(args):
    X, y, w = args
    return gradient(X, y, w)


def make_data(n_samples, n_features, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, n_features))
    w_true = rng.standard_normal(n_features)
    y = (X @ w_true > 0).astype(np.float64)
    n_test = max(1, int(0.2 * n_samples))
    X_test = rng.standard_normal((n_test, n_features))
    y_test = (X_test @ w_true > 0).astype(np.float64)
    return X, y, X_test, y_test


def batches(n_samples, batch):
    for start in range(0, n_samples, batch):
        yield start, min(start + batch, n_samples)


def accuracy(X, y, w):
    return float(np.mean((sigmoid(X @ w) >= 0.5) == (y == 1.0)))


def train_sequential(X, y, epochs, batch, lr, on_epoch=None):
    """on_epoch(epoch, w), if given, is called after every epoch (bench/peers/ scores there)."""
    w = np.zeros(X.shape[1])
    for epoch in range(epochs):
        for s, e in batches(len(y), batch):
            w -= lr * gradient(X[s:e], y[s:e], w)
        if on_epoch:
            on_epoch(epoch, w)
    return w


def split_rows(s, e, workers):
    """np.array_split's partition of rows [s, e): the first (e - s) % workers parts get one more row.
    By index ranges, so that X may also be a scipy.sparse CSR matrix."""
    size, extra = divmod(e - s, workers)
    bounds = [s]
    for k in range(workers):
        bounds.append(bounds[-1] + size + (1 if k < extra else 0))
    return list(zip(bounds[:-1], bounds[1:]))


def train_parallel(X, y, epochs, batch, lr, workers, on_epoch=None):
    """Returns (w, number of synchronisations). on_epoch as for train_sequential."""
    w = np.zeros(X.shape[1])
    steps_per_epoch = (len(y) + batch - 1) // batch
    target_lr = lr * workers
    syncs = 0
    with multiprocessing.Pool(workers) as pool:
        for epoch in range(epochs):
            for step, (s, e) in enumerate(batches(len(y), batch)):
                if epoch == 0 and steps_per_epoch > 1:
                    frac = step / (steps_per_epoch - 1)
                    step_lr = lr + (target_lr - lr) * frac
                else:
                    step_lr = target_lr
                tasks = [(X[a:b], y[a:b], w) for a, b in split_rows(s, e, workers)]
                grads = pool.map(worker_gradient, tasks)
                w = w - step_lr * np.mean(grads, axis=0)  # equal weight (bug)
                syncs += 1
            if on_epoch:
                on_epoch(epoch, w)
    return w, syncs


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--samples", type=int, default=1000000)
    p.add_argument("--features", type=int, default=20)
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--batch", type=int, default=8192)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--workers", type=int, default=4)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--json", metavar="FILE", help="write the figures as JSON")
    a = p.parse_args()

    X, y, X_test, y_test = make_data(a.samples, a.features, a.seed)
    print(f"Samples: {a.samples}")
    print(f"Features: {a.features}")
    print(f"Epochs: {a.epochs}")
    print(f"Batch: {a.batch}")
    print(f"Workers: {a.workers}")

    t0 = time.perf_counter()
    w_seq = train_sequential(X, y, a.epochs, a.batch, a.lr)
    seq_time = time.perf_counter() - t0
    seq_acc = accuracy(X, y, w_seq)

    t0 = time.perf_counter()
    w_par, syncs = train_parallel(X, y, a.epochs, a.batch, a.lr, a.workers)
    par_time = time.perf_counter() - t0
    par_acc = accuracy(X, y, w_par)

    seq_ho = accuracy(X_test, y_test, w_seq)
    par_ho = accuracy(X_test, y_test, w_par)
    speedup = seq_time / par_time
    comm_bytes = syncs * a.workers * a.features * 8

    print(f"Sequential time: {seq_time:.4f} s | acc: {seq_acc:.4f}")
    print(f"Parallel time: {par_time:.4f} s | acc: {par_acc:.4f}")
    print(f"Speedup: {speedup:.2f}x")
    print(f"Communication cost: {syncs} syncs x {a.workers} workers x "
          f"{a.features} d x 8 bytes = {comm_bytes} bytes "
          f"({comm_bytes / 1e6:.3f} MB)")
    print(f"Held-out acc seq/par: {seq_ho:.4f} / {par_ho:.4f}")

    if a.json:
        figures = {
            "samples": a.samples, "features": a.features, "epochs": a.epochs,
            "batch": a.batch, "lr": a.lr, "workers": a.workers,
            "seed": a.seed, "syncs": syncs, "communication_bytes": comm_bytes,
            "sequential_time_s": seq_time, "parallel_time_s": par_time,
            "speedup": speedup,
            "sequential_accuracy": seq_acc, "parallel_accuracy": par_acc,
            "sequential_heldout_accuracy": seq_ho,
            "parallel_heldout_accuracy": par_ho,
        }
        with open(a.json, "w") as f:
            json.dump(figures, f, indent=2)


if __name__ == "__main__":
    main()
