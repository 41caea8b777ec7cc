#!/usr/bin/env bash
# Installs a build tree into a fresh prefix, moves the prefix (the package must be
# relocatable), then builds and runs examples/consumer against it twice: through
# find_package(Tandem) and through pkg-config. Usage: scripts/check-install.sh BUILD_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
build=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cmake --install "$build" --prefix "$work/installed" >/dev/null
mv "$work/installed" "$work/moved"
prefix="$work/moved"

echo "check-install: find_package(Tandem) from $build"
cmake -S examples/consumer -B "$work/consumer" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/consumer" >/dev/null
"$work/consumer/tandem_consumer"

echo "check-install: pkg-config tandem from $build"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
# shellcheck disable=SC2046  # pkg-config output is a list of flags
g++ -std=c++20 examples/consumer/main.cpp -o "$work/pc_consumer" $(pkg-config --cflags --libs tandem)
"$work/pc_consumer" 2>/dev/null

echo "check-install: the installed tandem command (and its plot script) from $build"
"$prefix/bin/tandem" --version
(cd "$work" && "$prefix/bin/tandem" analyze --quick --output "$work/report" >/dev/null 2>"$work/analyze.log") ||
  { cat "$work/analyze.log" >&2; exit 1; }
plots=$(grep -c '\.png$' "$work/report/plots.log" || true)
if ((plots < 5)); then
  echo "check-install: the installed tandem drew $plots plots, not 5:" >&2
  cat "$work/report/plots.log" >&2
  exit 1
fi
echo "check-install: tandem analyze --quick from the moved prefix wrote $plots plots"
