#!/usr/bin/env bash
# Installs what Tandem needs to build, test and benchmark, from Debian's packages
# only. Idempotent: installs only what is missing, and touches nothing otherwise.
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config
  libgtest-dev libgmock-dev libbenchmark-dev
  libspdlog-dev libfmt-dev libcpuinfo-dev nlohmann-json3-dev libcli11-dev
  libopenblas-dev libdnnl-dev libblis-dev  # benchmark anchors only
  python3-matplotlib python3-jsonschema  # the analyzer's plots, its report's schema test
  clang libclang-rt-dev libomp-dev  # the libFuzzer harnesses (fuzz preset)
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

# The CUDA toolkit (nvcc, cuBLAS, Thrust) is not a Debian package here: it is used
# when present and the CUDA half is skipped otherwise (TANDEM_CUDA=AUTO).
if command -v nvcc >/dev/null 2>&1 || [[ -x /usr/local/cuda/bin/nvcc ]]; then
  echo "setup: CUDA toolkit found: the CUDA kernels will be built"
else
  echo "setup: no CUDA toolkit: building the CPU half only"
fi
