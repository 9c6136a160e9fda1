#!/usr/bin/env bash
# End-to-end checks of dsgd jobs under mpiexec, one case per CTest test:
#   kill      a rank killed (SIGKILL) mid-training: the job ends non-zero
#   stop      a rank stopped (SIGSTOP) mid-training: the watchdog ends the job non-zero within
#             --timeout, naming the step and what it waited for
#   mismatch  ranks started with different options: reported at start-up, exit 2, no training
#   file      training on a data file, each rank reading its rows: the model file is byte for
#             byte the one --workers W writes on threads (plain, held-out rows, hybrid ranks x
#             threads, gzip, from the binary cache), and a malformed file or an unwritable
#             model path is reported once, exit 1, no model left; with sample weights too
#             (--weights, --class-weight), and a row of weight 2 trains as the row written twice;
#             with local SGD (--sync-every), with overlap (--overlap) and sharded (--exchange
#             sharded)
#   resume    a rank killed (SIGKILL) mid-training of a job writing checkpoints: the job
#             resumed from its newest checkpoint writes the uninterrupted job's model byte for
#             byte, as does a threads run resumed from the same checkpoint
# Usage: mpi_job_test.sh MPIEXEC DSGD CASE [TEST_DATA_DIR]
set -uo pipefail
mpiexec=$1 dsgd=$2 case=$3 data=${4:-}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
log=$(mktemp)
trap 'rm -f "$log"; pkill -KILL -P "${job:-0}" 2>/dev/null' EXIT
fail() { echo "FAIL ($case): $*"; echo "--- job output:"; cat "$log"; exit 1; }

case $case in
kill|stop)
  timeout=3
  # Long enough to be mid-training when the signal comes (the watchdog ends it, not the epochs).
  "$mpiexec" --oversubscribe -np 3 "$dsgd" train --backend mpi -n 30000 --features 8 --epochs 1000000 --batch 256 \
    --timeout $timeout >"$log" 2>&1 &
  job=$!
  for _ in $(seq 300); do  # wait until training runs (epoch lines appear)
    grep -Eq "^ +[0-9]+ +[0-9]+\.[0-9]+ " "$log" && break
    sleep 0.1
  done
  grep -Eq "^ +[0-9]+ +[0-9]+\.[0-9]+ " "$log" || fail "training did not start"
  victim=$(pgrep -P $job -x dsgd | tail -n 1)
  [ -n "$victim" ] || fail "no rank process found"
  signal=$([ "$case" = kill ] && echo KILL || echo STOP)
  start=$(date +%s)
  kill -$signal "$victim"
  # The liveness bound: the timeout plus slack for Open MPI to tear the job down.
  for _ in $(seq $(((timeout + 20) * 10))); do
    kill -0 $job 2>/dev/null || break
    sleep 0.1
  done
  kill -0 $job 2>/dev/null && fail "the job still runs $((timeout + 20)) s after the rank was stopped"
  wait $job
  rc=$?
  [ $rc -ne 0 ] || fail "the job exited 0"
  if [ "$case" = stop ]; then
    grep -Eq "dsgd: error: rank [0-9]+: epoch [0-9]+, step [0-9]+ of [0-9]+ \(worker [0-9]+\): timed out after 3 s waiting for the other ranks in an? [a-z -]+" "$log" ||
      fail "no watchdog message naming the step"
  fi
  echo "ok: $case ended the job with exit code $rc in $(($(date +%s) - start)) s"
  ;;
mismatch)
  # Rank 1 asks for 4 epochs, the others for 8.
  "$mpiexec" --oversubscribe -np 2 sh -c \
    'exec "$0" train --backend mpi -n 1000 --quiet --epochs $((8 - 4 * (OMPI_COMM_WORLD_RANK == 1)))' "$dsgd" \
    >"$log" 2>&1
  rc=$?
  [ $rc -ne 0 ] || fail "the job exited 0"
  grep -q "dsgd: error: ranks disagree on --epochs: rank 0 has 8, rank 1 has 4" "$log" || fail "no mismatch message"
  grep -q "Training time" "$log" && fail "it trained anyway"
  echo "ok: mismatch reported, exit code $rc"
  ;;
