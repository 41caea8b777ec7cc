#!/usr/bin/env bash
# The GPU proof (issue 18) in one run on the GPU machine (../shared/device/README.md):
#
#   here:   scripts/gpu-check.sh --stage
#           builds build-gpu for sm_90 (tests, the GPU benchmarks, the tandem tool, the parity
#           dump, the Python package for the GPU machine's Python 3.12) and stages its
#           binaries and libraries in .gpu/ (../shared/device/stage.sh)
#   there:  scripts/gpu-check.sh [OUT]            (the device tool's run, carry [".gpu"])
#           OUT defaults to $OUT, else gpu-check-out; every phase writes there
#
# Phases, each capped in time so that the whole run fits one 10-minute device call
# (PHASES=tests,sanitize,bench,parity,python,analyze picks some; caps in seconds below):
#   gpu       nvidia-smi, the driver, and Tandem's own view (tandem info): no GPU, stop
#   tests     every GPU test with TANDEM_REQUIRE_GPU=1 (a skip is a failure), counts of
#             run, skipped and failed tests from the XML
#   sanitize  compute-sanitizer memcheck, racecheck and synccheck on a subset
#   bench     the GPU benchmarks (SGEMMs and cuBLAS in both math modes, int8, relu and
#             its copy anchors, transfers, dispatch overhead) as JSON, and the kernels
#             the cuBLAS anchors ran (ncu, one launch each)
#   parity    tandem_gpu_parity's outputs against PyTorch (scripts/torch_parity.py)
#   python    the Python package on CUDA torch tensors (scripts/python_gpu_check.py)
#   analyze   tandem analyze and tandem calibrate for the GPU
# OUT gets at most 8 files (what the device tool brings back): summary.txt, check.log,
# tests.xml, bench.json, parity.json, python.json, profile.json, report.tar.gz.
#
# Without a GPU (here, or a driver too old for the CUDA runtime) it stops after the
# first phase with exit status 2 and the reason.
set -uo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
stage=$repo/.gpu

# The GPU machine's Python is 3.12 (with PyTorch and NumPy): the Python package is built
# for it here, with a 3.12 found here (GPU_PYTHON, else python3.12, else pyenv's).
find_python312() {
  local candidate
  for candidate in "${GPU_PYTHON:-}" python3.12 "$(pyenv root 2>/dev/null)"/versions/3.12*/bin/python3.12; do
    [[ -n $candidate ]] && "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 12)' \
      2>/dev/null && { echo "$candidate"; return 0; }
  done
  return 1
}

