#!/usr/bin/env bash
# The seed experiment on every backend for W = 1, 2 and 4 workers: threads, MPI (one rank per
# worker) and hybrid (ranks x threads), each `dsgd bench --repeat N` (median of N), printed as a
# Markdown table. Extra arguments go to every `dsgd bench` (e.g. --dtype f32).
# Usage: bench/backends.sh [--repeat-count N] [bench options...]   (after a build in ./build)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repeat=5
if [[ ${1:-} == --repeat-count ]]; then repeat=$2; shift 2; fi
dsgd=build/apps/dsgd/dsgd
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1  # Open MPI refuses root without them
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
mpi=(mpirun --oversubscribe --bind-to none)
run() {  # name, command...
  local name=$1
  shift
  "$@" --quiet --repeat "$repeat" "${extra[@]}" --json "$out/$name.json" >/dev/null
}
extra=("$@")
run threads-1 "$dsgd" bench --workers 1
run threads-2 "$dsgd" bench --workers 2
run threads-4 "$dsgd" bench --workers 4
run mpi-1 "${mpi[@]}" -np 1 "$dsgd" bench --backend mpi
run mpi-2 "${mpi[@]}" -np 2 "$dsgd" bench --backend mpi
run mpi-4 "${mpi[@]}" -np 4 "$dsgd" bench --backend mpi
run hybrid-2 "${mpi[@]}" -np 1 "$dsgd" bench --backend mpi --threads-per-rank 2
run hybrid-4 "${mpi[@]}" -np 2 "$dsgd" bench --backend mpi --threads-per-rank 2
python3 - "$out" <<'PY'
import json, sys, pathlib
rows = [("threads", "1", "threads-1"), ("threads", "2", "threads-2"), ("threads", "4", "threads-4"),
        ("MPI", "1 rank", "mpi-1"), ("MPI", "2 ranks", "mpi-2"), ("MPI", "4 ranks", "mpi-4"),
        ("hybrid", "1 rank x 2 threads", "hybrid-2"), ("hybrid", "2 ranks x 2 threads", "hybrid-4")]
print("| backend | workers | sequential s | parallel s | speedup | test acc | syncs | bytes sent / received per worker (rank 0) |")
print("|---|---|---|---|---|---|---|---|")
for backend, layout, name in rows:
    r = json.loads(pathlib.Path(sys.argv[1], name + ".json").read_text())
    c = r["communication"]
    sent = "n/a" if c["bytes_sent"] is None else f'{c["bytes_sent"]:,} / {c["bytes_received"]:,}'
    print(f'| {backend} | {layout} | {r["sequential"]["time_s"]:.4f} | {r["parallel"]["time_s"]:.4f} | '
          f'{r["speedup"]:.2f}x | {r["parallel"]["test_accuracy"]:.4f} | {c["syncs"]} | {sent} |')
PY
