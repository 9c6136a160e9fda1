#!/usr/bin/python3
"""Every JSON report dsgd writes validates against schemas/report.schema.json, and a training
report has the same keys on a data file and on synthetic data, on threads and on MPI.

    report_schema_test.py DSGD SCHEMA DATA_DIR [MPIRUN]

Run by ctest (tests/CMakeLists.txt) with Debian's python3 and python3-jsonschema.
"""
import json
import os
import subprocess
import sys
import tempfile

import jsonschema

dsgd, schema_path, data = sys.argv[1], sys.argv[2], sys.argv[3]
mpirun = sys.argv[4] if len(sys.argv) > 4 and sys.argv[4] else None
schema = json.load(open(schema_path))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)
heart = os.path.join(data, "heart_scale")
work = tempfile.mkdtemp(prefix="dsgd_schema_")
failures = []


def report(name, args, launcher=()):
    """Runs dsgd ARGS --json FILE and returns the parsed report, validated."""
    path = os.path.join(work, name + ".json")
    run = subprocess.run([*launcher, dsgd, *args, "--json", path], cwd=work, capture_output=True, text=True)
    if run.returncode != 0:
        failures.append(f"{name}: exit {run.returncode}: {run.stderr.strip()}")
        return None
    with open(path) as f:
        j = json.load(f)
    errors = sorted(validator.iter_errors(j), key=lambda e: list(e.absolute_path))
    for e in errors[:5]:
        failures.append(f"{name}: {'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}")
    return j


small = ["--samples", "4000", "--features", "6", "--epochs", "2", "--batch", "256"]
reports = {
    "train-synthetic": report("train-synthetic", ["train", "-q", "-v", *small, "--workers", "2"]),
    "train-synthetic-sparse": report("train-synthetic-sparse",
                                     ["train", "-q", "-v", "--samples", "4000", "--features", "5000", "--nnz", "8",
                                      "--epochs", "2", "--workers", "2"]),
    "train-synthetic-plain": report("train-synthetic-plain", ["train", "-q", *small]),
    "train-file": report("train-file", ["train", "-q", "-v", heart, "-o", os.path.join(work, "m.txt")]),
    "train-file-plain": report("train-file-plain", ["train", "-q", heart]),
    "train-file-test": report("train-file-test", ["train", "-q", heart, "--test", heart, "--patience", "2"]),
    "train-file-weighted": report("train-file-weighted", ["train", "-q", heart, "--class-weight", "balanced"]),
    "train-file-target": report("train-file-target", ["train", "-q", heart, "--holdout", "0.3", "--workers", "2",
                                                      "--sync-every", "4", "--target-accuracy", "0.8",
                                                      "--target-every", "4"]),
    "train-file-sparse": report("train-file-sparse", ["train", "-q", "-v", heart, "--storage", "sparse"]),
    "train-file-holdout": report("train-file-holdout", ["train", "-q", heart, "--holdout", "0.3", "--workers", "2"]),
    "bench": report("bench", ["bench", *small, "--workers", "2"]),
    "eval": report("eval", ["eval", "--model", os.path.join(work, "m.txt"), heart]),
    "predict": report("predict", ["predict", "--model", os.path.join(work, "m.txt"), heart, "-o",
                                  os.path.join(work, "p.txt")]),
}
if mpirun:
    launcher = (mpirun, "-np", "2", "--oversubscribe")
    reports["train-file-mpi"] = report("train-file-mpi", ["train", "-q", "-v", heart, "--backend", "mpi"], launcher)
    reports["train-file-sparse-mpi"] = report("train-file-sparse-mpi",
                                              ["train", "-q", "-v", heart, "--storage", "sparse", "--backend", "mpi"],
                                              launcher)
    reports["train-synthetic-mpi"] = report("train-synthetic-mpi", ["train", "-q", "-v", *small, "--backend", "mpi"],
                                            launcher)

# One report everywhere: train on a file and on synthetic data share every key of the schema's
# training section (and bench every key of its own).
training_keys = set(schema["$defs"]["training"]["required"]) | set(schema["required"])
for name, j in reports.items():
    if j is None:
        continue
    if name.startswith("train"):
        missing = training_keys - set(j)
        if missing:
            failures.append(f"{name}: lacks {sorted(missing)}")
        if j["command"] != "train":
            failures.append(f"{name}: command {j['command']}")
# Every training report has exactly the same keys, whatever the data, backend and options.
key_sets = {name: frozenset(j) for name, j in reports.items() if j is not None and name.startswith("train")}
for name, keys in key_sets.items():
    if "train-file" in key_sets and keys != key_sets["train-file"]:
        failures.append(f"{name}: keys differ from train-file's: {sorted(keys ^ key_sets['train-file'])}")
# With -v the bound is measured: sparse rows carry the random-read bound (reads of a model line
# per non-zero), dense rows not; without -v there is none (no probe ran).
for name, j in reports.items():
    if j is None or not name.startswith("train"):
        continue
    if j["bound"] is None:
        if name in ("train-file", "train-synthetic") or "sparse" in name:
            failures.append(f"{name}: no bound with -v")
        continue
    if name.endswith("plain"):
        failures.append(f"{name}: a bound without -v: {j['bound']}")
    sparse = "sparse" in name
    if sparse != ("random_time_s" in j["bound"]):
        failures.append(f"{name}: bound {j['bound']}: a random-read bound {'missing' if sparse else 'for dense rows'}")
# A report that fails the schema must be caught: a report with a key taken away is invalid.
if reports["train-file"]:
    broken = dict(reports["train-file"])
    del broken["time_s"]
    if validator.is_valid(broken):
        failures.append("the schema accepts a training report without time_s")

if failures:
    print("\n".join(failures))
    sys.exit(1)
print(f"{len([r for r in reports.values() if r])} reports valid against {os.path.basename(schema_path)}")