file)
  dir=$(mktemp -d)
  trap 'rm -rf "$log" "$dir"' EXIT
  same_model() {  # RANKS THREADS_PER_RANK OPTIONS...
    local np=$1 tpr=$2
    shift 2
    "$dsgd" train "$@" --workers $((np * tpr)) --quiet -o "$dir/threads.model" >"$log" 2>&1 ||
      fail "threads run failed: $*"
    "$mpiexec" --oversubscribe --bind-to none -np "$np" "$dsgd" train --backend mpi --threads-per-rank "$tpr" "$@" \
      --quiet -o "$dir/mpi.model" >"$log" 2>&1 || fail "mpi run failed: $*"
    cmp -s "$dir/threads.model" "$dir/mpi.model" || fail "-np $np x $tpr differs from --workers $((np * tpr)): $*"
    echo "ok: -np $np x $tpr threads = --workers $((np * tpr)): $*"
  }
  same_model 2 1 "$data/a9a.gz" --test "$data/a9a.t.gz"
  same_model 3 1 "$data/a9a.gz" --holdout 0.1
  same_model 2 2 "$data/heart_scale" --storage sparse
  same_model 2 1 "$data/breast_cancer.csv" --holdout 0.2
  # Sample weights: fractional weights and balanced class weights keep the bits of threads.
  zcat "$data/a9a.gz" | awk 'NF { n++; print (n % 7 == 3) ? 2 : (n % 5 == 1 ? 0.25 : 1) }' >"$dir/a9a.weights"
  same_model 2 1 "$data/a9a.gz" --weights "$dir/a9a.weights" --class-weight balanced --holdout 0.1
  same_model 2 2 "$data/heart_scale" --class-weight 3,0.5
  # Local SGD: the models averaged every 4 steps, or once an epoch, keep the bits of threads.
  same_model 2 1 "$data/a9a.gz" --sync-every 4 --holdout 0.1
  same_model 2 2 "$data/a9a.gz" --sync-every epoch --optimizer adagrad
  same_model 2 1 "$data/a9a.gz" --overlap --holdout 0.1
  same_model 2 2 "$data/a9a.gz" --overlap --shuffle
  # Sharded: each rank sums and moves its columns; ranks, and ranks x threads, keep the bits.
  same_model 2 1 "$data/a9a.gz" --exchange sharded --shuffle --l2 1e-4 --holdout 0.1
  same_model 2 2 "$data/a9a.gz" --exchange sharded --optimizer adagrad
  # A row of weight 2 trains as the row written twice, in steps over all rows at once.
  awk 'NF { n++; print (n % 7 == 3) ? 2 : 1 }' "$data/heart_scale" >"$dir/heart.weights"
  awk 'NF { n++; print; if (n % 7 == 3) print }' "$data/heart_scale" >"$dir/heart_twice"
  full=(--batch 100000 --epochs 5 --lr 0.5 --scale none --quiet)
  "$mpiexec" --oversubscribe -np 2 "$dsgd" train --backend mpi "$data/heart_scale" --weights "$dir/heart.weights" \
    "${full[@]}" -o "$dir/weighted.model" >"$log" 2>&1 || fail "mpi run with weights failed"
  "$mpiexec" --oversubscribe -np 2 "$dsgd" train --backend mpi "$dir/heart_twice" "${full[@]}" \
    -o "$dir/twice.model" >"$log" 2>&1 || fail "mpi run on the doubled rows failed"
  paste <(sed -n '/^weights$/,/^end$/p' "$dir/weighted.model") <(sed -n '/^weights$/,/^end$/p' "$dir/twice.model") |
    awk 'NR > 1 && $1 != "end" { d = $1 - $2; if (d < 0) d = -d; m = $1 < 0 ? -$1 : $1; if (d > 1e-12 + 1e-10 * m) bad++; n++ }
         END { exit (n == 13 && bad == 0) ? 0 : 1 }' ||
    fail "weight 2 on MPI does not train as the row written twice: $(paste "$dir/weighted.model" "$dir/twice.model")"
  echo "ok: on MPI, a row of weight 2 trains as the row written twice"
  # With the cache: the threads run writes it, each rank then loads only its rows of it.
  cp "$data/a9a.gz" "$dir/a9a.gz"
  same_model 2 1 "$dir/a9a.gz" --holdout 0.1 --cache
  "$mpiexec" --oversubscribe -np 2 "$dsgd" train --backend mpi "$dir/a9a.gz" --cache --epochs 1 -v >"$log" 2>&1 ||
    fail "mpi run with the cache failed"
  grep -q "loaded from its cache" "$log" || fail "the ranks did not load the cache"
  # Without a cache, the ranks write it together; a threads run then loads it.
  rm "$dir/a9a.gz.dsgdcache"
  "$mpiexec" --oversubscribe -np 3 "$dsgd" train --backend mpi "$dir/a9a.gz" --cache --epochs 2 -v \
    -o "$dir/mpi.model" >"$log" 2>&1 || fail "mpi run writing the cache failed"
  grep -q "written by the ranks together" "$log" || fail "the ranks did not write the cache"
  "$dsgd" train "$dir/a9a.gz" --cache --epochs 2 -v --workers 3 -o "$dir/threads.model" >"$log" 2>&1 ||
    fail "threads run on the ranks' cache failed"
  grep -q "loaded from its cache" "$log" || fail "the threads run did not load the ranks' cache"
  cmp -s "$dir/threads.model" "$dir/mpi.model" || fail "the model from the ranks' cache differs"
  echo "ok: the ranks write the cache together, a threads run loads it"
  "$mpiexec" --oversubscribe -np 2 "$dsgd" train --backend mpi "$data/bad_value.libsvm" \
    -o "$dir/bad.model" >"$log" 2>&1
  rc=$?
  [ $rc -eq 1 ] || fail "a malformed file exited $rc, not 1"
  [ "$(grep -c "dsgd: error: .*bad_value.libsvm:2: bad value 'x' for feature 2" "$log")" = 1 ] ||
    fail "the malformed line is not reported exactly once"
  [ -z "$(ls "$dir" | grep bad)" ] || fail "a model file was left behind"
  echo "ok: malformed file reported once, exit 1, no model"
  "$mpiexec" --oversubscribe -np 2 "$dsgd" train --backend mpi "$data/heart_scale" \
    -o "$dir/no/such/folder/m.model" >"$log" 2>&1
  rc=$?
  [ $rc -eq 1 ] || fail "an unwritable model path exited $rc, not 1"
  [ "$(grep -c "dsgd: error: .*m.model: cannot create a file here" "$log")" = 1 ] ||
    fail "the unwritable model path is not reported exactly once"
  grep -q "MPI_ABORT" "$log" && fail "the job was aborted instead of ending on every rank"
  echo "ok: unwritable model path reported once, exit 1, every rank ended"
  ;;