if [[ ${1:-} == --stage ]]; then
  set -e
  python_args=(-DTANDEM_BUILD_PYTHON=OFF)
  python_target=()
  if python312=$(find_python312); then
    venv=$repo/build-py312  # outside build-gpu: stage.sh would carry its libraries
    [[ -x $venv/bin/python ]] || "$python312" -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check \
      $(grep -E '^(nanobind|numpy|pytest)==' "$repo/python/requirements.txt")
    python_args=(-DTANDEM_BUILD_PYTHON=ON "-DPython_EXECUTABLE=$venv/bin/python")
    python_target=(_tandem)
  else
    echo "gpu-check: no Python 3.12 here: the Python package is not staged"
  fi
  cmake -S "$repo" -B "$repo/build-gpu" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CUDA_ARCHITECTURES=90 -DTANDEM_CUDA=ON "${python_args[@]}"
  cmake --build "$repo/build-gpu" --target tandem_tests tandem_gpu_bench tandem_cli tandem_gpu_parity \
    "${python_target[@]}"
  stage_script=$repo/../shared/device/stage.sh
  [[ -x $stage_script ]] || { echo "gpu-check: no $stage_script to stage with" >&2; exit 1; }
  # stage.sh takes every executable and library under the folder it is given: only these.
  picked=$repo/build-gpu/picked
  rm -rf "$picked" && mkdir -p "$picked"
  cp "$repo/build-gpu/"{tandem_tests,tandem_gpu_bench,tandem,tandem_gpu_parity} "$picked/"
  "$stage_script" "$picked" "$stage"
  # tandem analyze finds its plot script beside its bin/, as in an install tree.
  mkdir -p "$stage/share/tandem"
  cp "$repo/analyzer/plots/plot_report.py" "$stage/share/tandem/"
  if ((${#python_target[@]})); then
    mkdir -p "$stage/python"
    cp -r "$repo/build-gpu/python/tandem" "$stage/python/"
  fi
  # CMake's test files and the libraries' build folders are not needed there.
  du -sh "$stage"
  exit 0
fi

out=${1:-${OUT:-$repo/gpu-check-out}}
mkdir -p "$out"
work=$(mktemp -d)
log=$out/check.log
summary=$out/summary.txt
: >"$summary"
exec > >(tee -a "$log") 2>&1

# The caps add up to 585 s, under the device tool's 600 s per command (most phases take
# far less than their cap).
cap_tests=${CAP_TESTS:-90}
cap_sanitizer=${CAP_SANITIZER:-45}  # each of three tools
cap_bench=${CAP_BENCH:-100}
cap_ncu=${CAP_NCU:-15}  # each of three
cap_parity=${CAP_PARITY:-40}  # each of the dump and the comparison
cap_analyze=${CAP_ANALYZE:-60}
cap_calibrate=${CAP_CALIBRATE:-45}
cap_python=${CAP_PYTHON:-30}
phases=${PHASES:-tests,sanitize,bench,parity,python,analyze}
gpu_tests='*Gpu*:*Cuda*:*Parity*'
# Under the sanitizers (10-100x slower): the kernels' own tests, not the largest sizes.
sanitized_tests='CudaElementwiseGpu.*:CudaReduceGpu.*:CudaQuantizeGpu.*:*CudaIgemmParity*:*CudaSgemmParity*:CudaSgemmTiledConfig.*:-*4096*:*Large*'

say() { echo "gpu-check: $*"; }
record() { echo "$*" | tee -a "$summary"; }
wanted() { [[ ",$phases," == *",$1,"* ]]; }
# run_capped SECONDS NAME COMMAND...: runs it, records its status and time.
run_capped() {
  local cap=$1 name=$2 t0 rc
  shift 2
  say "=== $name (cap ${cap}s): $*"
  t0=$(date +%s)
  timeout -k 5 "$cap" "$@"
  rc=$?
  local took=$(($(date +%s) - t0))
  if ((rc == 124 || rc == 137)); then
    record "$name: TIMED OUT after ${took}s (cap ${cap}s)"
  elif ((rc == 0)); then
    record "$name: ok (${took}s)"
  else
    record "$name: FAILED, exit $rc (${took}s)"
  fi
  return "$rc"
}

if [[ -f $stage/env.sh ]]; then
  # shellcheck disable=SC1091
  source "$stage/env.sh"
else
  say "no $stage/env.sh: using binaries from PATH or build-gpu"
  export PATH="$repo/build-gpu:$repo/build-gpu/tests:$PATH"
fi

# --- gpu: is there one, and does Tandem see it?
say "$(date -u +%FT%TZ) on $(hostname), HEAD $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?')"
# REHEARSE=1 goes on without a GPU, so that every phase's commands and the summary are
# exercised here (their GPU parts fail, as they must).
no_gpu() {
  record "gpu: $1"
  if [[ ${REHEARSE:-0} == 1 ]]; then
    record "gpu: REHEARSE=1: going on without a GPU"
    return 0
  fi
  exit 2
}
if ! command -v nvidia-smi >/dev/null 2>&1; then
  tandem info 2>&1 | grep -iE 'gpu|cuda' | head -5
  no_gpu "no nvidia-smi on this machine: no NVIDIA driver, no GPU"
fi
if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi || true
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv |
    tee -a "$summary"
fi
if ! tandem info >"$work/info.txt" 2>&1; then
  cat "$work/info.txt"
  no_gpu "tandem info failed"
fi
cat "$work/info.txt"
# tandem info's GPU section reads "  none: <why>" when the runtime sees no device.
if grep -qE '^  none: ' "$work/info.txt"; then
  no_gpu "Tandem sees no GPU: $(grep -E '^  none: ' "$work/info.txt" | head -1 | sed 's/^  none: //')"
fi
status=0

# --- tests: every GPU test, a skip counted as a failure
if wanted tests; then
  TANDEM_REQUIRE_GPU=1 run_capped "$cap_tests" tests \
    tandem_tests --gtest_filter="$gpu_tests" --gtest_output="xml:$out/tests.xml" || status=1
  if [[ -f $out/tests.xml ]]; then
    python3 - "$out/tests.xml" <<'PY' | tee -a "$summary"
import sys, xml.etree.ElementTree as ET
cases = ET.parse(sys.argv[1]).getroot().iter("testcase")
run = skipped = failed = 0
for c in cases:
    if c.get("result") == "skipped" or c.find("skipped") is not None:
        skipped += 1
    else:
        run += 1
    if c.find("failure") is not None:
        failed += 1
print(f"tests: {run} run, {skipped} skipped, {failed} failed (TANDEM_REQUIRE_GPU=1)")
PY
  fi
fi

# --- sanitize: memcheck, racecheck, synccheck on the kernels' own tests
if wanted sanitize; then
  if command -v compute-sanitizer >/dev/null 2>&1; then
    for tool in memcheck racecheck synccheck; do
      run_capped "$cap_sanitizer" "compute-sanitizer $tool" \
        compute-sanitizer --tool "$tool" --error-exitcode 99 --print-limit 20 \
        tandem_tests --gtest_filter="$sanitized_tests" --gtest_brief=1 || status=1
    done
  else
    record "sanitize: no compute-sanitizer on this machine"
    status=1
  fi
fi

# --- bench: the GPU benchmarks, JSON
if wanted bench; then
  run_capped "$cap_bench" bench tandem_gpu_bench \
    --benchmark_filter='cuda|cublas|dp4a|transfer' \
    --benchmark_out="$out/bench.json" --benchmark_out_format=json || status=1
  # Which kernels the anchors ran: ncu on one launch of each (cuBLAS picks per problem).
  if command -v ncu >/dev/null 2>&1; then
    for anchor in 'matmul/i8/cuda.cublas/' 'matmul/f32/cuda.cublas/4096' \
      'matmul/f32/cuda.cublas.default_math/4096'; do
      run_capped "$cap_ncu" "ncu $anchor" ncu --launch-skip 3 --launch-count 1 \
        --section LaunchStats tandem_gpu_bench --benchmark_filter="$anchor" >"$work/ncu.txt" 2>&1
      grep -E '^  [A-Za-z_].*\(' "$work/ncu.txt" | head -2 | sed "s|^|kernel of $anchor: |" |
        tee -a "$summary"
    done
  else
    record "bench: no ncu here: the anchors' kernel names are not recorded"
  fi
fi

# --- parity: Tandem's GPU outputs against PyTorch's, same inputs, same GPU
if wanted parity; then
  if run_capped "$cap_parity" "parity dump" tandem_gpu_parity "$work/parity"; then
    run_capped "$cap_parity" "parity vs PyTorch" \
      python3 "$repo/scripts/torch_parity.py" "$work/parity" --json "$out/parity.json" || status=1
  else
    status=1
  fi
fi

# --- python: the Python package with CUDA torch tensors (DLPack in and out)
if wanted python; then
  if [[ -d $stage/python/tandem ]]; then
    PYTHONPATH=$stage/python run_capped "$cap_python" python \
      python3 "$repo/scripts/python_gpu_check.py" --json "$out/python.json" || status=1
  else
    record "python: no package staged in $stage/python (no Python 3.12 where it was staged)"
  fi
fi

# --- analyze: the analyzer's GPU report and the calibration profile
if wanted analyze; then
  # Its plots need matplotlib, which the GPU machine may lack: the report itself counts.
  if ! run_capped "$cap_analyze" analyze tandem analyze --quick --device cuda:0 \
    --output "$work/report"; then
    if [[ -f $work/report/report.json ]]; then
      record "analyze: report.json written; only the plots failed (see plots.log)"
    else
      status=1
    fi
  fi
  run_capped "$cap_calibrate" calibrate tandem calibrate --quick --device cuda:0 \
    --output "$out/profile.json" || status=1
  [[ -d $work/report ]] && tar -czf "$out/report.tar.gz" -C "$work" report
fi

record "gpu-check: $( ((status == 0)) && echo PASS || echo FAIL)"
rm -rf "$work"
exit "$status"
