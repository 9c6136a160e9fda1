#!/usr/bin/env bash
# The strategy table: when and what the workers communicate, compared by the time to a target
# held-out accuracy, on dense and sparse data, on one host and across namespace hosts whose links
# are capped (scripts/namespace-hosts, which needs root; without it only the one-host rows run).
#
# Strategies: every-step dense (--exchange dense), every-step sparse (--exchange sparse; sparse
# data only: dense data always exchanges densely), local SGD at K = 4, 16 and 64 (--sync-every
# K), per-epoch averaging (--sync-every epoch) and overlap (--overlap). Each run trains all its
# epochs (--after-target continue): the time to the target and the final accuracy come from the
# same run. The held-out rows are scored every 16 steps (every 64 for K = 64, at epochs' ends
# for per-epoch averaging: only where the replicas were just averaged); the scoring is in the
# time. A run that has not ended after --budget seconds is stopped and reported as such (every-
# step dense sync of 2^22 columns at 100 Mbit/s moves 48 MB a step on 4 hosts).
#
# Data (generated once into --data-dir, then read from its binary cache):
#   dense   6000 rows x 65536 features (f32; 1500 test rows), batch 64 a worker, 6 epochs,
#           target 0.56 (65536 features and 6000 rows: about 0.57 is what the rows allow)
#   sparse  200000 rows x 2^22 features, 40 non-zeros a row (Zipf 1.1, 5% label noise; 20000 test
#           rows), batch 2048 a worker, 3 epochs, target 0.77 (3 epochs end near 0.78)
# "1 host" is --workers 2 on threads (this machine's 2 cores); "H hosts" is H namespace hosts,
# one rank each, every link capped at the rate. Times are medians of --repeat runs.
#
#   bench/strategies.sh [--data dense|sparse|both] [--hosts "1 2 4"] [--rates "10gbit 1gbit 100mbit"]
#                       [--repeat N] [--budget SECONDS] [--only "NAME|NAME"] [--after-target stop|continue]
#                       [--data-dir DIR] [-o DIR]
#                       [--dsgd PATH]
# --only runs just the strategies named (an extended regular expression on the names above).
# --after-target stop ends each run at its target (the time to it, where a whole run would not
# fit the budget; the final accuracy is then the target's).
# Writes DIR/strategies.csv (one line a run) and DIR/strategies.md (the table), and prints the
# table. Defaults: both, "1 2 4", the three rates, --repeat 3, --budget 150, data in
# /tmp/dsgd_strategies_data, -o bench/results.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
which_data=both hosts_list="1 2 4" rates="10gbit 1gbit 100mbit" repeat=3 budget=150
data_dir=/tmp/dsgd_strategies_data out=bench/results dsgd=build/apps/dsgd/dsgd only=''
after=continue
while [ $# -gt 0 ]; do
  case $1 in
  --data) which_data=$2; shift 2 ;;
  --hosts) hosts_list=$2; shift 2 ;;
  --rates) rates=$2; shift 2 ;;
  --repeat) repeat=$2; shift 2 ;;
  --budget) budget=$2; shift 2 ;;
  --only) only=$2; shift 2 ;;
  --after-target) after=$2; shift 2 ;;
  --data-dir) data_dir=$2; shift 2 ;;
  -o) out=$2; shift 2 ;;
  --dsgd) dsgd=$2; shift 2 ;;
  -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "strategies.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case $which_data in dense) sets=(dense) ;; sparse) sets=(sparse) ;; both) sets=(dense sparse) ;;
*) echo "strategies.sh: --data $which_data: expected dense, sparse or both" >&2; exit 2 ;; esac
case $after in stop|continue) ;; *) echo "strategies.sh: --after-target $after: expected stop or continue" >&2; exit 2 ;; esac
dsgd=$(realpath "$dsgd")
[ -x "$dsgd" ] || { echo "strategies.sh: no dsgd program at $dsgd (build first)" >&2; exit 2; }
mkdir -p "$data_dir" "$out"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
work=$(mktemp -d "${TMPDIR:-/tmp}/dsgd_strategies_XXXXXX")
trap 'rm -rf "$work"' EXIT
csv=$out/strategies.csv
echo "data,hosts,link,strategy,run,ended,train_s,target_reached,target_s,target_step,final_accuracy,syncs,bytes_rank0" >"$csv"

make_data() {  # SET: the files, generated once, and their caches
  local set=$1
  case $set in
  dense)
    [ -s "$data_dir/dense_test.csv" ] ||
      "$dsgd" gen -n 6000 --features 65536 --dtype f32 --test-samples 1500 --seed 7 -o "$data_dir/dense.csv" \
        --test-output "$data_dir/dense_test.csv" >/dev/null || exit 1 ;;
  sparse)
    [ -s "$data_dir/sparse_test.svm" ] ||
      "$dsgd" gen -n 200000 --features 4194304 --nnz 40 --zipf 1.1 --noise 0.05 --test-samples 20000 --seed 7 \
        -o "$data_dir/sparse.svm" --test-output "$data_dir/sparse_test.svm" >/dev/null || exit 1 ;;
  esac
}
options_of() {  # SET: the training options of the data set
  case $1 in
  dense) echo "$data_dir/dense.csv --test $data_dir/dense_test.csv --dtype f32 --cache --batch 64 --epochs 6 --target-accuracy 0.56" ;;
  sparse) echo "$data_dir/sparse.svm --test $data_dir/sparse_test.svm --cache --batch 2048 --epochs 3 --target-accuracy 0.77" ;;
  esac
}
strategies_of() {  # SET: name|options lines
  echo "every-step dense|--exchange dense --target-every 16"
  [ "$1" = sparse ] && echo "every-step sparse|--exchange sparse --target-every 16"
  echo "local K=4|--sync-every 4 --target-every 16"
  echo "local K=16|--sync-every 16 --target-every 16"
  echo "local K=64|--sync-every 64 --target-every 64"
  echo "per-epoch average|--sync-every epoch --target-every epoch"
  echo "overlap|--overlap --target-every 16"
}