resume)
  dir=$(mktemp -d)
  trap 'rm -rf "$log" "$dir"; pkill -KILL -P "${job:-0}" 2>/dev/null' EXIT
  "$dsgd" gen -n 40000 --features 20 --noise 0.05 -o "$dir/d.svm" >"$log" 2>&1 || fail "gen failed"
  opts=("$dir/d.svm" --epochs 120 --quiet)
  "$mpiexec" --oversubscribe -np 2 "$dsgd" train --backend mpi "${opts[@]}" -o "$dir/whole.model" >"$log" 2>&1 ||
    fail "the uninterrupted job failed"
  "$mpiexec" --oversubscribe -np 2 "$dsgd" train --backend mpi "${opts[@]}" --checkpoint "$dir/ck" \
    --checkpoint-every 200 -o "$dir/killed.model" >"$log" 2>&1 &
  job=$!
  for _ in $(seq 600); do  # until the third checkpoint is written
    [ "$(ls "$dir/ck" 2>/dev/null | grep -c '^ckpt-.*dsgdckpt$')" -ge 3 ] && break
    sleep 0.05
  done
  # Rank 1 (not rank 0, which writes the checkpoints), found by its rank.
  victim=""
  for p in $(pgrep -P $job -x dsgd); do
    tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx 'OMPI_COMM_WORLD_RANK=1' && victim=$p
  done
  [ -n "$victim" ] || fail "no rank 1 process found (the job ended before it could be killed?)"
  kill -KILL "$victim"
  wait $job && fail "the killed job exited 0"
  [ -e "$dir/killed.model" ] && fail "the killed job left a model"
  echo "ok: killed at $(ls "$dir/ck" | tail -n 1)"
  "$mpiexec" --oversubscribe -np 2 "$dsgd" train --backend mpi "${opts[@]}" --resume "$dir/ck" \
    -o "$dir/resumed.model" >"$log" 2>&1 || fail "the resumed job failed"
  cmp -s "$dir/whole.model" "$dir/resumed.model" || fail "the resumed job's model differs from the uninterrupted one's"
  "$dsgd" train "${opts[@]}" --workers 2 --resume "$dir/ck" -o "$dir/threads.model" >"$log" 2>&1 ||
    fail "the threads run resumed from the job's checkpoint failed"
  cmp -s "$dir/whole.model" "$dir/threads.model" || fail "the threads run resumed from it differs"
  echo "ok: resumed on MPI and on threads, the uninterrupted job's model byte for byte"
  ;;
*)
  fail "unknown case"
  ;;
esac
