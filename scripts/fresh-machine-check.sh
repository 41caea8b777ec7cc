#!/usr/bin/env bash
# Proves README.md's "Quick start" works on a fresh Debian 12 machine: builds a
# minimal bookworm root with debootstrap, clones this repository's committed HEAD
# into it, chroots in and runs the README's two commands exactly as written.
#
# - The root is `debootstrap --variant=minbase` plus git and ca-certificates (what a
#   user needs to clone) and procps (every cloud image has it). Other things a cloud
#   image carries (python3 through cloud-init, curl, sudo, openssh) are left out on
#   purpose, so a package missing from scripts/setup.sh cannot hide behind them.
#   Commands run as root, so setup.sh needs no sudo.
# - Apt sources are the host's: the mirror of its bookworm entry, plus
#   bookworm-updates and bookworm-security where the host has them. So is the way out
#   to the network: DNS, the CA certificates the host adds (a TLS-intercepting egress
#   proxy's) and /etc/pip.conf, which setup.sh's pip needs to reach PyPI through it.
# - CPU half only: the CUDA toolkit is not a Debian package, so the root has no nvcc
#   and the release preset's TANDEM_CUDA=AUTO builds without CUDA (the GPU tests
#   report Skipped). The CUDA half is not checked here.
# - Only committed work is checked (git clone of HEAD); uncommitted changes are not.
#
# Usage: scripts/fresh-machine-check.sh      (as root; needs network and ~5 GB)
#   FRESH_CHECK_DIR=DIR   where the temporary root goes (default /var/tmp)
#   KEEP_ROOT=1           keep the root afterwards, for debugging
#   DEBOOTSTRAP_CACHE=DIR reuse downloaded .debs between runs (debootstrap --cache-dir)
#   LOG=FILE              the full log (default beside the root)
# shellcheck disable=SC2317  # cleanup, summary and in_root are called indirectly
set -euo pipefail

repo=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
suite=bookworm
base_dir=${FRESH_CHECK_DIR:-/var/tmp}
stamp=$(date +%Y%m%d-%H%M%S)
log=${LOG:-$base_dir/tandem-fresh-check-$stamp.log}
work=""     # the temporary folder; holds the root
root=""     # the debootstrapped root
mounts=()   # what we mounted, in order, for the trap to undo
child=""    # the running phase's process group
phase_t0=0  # when the running phase began
declare -A phase_s=()
phases=()
ctest_summary=""
start=$(date +%s)

if [[ $(id -u) -ne 0 ]]; then
  echo "fresh-machine-check: must run as root (debootstrap, mount, chroot)" >&2
  exit 2
fi

# Everything goes to the terminal and the log; tee ignores Ctrl-C so the trap's
# cleanup messages still reach the log.
mkdir -p "$(dirname "$log")"
exec > >(trap '' INT TERM; exec tee -a "$log") 2>&1
tee_pid=$!

say() { echo "fresh-machine-check: $*"; }

summary() { # exit status: prints the phases' times, the ctest line and the verdict
  local p skipped=0
  [[ -f $work/command2.out ]] && skipped=$(grep -c '(Skipped)' "$work/command2.out")
  echo
  say "summary (HEAD $(git -C "$repo" rev-parse --short HEAD), CPU half only)"
  for p in "${phases[@]}"; do
    if [[ -n ${phase_s[$p]:-} ]]; then
      printf '  %-12s %s\n' "$p" "$(fmt "${phase_s[$p]}")"
    else
      printf '  %-12s %s\n' "$p" "interrupted after $(fmt $(($(now) - phase_t0)))"
    fi
  done
  printf '  %-12s %s (whole script)\n' total "$(fmt $(($(now) - start)))"
  echo "  ctest: ${ctest_summary:-no ctest summary line}; skipped: $skipped"
  if (($1 == 0)); then echo "  result: PASS"; else echo "  result: FAIL (exit $1)"; fi
}

