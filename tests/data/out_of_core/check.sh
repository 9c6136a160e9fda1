#!/bin/bash
# Data larger than memory: a sparse cache twice the size of a cgroup (v1) memory limit trains
# under that limit to the model of the same run without the limit, byte for byte, and the run
# says it streamed the rows. Needs root and the cgroup v1 memory controller; else skipped (77).
#
#   check.sh DSGD
set -euo pipefail
dsgd=$1
controller=/sys/fs/cgroup/memory
if [[ $(id -u) -ne 0 || ! -w $controller ]]; then
  echo "skipped: needs root and the cgroup v1 memory controller at $controller"
  exit 77
fi
work=$(mktemp -d)
group=$controller/dsgd_out_of_core_$$
cleanup() {
  [[ -d $group ]] && rmdir "$group" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
# 400k rows of 41 ones over 2^16 columns: a cache of about 69 MB (4.2 bytes a non-zero).
"$dsgd" gen -n 400000 --features 65536 --nnz 41 --test-samples 0 -o big.svm >/dev/null
"$dsgd" train big.svm --cache --epochs 1 -o free.txt -q  # writes the cache; no limit
cache_bytes=$(stat -c %s big.svm.dsgdcache)
limit=$((cache_bytes / 2))
mkdir "$group"
echo 0 >"$group/memory.swappiness" 2>/dev/null || true
echo "$limit" >"$group/memory.limit_in_bytes"
sync
echo 1 >/proc/sys/vm/drop_caches  # (the cache's pages are read from the disk under the limit)
status=0
(echo "$BASHPID" >"$group/cgroup.procs" && exec "$dsgd" train big.svm --cache --epochs 1 -o limited.txt) >out.txt 2>&1 ||
  status=$?
peak=$(cat "$group/memory.max_usage_in_bytes")
killed=$(grep -c "oom_kill " "$group/memory.oom_control" 2>/dev/null | head -1 || true)
echo "cache $cache_bytes bytes, limit $limit bytes, the group's peak $peak bytes"
cat out.txt
if [[ $status -ne 0 ]]; then
  echo "FAIL: the limited run exited with $status (oom_control: $(cat "$group/memory.oom_control" | tr '\n' ' '))"
  exit 1
fi
if ! cmp -s free.txt limited.txt; then
  echo "FAIL: the model trained under the limit differs from the one without it"
  diff <(head -c 2000 free.txt) <(head -c 2000 limited.txt) || true
  exit 1
fi
grep -q "^Stream  " out.txt || { echo "FAIL: the run did not say it streamed its rows"; exit 1; }
(( peak <= limit )) || { echo "FAIL: the group's peak $peak is above its limit $limit"; exit 1; }
echo "ok: the same model under a limit of half the cache"
