#!/usr/bin/env bash
# Builds the libFuzzer harnesses (the fuzz preset: clang, ASan + UBSan) and runs each
# for a bounded time on a copy of its corpus. A crash, a sanitizer report or a
# mismatch against the reference fails; the input is left in fuzz-artifacts/ to be
# added to fuzz/regressions/<harness>/. Usage: scripts/fuzz.sh [SECONDS_EACH]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
cmake --preset fuzz >/dev/null && cmake --build --preset fuzz
mkdir -p fuzz-artifacts
# Allocations past 1 GiB fail (null, then Tandem's DeviceError) instead of ASan aborting
# or libFuzzer's 2 GiB malloc limit calling them a crash: the harnesses ask for
# tensors no machine has, on purpose.
export ASAN_OPTIONS="allocator_may_return_null=1:max_allocation_size_mb=1024"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for harness in gemm quantize profile; do
  mkdir -p "$work/$harness"
  cp fuzz/corpus/$harness/* "$work/$harness/"
  cp fuzz/regressions/$harness/* "$work/$harness/" 2>/dev/null || true
  echo "fuzz: $harness for ${seconds}s"
  build/fuzz/fuzz_$harness -max_total_time="$seconds" -artifact_prefix=fuzz-artifacts/$harness- \
    -print_final_stats=1 "$work/$harness" 2>"$work/$harness.log" || {
    tail -40 "$work/$harness.log"
    echo "fuzz: $harness FAILED; the input is in fuzz-artifacts/" >&2
    exit 1
  }
  grep -E "^Done|stat::number_of_executed_units" "$work/$harness.log" | sed "s/^/fuzz: $harness: /"
done