one_run() {  # SET HOSTS LINK NAME RUN OPTIONS...: one line of the CSV
  local set=$1 hosts=$2 link=$3 name=$4 k=$5
  shift 5
  local json=$work/run.json ended=ok
  rm -f "$json"
  if [ "$hosts" = 1 ]; then
    timeout "$budget" "$dsgd" train "$@" --workers 2 --after-target "$after" --quiet --json "$json" >"$work/log" 2>&1
  else
    timeout "$budget" scripts/namespace-hosts -n "$hosts" --rate "$link" -- "$dsgd" train --backend mpi "$@" \
      --after-target "$after" --quiet --json "$json" >"$work/log" 2>&1
  fi
  local rc=$?
  if [ $rc -eq 77 ]; then return 77; fi
  [ $rc -eq 124 ] && ended="budget"
  [ $rc -ne 0 ] && [ $rc -ne 124 ] && { ended="failed"; sed 's/^/    /' "$work/log" | tail -n 5 >&2; }
  /usr/bin/python3 - "$json" "$set,$hosts,$link,$name,$k,$ended" >>"$csv" <<'PY'
import json, sys
head = sys.argv[2]
try:
    r = json.load(open(sys.argv[1]))
except (OSError, ValueError):
    print(head + ",,,,,,,")
    sys.exit()
t = r.get("target") or {}
comm = r["communication"]
per = comm.get("per_worker") or [{}]
bytes0 = (per[0].get("bytes_sent") or 0) + (per[0].get("bytes_received") or 0)
acc = (r.get("test") or {}).get("accuracy")
print(",".join(str(x) for x in [head, r["time_s"], t.get("reached"), t.get("time_s") if t.get("reached") else "",
                                t.get("step") if t.get("reached") else "", acc, comm["syncs"], bytes0]))
PY
}

for set in "${sets[@]}"; do
  make_data "$set"
  read -r -a opts <<<"$(options_of "$set")"
  # Build the caches once (one quiet epoch), outside the timed runs.
  "$dsgd" train "${opts[@]}" --epochs 1 --quiet >/dev/null 2>&1
  for hosts in $hosts_list; do
    links=$rates
    [ "$hosts" = 1 ] && links="shared-memory"
    for link in $links; do
      while IFS='|' read -r name extra; do
        [ -z "$only" ] || [[ $name =~ ^($only)$ ]] || continue
        read -r -a more <<<"$extra"
        for ((k = 1; k <= repeat; k++)); do
          one_run "$set" "$hosts" "$link" "$name" "$k" "${opts[@]}" "${more[@]}"
          [ $? -eq 77 ] && { echo "strategies.sh: namespace hosts skipped: $(cat "$work/log")" >&2; break 3; }
          # A run past the budget is not repeated: the next would be too.
          tail -n 1 "$csv" | grep -q ',budget,' && break
        done
        echo "strategies.sh: $set, $hosts host(s), $link, $name: done" >&2
      done < <(strategies_of "$set")
    done
  done
done

/usr/bin/python3 - "$csv" "$out/strategies.md" "$budget" <<'PY'
import csv, statistics, sys
budget = float(sys.argv[3])
rows = list(csv.DictReader(open(sys.argv[1])))
groups = {}
for r in rows:
    groups.setdefault((r["data"], r["hosts"], r["link"], r["strategy"]), []).append(r)
lines = ["| data | hosts | link | strategy | time to target (s) | vs every-step dense | final test accuracy | train time (s) | syncs | MB a worker (rank 0) |",
         "|---|---|---|---|---|---|---|---|---|---|"]
baseline = {}
def median(rs, key):
    v = [float(r[key]) for r in rs if r[key] not in ("", "None")]
    return statistics.median(v) if v else None
for (d, h, l, s), rs in groups.items():
    if s == "every-step dense":
        baseline[(d, h, l)] = (median(rs, "target_s"), rs[0]["ended"])
for (d, h, l, s), rs in groups.items():
    ended = rs[0]["ended"]
    t = median(rs, "target_s")
    train = median(rs, "train_s")
    acc = rs[0]["final_accuracy"]
    if ended == "budget":
        ttt = "not reached in the budget" if t is None else f"{t:.3g} (run stopped at the budget)"
    elif ended == "failed":
        ttt = "failed"
    else:
        ttt = f"{t:.3g}" if t is not None else "not reached"
    base, base_ended = baseline.get((d, h, l), (None, ""))
    if t is not None and base is not None:
        ratio = f"{base / t:.2f}x"
    elif t is not None and base_ended == "budget":
        ratio = f"> {budget / t:.1f}x"  # the baseline had not reached it when stopped
    else:
        ratio = ""
    mb = f"{float(rs[0]['bytes_rank0']) / 1e6:.1f}" if rs[0]["bytes_rank0"] not in ("", "None") else ""
    accuracy = f"{float(acc):.4f}" if acc not in ("", "None") else ""
    lines.append(f"| {d} | {h} | {l} | {s} | {ttt} | {ratio} | {accuracy} | "
                 f"{'' if train is None else f'{train:.3g}'} | {rs[0]['syncs']} | {mb} |")
open(sys.argv[2], "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
