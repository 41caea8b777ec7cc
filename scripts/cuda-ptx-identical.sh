#!/usr/bin/env bash
# Proves a CUDA refactoring changed no kernel without a GPU: compiles every
# cuda/src/*.cu to PTX (sm_90, the build's flags) at git revision REV and in the
# working tree, and compares them with comments, blank lines and the path hash in
# anonymous namespaces' names stripped. Identical PTX is identical code on the GPU. Usage: scripts/cuda-ptx-identical.sh [REV=HEAD]
set -euo pipefail
cd "$(dirname "$0")/.."
rev=${1:-HEAD}
nvcc=${NVCC:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}
work=$(mktemp -d)
trap 'git worktree remove --force "$work/rev" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git worktree add --detach -q "$work/rev" "$rev"
ptx() {  # <source tree> <file.cu> <out>
  "$nvcc" -I"$1/cuda/include" -I"$1/core/include" -O3 -DNDEBUG -arch=sm_90 -std=c++20 -x cu \
    -ptx "$1/cuda/src/$2" -o "$3.raw"
  # Internal names are mangled with a hash of the file's path: one name for both trees.
  grep -v '^\s*//' "$3.raw" | grep -v '^\s*$' |
    sed -E 's/_(INTERNAL|GLOBAL__N_)_[0-9a-f]{8}_/_\1_PATHHASH_/g' > "$3"
}
status=0
for source in cuda/src/*.cu; do
  file=$(basename "$source")
  if [ ! -f "$work/rev/cuda/src/$file" ]; then
    echo "new:       $file (not at $rev)"
    continue
  fi
  ptx "$work/rev" "$file" "$work/before.ptx"
  ptx "$PWD" "$file" "$work/after.ptx"
  if cmp -s "$work/before.ptx" "$work/after.ptx"; then
    echo "identical: $file"
  else
    echo "DIFFERS:   $file ($(diff "$work/before.ptx" "$work/after.ptx" | grep -c '^[<>]') lines)"
    status=1
  fi
done
exit $status
