"""The tables of scripts/bench-exchanges, in Markdown, from the JSON reports it wrote in OUT."""
import glob
import json
import os
import statistics
import sys

out = sys.argv[1]


def load(path):
    with open(path) as f:
        return json.load(f)


def per_worker(d):
    """Worker 0's kernel, update and exchange seconds, and the columns it moved."""
    w = d["communication"]["per_worker"][0]
    return w["compute_s"] - w["update_s"], w["update_s"], w["exchange_s"], w["columns_updated"]


print("Synthetic 2M x 2^22, 40 non-zeros a row (`dsgd bench`; medians of the bench's repeats)\n")
print("| backend | exchange | 1 worker s | 2 workers s | speedup | worker 0: kernel / update / exchange s | "
      "columns it moved | random-read bound s (1 / 2) |")
print("|---|---|---|---|---|---|---|---|")
for backend in ("threads", "mpi"):
    for ex in ("sparse", "shared", "sharded", "dense"):
        path = f"{out}/syn-{backend}-{ex}.json"
        if not os.path.exists(path):
            continue
        d = load(path)
        k, u, e, cols = per_worker(d)
        seq, par = d["sequential"], d["parallel"]
        print(f"| {backend} | {ex} | {seq['time_s']:.2f} | {par['time_s']:.2f} | {seq['time_s'] / par['time_s']:.2f}x | "
              f"{k:.2f} / {u:.2f} / {e:.2f} | {cols / 1e6:.1f}M | "
              f"{seq.get('random_bound_s', float('nan')):.2f} / {par.get('random_bound_s', float('nan')):.2f} |")

for name, title in (("news20", "news20 (19,996 x 1,355,191)"), ("gen", "1M x 2^22 from `dsgd gen`, 40 non-zeros")):
    print(f"\n{title} (`dsgd train FILE --cache -v`; training time, medians)\n")
    print("| backend | exchange | workers | training s (median) | runs | worker 0: kernel / update / exchange s | "
          "random-read bound s |")
    print("|---|---|---|---|---|---|---|")
    for backend in ("threads", "mpi"):
        for ex in ("one", "sparse", "shared", "sharded", "dense"):
            files = sorted(glob.glob(f"{out}/{name}-{backend}-{ex}-*.json"))
            if not files:
                continue
            runs = [load(f) for f in files]
            times = [r["time_s"] for r in runs]
            mid = min(runs, key=lambda r: abs(r["time_s"] - statistics.median(times)))
            k, u, e, _ = per_worker(mid)
            bound = (mid.get("bound") or {}).get("random_time_s", float("nan"))
            workers = len(mid["communication"]["per_worker"])
            print(f"| {backend} | {'-' if ex == 'one' else ex} | {workers} | {statistics.median(times):.3f} | "
                  f"{len(times)} | {k:.3f} / {u:.3f} / {e:.3f} | {bound:.3f} |")

print("\nThe step model (1M x 2^22 synthetic, sharded; costs calibrated on each bench's sequential run)\n")
print("| backend | W | measured s | predicted s | error |")
print("|---|---|---|---|---|")
for backend in ("threads", "mpi"):
    for w in (2, 3, 4):
        path = f"{out}/model-{backend}-{w}.json"
        if not os.path.exists(path):
            continue
        m = load(path)["step_model"]
        print(f"| {backend} | {w} | {m['measured_s']:.2f} | {m['predicted_s']:.2f} | "
              f"{100 * (m['predicted_s'] / m['measured_s'] - 1):+.0f}% |")

path = f"{out}/model-mpi-2.json"
if os.path.exists(path):
    m = load(path)["step_model"]
    print("\nPredicted beyond this machine (extrapolation): a step of W hosts, 50 us latency, ms "
          "(sharded / lists; one worker: {:.2f} ms)\n".format(1e3 * m["hosts"][0]["one_worker_step_s"]))
    gbits = sorted({h["gbit"] for h in m["hosts"]})
    print("| W | " + " | ".join(f"{g:g} Gbit/s" for g in gbits) + " |")
    print("|---|" + "---|" * len(gbits))
    for w in sorted({h["workers"] for h in m["hosts"]}):
        cells = []
        for g in gbits:
            h = next(h for h in m["hosts"] if h["workers"] == w and h["gbit"] == g)
            cells.append(f"{1e3 * h['sharded']['total_s']:.2f} / {1e3 * h['lists']['total_s']:.2f}")
        print(f"| {w} | " + " | ".join(cells) + " |")
