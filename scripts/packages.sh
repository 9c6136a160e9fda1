# Sourced by the scripts: the Debian packages a dsgd build needs (dsgd_packages), and
# install_missing, which installs those of its arguments that are not installed yet (apt-get
# update only then; sudo unless root). Safe to run again.
dsgd_packages=(g++ cmake ninja-build ccache libcli11-dev libfmt-dev nlohmann-json3-dev libhwy-dev zlib1g-dev libxxhash-dev
               libgtest-dev libgmock-dev libbenchmark-dev libopenmpi-dev openmpi-bin help2man python3 python3-jsonschema
               liblinear-tools iproute2 procps pybind11-dev python3-dev python3-numpy python3-scipy python3-sklearn python3-pytest gnuplot-nox)
# clang 14 with libFuzzer and its sanitizer runtimes, and llvm-symbolizer for the reports' stacks.
dsgd_fuzz_packages=(clang-14 libclang-rt-14-dev llvm-14)

# ccache (in every build: setup.sh and the presets) keeps what it compiled in ~/.cache/ccache;
# paths under this checkout are hashed relative to it, so another clone of it hits the cache too.
export CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=1

install_missing() {
  local missing=() p sudo=""
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  echo "dsgd setup: installing ${missing[*]}"
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