cleanup() {
  local rc=$?
  set +e
  if [[ -n $child ]]; then
    kill -TERM -- "-$child" 2>/dev/null
    sleep 2
  fi
  summary "$rc"
  if [[ -n $root ]]; then
    # Processes still running inside the root (after an interrupt) would keep the
    # mounts busy: end them, by pid.
    local p
    for p in /proc/[0-9]*; do
      if [[ $(readlink "$p/root" 2>/dev/null) == "$root" ]]; then
        kill "${p#/proc/}" 2>/dev/null
      fi
    done
    local i
    for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
      umount "${mounts[i]}" 2>/dev/null || umount -l "${mounts[i]}"
    done
    # Never delete while anything is still mounted below the root: rm would reach
    # into the host's /dev or /sys.
    if awk -v r="$root" '$5 == r || index($5, r "/") == 1 { found = 1 } END { exit !found }' \
      /proc/self/mountinfo; then
      say "WARNING: mounts remain under $root; not deleting it"
    elif [[ ${KEEP_ROOT:-0} == 1 ]]; then
      say "KEEP_ROOT=1: root kept at $root (chroot $root /bin/bash)"
    else
      rm -rf --one-file-system "$work"
    fi
  fi
  say "full log: $log"
  # Let tee drain before the shell returns.
  exec >&- 2>&-
  wait "$tee_pid" 2>/dev/null
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

now() { date +%s; }
fmt() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

# --- the README's commands: exactly two lines starting with "./scripts/setup.sh &&"
mapfile -t commands < <(grep -E '^\./scripts/setup\.sh &&' "$repo/README.md" || true)
if ((${#commands[@]} != 2)); then
  say "expected exactly 2 Quick start commands in README.md, found ${#commands[@]}"
  exit 1
fi

# --- the host's apt sources, as "URI SUITE COMPONENTS" lines (deb822 and one-line)
host_sources() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -e $f ]] || continue
    awk '
      function flush() {
        if (types ~ /(^| )deb( |$)/ && enabled != "no")
          for (i = 1; i <= nu; i++) for (j = 1; j <= ns; j++) print u[i], s[j], comps
        types = ""; enabled = ""; comps = ""; nu = 0; ns = 0
      }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      { key = tolower($1); sub(/:$/, "", key); $1 = ""; sub(/^ +/, "") }
      key == "types" { types = $0 }
      key == "enabled" { enabled = tolower($0) }
      key == "uris" { nu = split($0, u, " ") }
      key == "suites" { ns = split($0, s, " ") }
      key == "components" { comps = $0 }
      END { flush() }' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -e $f ]] || continue
    sed -E -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" |
      awk '$1 == "deb" && NF >= 4 { c = $4; for (i = 5; i <= NF; i++) c = c " " $i; print $2, $3, c }'
  done
}
mapfile -t sources < <(host_sources | awk -v s="$suite" '$2 == s || $2 == s "-updates" || $2 == s "-security"' | sort -u)
mirror="" components=""
for line in "${sources[@]}"; do
  read -r uri s comps <<<"$line"
  if [[ $s == "$suite" && -z $mirror ]]; then mirror=$uri components=$comps; fi
done
if [[ -z $mirror ]]; then
  say "no '$suite' entry in the host's apt sources; cannot pick a mirror"
  exit 1
fi

# --- debootstrap, if missing
if ! command -v debootstrap >/dev/null; then
  say "installing debootstrap"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap
fi

mkdir -p "$base_dir"
work=$(mktemp -d "$base_dir/tandem-fresh.XXXXXX")
root=$work/root
say "log: $log"
say "root: $root"
say "mirror: $mirror ($suite, ${components// /,})"
say "checking the committed HEAD $(git -C "$repo" rev-parse --short HEAD) of $repo"
if [[ -n $(git -C "$repo" status --porcelain --untracked-files=no) ]]; then
  say "NOTE: the work tree has uncommitted changes; they are NOT part of this check"
fi

run_phase() { # name, command...: times a phase and records it
  local name=$1 t0 rc=0
  shift
  phases+=("$name")
  say "=== $name"
  t0=$(now) phase_t0=$t0
  # In its own process group, waited for in the background: a trapped INT/TERM
  # interrupts `wait` at once (not after the phase), and the trap ends the group.
  setsid "$@" &
  child=$!
  wait "$child" || rc=$?
  child=""
  phase_s[$name]=$(($(now) - t0))
  say "=== $name: exit $rc after $(fmt "${phase_s[$name]}")"
  return "$rc"
}

# --- 1. the root
debootstrap_args=(--variant=minbase "--include=git,ca-certificates,procps"
  "--components=${components// /,}")
if [[ -n ${DEBOOTSTRAP_CACHE:-} ]]; then
  mkdir -p "$DEBOOTSTRAP_CACHE"
  debootstrap_args+=("--cache-dir=$(realpath "$DEBOOTSTRAP_CACHE")")
fi
run_phase debootstrap debootstrap "${debootstrap_args[@]}" "$suite" "$root" "$mirror"

# The host's Debian entries (bookworm, -updates, -security), nothing third-party.
: >"$root/etc/apt/sources.list"
for line in "${sources[@]}"; do
  read -r uri s comps <<<"$line"
  echo "deb $uri $s $comps" >>"$root/etc/apt/sources.list"
done
say "root's apt sources:"
sed 's/^/  /' "$root/etc/apt/sources.list"
cp -L /etc/resolv.conf "$root/etc/resolv.conf"  # DNS for setup.sh's apt-get
# No service may start inside the chroot during apt-get install.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod +x "$root/usr/sbin/policy-rc.d"

# --- 2. the clone (committed HEAD only)
git clone --quiet --no-local "$repo" "$root/src/tandem"

# --- 3. the chroot's file systems
mount_in() { # type-or-bind, source, target below the root
  mkdir -p "$root$3"
  if [[ $1 == bind ]]; then mount --bind "$2" "$root$3"; else mount -t "$1" "$2" "$root$3"; fi
  mounts+=("$root$3")
}
mount_in proc proc /proc
mount_in sysfs sysfs /sys
mount_in bind /dev /dev
mount_in bind /dev/pts /dev/pts
mount_in tmpfs shm /dev/shm  # our own: nothing written here reaches the host's

# The host's way out to the network, as its DNS above: the CA certificates it adds (an
# egress proxy that intercepts TLS, where there is one) and pip's configuration, which
# may point pip at them (setup.sh's pip install of python/requirements.txt from PyPI).
# Nothing else of the host's.
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  mkdir -p "$root/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
  chroot "$root" /usr/sbin/update-ca-certificates >/dev/null
  say "root trusts the host's added CA certificates: $(cd /usr/local/share/ca-certificates && echo *.crt)"
fi
if [[ -f /etc/pip.conf ]]; then
  cp /etc/pip.conf "$root/etc/pip.conf"
  say "root has the host's /etc/pip.conf"
fi

# A function run through setsid needs exporting (with what it reads).
in_root() { # command, output file: runs one README command in the clone, in a clean env
  # shellcheck disable=SC2016  # $1 expands in the inner bash, on purpose
  chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    /bin/bash -c 'cd /src/tandem && exec bash -c "$1"' bash "$1" 2>&1 | tee "$2"
}
export -f in_root
export root

status=0
for i in 0 1; do
  say "command $((i + 1)): ${commands[i]}"
  # Each command's output also goes to its own file, for the summary.
  run_phase "command $((i + 1))" bash -o pipefail -c 'in_root "$@"' bash "${commands[i]}" "$work/command$((i + 1)).out" || status=1
done

# --- 4. the verdict: the ctest summary line must be there (the trap prints it)
ctest_summary=$(grep -E '[0-9]+% tests passed' "$work/command2.out" | tail -1 || true)
[[ -n $ctest_summary ]] || status=1
exit "$status"
