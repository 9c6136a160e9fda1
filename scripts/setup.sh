#!/usr/bin/env bash
# Installs what is missing (Debian packages), configures and builds dsgd in ./build.
# Sourced by run-seed and run-tests; safe to run again (only missing packages are installed,
# the build is incremental).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

source scripts/packages.sh
install_missing "${dsgd_packages[@]}"

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build --parallel
