#!/usr/bin/env bash
# The same options give the same model files, byte for byte, as the recorded ones: a fixed set
# of runs (dense and sparse data, every exchange, local SGD, overlap, adagrad, L2, shuffling,
# early stopping, a target, row weights, a resume; threads, MPI ranks and ranks of threads) is
# trained and each model compared with its recording under tests/train/same_bits/TARGET/, TARGET
# the kernel's instruction set (the bits are promised across backends, not across instruction
# sets: a machine of another set skips with exit 77 until its own are recorded).
#   check.sh DSGD MPIRUN DATA_DIR [--record]
# --record writes the recordings of this machine's set from this build (do it only where a
# change is meant to keep the bits, before the change).
set -uo pipefail
dsgd=$(realpath "$1") mpirun=$2 data=$(realpath "$3") record=${4:-}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/dsgd_same_bits_XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
cp "$data/a9a.gz" "$data/heart_scale" "$data/breast_cancer.csv" .
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
"$dsgd" train heart_scale --epochs 1 -q --json probe.json || { echo "FAIL: dsgd does not run"; exit 1; }
target=$(/usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["environment"]["kernel_target"])' probe.json)
recorded=$here/$target
if [[ $record != --record && ! -d $recorded ]]; then
  echo "skipped: no recorded models for the $target kernel (record them with --record)"
  exit 77
fi
mkdir -p out
failed=0 count=0
run() {  # NAME DSGD-ARGS... (threads) | NAME mpi RANKS THREADS DSGD-ARGS...
  local name=$1
  shift
  if [[ $1 == mpi ]]; then
    local ranks=$2 threads=$3
    shift 3
    [[ -x $mpirun ]] || { echo "skip $name: no mpirun"; return; }
    "$mpirun" --oversubscribe --bind-to none -np "$ranks" "$dsgd" train --backend mpi --threads-per-rank "$threads" \
      "$@" -q -o "out/$name.model" >"out/$name.log" 2>&1
  else
    "$dsgd" train "$@" -q -o "out/$name.model" >"out/$name.log" 2>&1
  fi
  local rc=$?
  count=$((count + 1))
  if [[ $rc -ne 0 ]]; then
    echo "FAIL $name: exit $rc"; cat "out/$name.log"; failed=1; return
  fi
  if [[ $record == --record ]]; then
    mkdir -p "$recorded" && cp "out/$name.model" "$recorded/$name.model"
  elif ! cmp -s "out/$name.model" "$recorded/$name.model"; then
    echo "FAIL $name: the model differs from $recorded/$name.model"; failed=1
  fi
}
a9a=(a9a.gz --epochs 3 --workers 2)
run a9a_auto "${a9a[@]}"
run a9a_dense "${a9a[@]}" --exchange dense
run a9a_sparse "${a9a[@]}" --exchange sparse
run a9a_shared "${a9a[@]}" --exchange shared
run a9a_sharded "${a9a[@]}" --exchange sharded
run a9a_adagrad_l2 "${a9a[@]}" --optimizer adagrad --l2 1e-4
run a9a_adagrad_l2_w4 a9a.gz --epochs 3 --workers 4 --optimizer adagrad --l2 1e-4
run a9a_no_shuffle a9a.gz --epochs 3 --workers 3 --no-shuffle --lr 0.05
run a9a_local_sgd a9a.gz --epochs 3 --workers 2 --sync-every 4
run a9a_sync_epoch a9a.gz --epochs 3 --workers 2 --sync-every epoch --optimizer adagrad
run a9a_overlap "${a9a[@]}" --overlap
run a9a_target a9a.gz --workers 2 --holdout 0.1 --target-accuracy 0.84 --target-every 16
run a9a_weights "${a9a[@]}" --class-weight balanced
run heart_default heart_scale --workers 2
run heart_holdout heart_scale --workers 2 --holdout 0.2 --scale standardize
run cancer_csv breast_cancer.csv --label-column malignant --workers 2 --epochs 5
run synthetic_dense --synthetic -n 20000 --features 12 --noise 0.05 --epochs 3 --workers 2 --shuffle
run synthetic_sparse --synthetic -n 20000 --features 5000 --nnz 12 --epochs 2 --workers 2 --exchange sparse
# A resume from an early checkpoint ends with the uninterrupted run's model.
"$dsgd" train "${a9a[@]}" --checkpoint ck --checkpoint-every 100 --keep-checkpoints 9 -q >/dev/null 2>&1
first=$(ls ck | grep '^ckpt-.*dsgdckpt$' | head -n 1)
for f in ck/ckpt-*.dsgdckpt; do [[ $(basename "$f") == "$first" ]] || rm -f "$f"; done
run a9a_resumed "${a9a[@]}" --resume ck
# MPI ranks and ranks of threads give the threads' bits.
run a9a_sparse_mpi mpi 2 1 a9a.gz --epochs 3 --exchange sparse
run a9a_adagrad_hybrid mpi 2 2 a9a.gz --epochs 3 --optimizer adagrad --l2 1e-4
run a9a_sharded_hybrid mpi 2 2 a9a.gz --epochs 3 --optimizer adagrad --l2 1e-4 --exchange sharded
run synthetic_dense_mpi mpi 2 1 --synthetic -n 20000 --features 12 --noise 0.05 --epochs 3 --shuffle
[[ $failed -eq 0 ]] || exit 1
[[ $record == --record ]] && { echo "recorded $count models for the $target kernel in $recorded"; exit 0; }
# The runs that must agree with each other do, as well as with the recordings.
same() {  # A B WHAT: the same model, its record of the options aside (the training line)
  [[ ! -e out/$1.model || ! -e out/$2.model ]] ||
    cmp -s <(grep -v '^training ' "out/$1.model") <(grep -v '^training ' "out/$2.model") || { echo "FAIL: $3"; exit 1; }
}
same a9a_resumed a9a_auto "the resumed run differs from the uninterrupted one"
same a9a_sparse a9a_dense "the sparse exchange differs from the dense one"
same a9a_sharded a9a_dense "the sharded exchange differs from the dense one"
same a9a_sharded_hybrid a9a_adagrad_l2_w4 "sharded on 2 ranks x 2 threads differs from 4 threads"
same a9a_sparse_mpi a9a_sparse "2 ranks differ from 2 threads"
same a9a_adagrad_hybrid a9a_adagrad_l2_w4 "2 ranks x 2 threads differ from 4 threads"
same synthetic_dense_mpi synthetic_dense "synthetic rows on 2 ranks differ from 2 threads"
echo "ok: $count models as recorded for the $target kernel"
