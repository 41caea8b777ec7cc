#!/usr/bin/env bash
# Installs what Tandem needs to build, test and benchmark: the C++ side from Debian's
# packages only, and the Python package's build and test tools (python/requirements.txt:
# nanobind, scikit-build-core, NumPy, pytest) from PyPI into the project's own virtual
# environment .venv, which the CMake build uses. Idempotent: installs only what is
# missing, and touches nothing outside the system's packages and .venv.
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config
  libgtest-dev libgmock-dev libbenchmark-dev
  libspdlog-dev libfmt-dev libcpuinfo-dev nlohmann-json3-dev libcli11-dev
  libopenblas-dev libdnnl-dev libblis-dev  # benchmark anchors only
  python3-matplotlib python3-jsonschema  # the analyzer's plots, its report's schema test
  clang libclang-rt-dev libomp-dev  # the libFuzzer harnesses (fuzz preset)
  python3-dev python3-venv  # the Python package (python/), built against this Python
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: all Debian packages present"
fi

# The Python tools, in .venv (made with Debian's python3, or whichever python3 is first
# on PATH); pip installs nothing that is already there at the pinned version.
repo=$(cd "$(dirname "$0")/.." && pwd)
if [[ ! -x $repo/.venv/bin/python ]]; then
  echo "setup: making the virtual environment $repo/.venv"
  python3 -m venv "$repo/.venv"
fi
if ! "$repo/.venv/bin/python" -m pip install -q --disable-pip-version-check \
  -r "$repo/python/requirements.txt"; then
  echo "setup: pip could not install python/requirements.txt into .venv (is PyPI reachable?)" >&2
  exit 1
fi
echo "setup: .venv has $("$repo/.venv/bin/python" -m pip list --disable-pip-version-check 2>/dev/null |
  awk 'tolower($1) ~ /^(nanobind|scikit[-_]build[-_]core|numpy|pytest|mypy)$/ { printf "%s %s  ", $1, $2 }')"

# The CUDA toolkit (nvcc, cuBLAS, Thrust) is not a Debian package here: it is used
# when present and the CUDA half is skipped otherwise (TANDEM_CUDA=AUTO).
if command -v nvcc >/dev/null 2>&1 || [[ -x /usr/local/cuda/bin/nvcc ]]; then
  echo "setup: CUDA toolkit found: the CUDA kernels will be built"
else
  echo "setup: no CUDA toolkit: building the CPU half only"
fi
