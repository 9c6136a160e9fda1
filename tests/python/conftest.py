"""Shared fixtures: the dsgd program (DSGD_CLI, set by CTest) and small data sets."""
import os
import shutil

import numpy as np
import pytest


@pytest.fixture(scope="session")
def cli():
    path = os.environ.get("DSGD_CLI") or shutil.which("dsgd")
    if not path:
        pytest.skip("no dsgd program: set DSGD_CLI (CTest does)")
    return path


def make_data(rows=3000, features=8, seed=0, scale=3.0, sparsity=0.0):
    """A linearly separable-ish set: X (rows x features), y in {0, 1}."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, features)) * scale
    if sparsity:
        X[rng.random(X.shape) < sparsity] = 0.0
    w = rng.normal(size=features)
    y = (X @ w + rng.normal(size=rows) > 0).astype(np.int64)
    return X, y


def write_csv(path, X, y):
    """x1,...,xd,label with every value in its shortest round-trip form (the CLI reads the same bits)."""
    with open(path, "w") as f:
        for row, label in zip(X, y):
            f.write(",".join(repr(float(v)) for v in row) + f",{label}\n")


def write_libsvm(path, X, y):
    """+1/-1 label and index:value pairs (1-based) of a CSR matrix's stored values."""
    with open(path, "w") as f:
        for i, label in enumerate(y):
            row = slice(X.indptr[i], X.indptr[i + 1])
            cols = " ".join(f"{j + 1}:{float(v)!r}" for j, v in zip(X.indices[row], X.data[row]))
            f.write(f"{'+1' if label == 1 else '-1'} {cols}\n")
