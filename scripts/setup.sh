#!/usr/bin/env bash
# Installs what is missing (Debian packages), configures and builds dsgd in ./build.
# Sourced by run-seed and run-tests; safe to run again (only missing packages are installed,
# the build is incremental).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

source scripts/packages.sh
install_missing "${dsgd_packages[@]}"

# ccache (kept in ~/.cache/ccache between builds and runs on this machine): a rebuild of what
# did not change, in any folder, costs no compile.
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER_LAUNCHER=ccache >/dev/null
cmake --build build --parallel

# `import dsgd` in Debian's python3: a .pth file in its site directory names build/python (this
# checkout's module; run again from another checkout to point it there).
if [[ -d build/python/dsgd ]]; then
  site=$(/usr/bin/python3 -c 'import site; print(site.getsitepackages()[0])')
  pth="$site/dsgd-build.pth"
  if [[ "$(cat "$pth" 2>/dev/null)" != "$PWD/build/python" ]]; then
    [[ $(id -u) -eq 0 ]] && sudo="" || sudo="sudo"
    $sudo mkdir -p "$site" && echo "$PWD/build/python" | $sudo tee "$pth" >/dev/null
    echo "dsgd setup: /usr/bin/python3 imports dsgd from $PWD/build/python ($pth)"
  fi
fi
