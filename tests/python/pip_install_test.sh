#!/usr/bin/env bash
# `pip install --no-build-isolation .` offline (no index: only what Debian installed), into a
# fresh folder; the module it installs imports from there and fits.
set -euo pipefail
source_dir=$1
python=${2:-/usr/bin/python3}
target=$(mktemp -d "${TMPDIR:-/tmp}/dsgd_pip_XXXXXX")
trap 'rm -rf "$target"' EXIT
cd "$source_dir"
"$python" -m pip install --quiet --no-build-isolation --no-deps --no-index --target "$target" . 2>&1 |
  grep -v "Running pip as the 'root' user" || true
cd "$target"
PYTHONPATH=$target "$python" - <<'PY'
import numpy as np
import dsgd
assert dsgd.__file__.startswith(__import__("os").getcwd()), dsgd.__file__
X = np.random.default_rng(0).normal(size=(2000, 5))
y = (X[:, 0] > 0).astype(int)
assert dsgd.SGDLogisticRegression().fit(X, y).score(X, y) > 0.95
print("pip-installed dsgd", dsgd.__version__, "fits from", dsgd.__file__)
PY
