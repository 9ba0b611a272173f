#!/bin/bash
# Regenerates the function order lld lays out each stage0 executable's code in (Package.swift,
# `rktOrder`): stage0/rkt/rkt.order for `rkt` (run, prepare, run-prepared) and
# stage0/rkt-full/rkt.order for `rkt-full` (the other commands). Run as root after `make`
# (release): `make order`.
#
# Why: a first command touches thousands of functions spread over megabytes of text; each code
# fault maps the whole page-cache folio around it, so much of the text ended up resident (12 MB
# of a 20 MB peak RSS when stage0 was one binary). Listing the functions that the common
# commands execute first puts them side by side (docs/performance.md). A stale list only costs
# locality: lld ignores names it no longer finds.
#
# How: valgrind's callgrind runs the unstripped release binaries (debug info removed, which
# valgrind cannot read), in a data dir of their own: `rkt` for run (fly and full stage1, up to
# the stage1 exec), prepare and run-prepared; `rkt-full` for list, status, gc, image list, fetch
# and version. The executed functions of each binary, in that order of commands, are its list.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
SCRATCH=${SCRATCH:-$REPO/.build}
BIN=${BIN:-$REPO/build/bin}
command -v valgrind >/dev/null || { echo "profile-order: valgrind is needed (apt-get install valgrind)" >&2; exit 1; }
for b in rkt rkt-full; do
  [ -x "$SCRATCH/release/$b" ] || { echo "profile-order: no release build of $b in $SCRATCH/release (run make)" >&2; exit 1; }
done

T=$(mktemp -d /var/tmp/rkt-order.XXXXXX)
R=$T/bin/rkt-full
F=(--dir="$T/data" --local-config="$T/cfg" --system-config="$T/cfg" --user-config="$T/cfg" --insecure-options=image)
cleanup() {
  set +e
  [ -x "$R" ] && "$R" "${F[@]}" gc --grace-period=0s >/dev/null 2>&1
  rm -rf "$T"
}
trap cleanup EXIT

# The binary under test sits next to the stage1 images, as the trusted default location.
mkdir -p "$T/bin" "$T/cfg" "$T/cg/rkt" "$T/cg/rkt-full"
strip --strip-debug -o "$R" "$SCRATCH/release/rkt-full"
strip --strip-debug -o "$T/bin/rkt" "$SCRATCH/release/rkt"
cp "$BIN/stage1.aci" "$BIN/stage1-fly.aci" "$T/bin/"
"$REPO/scripts/build-demo-aci.sh" "$T/demo.aci" >/dev/null
ID=$("$R" "${F[@]}" fetch "$T/demo.aci")
# Warm the store: the stage1 imports are one-time work, not the path to optimise.
"$R" "${F[@]}" run --stage1-path="$T/bin/stage1-fly.aci" "$ID" --exec=/bin/true >/dev/null
"$R" "${F[@]}" run --stage1-path="$T/bin/stage1.aci" --net=host "$ID" --exec=/bin/true >/dev/null

n=0
# profile BINARY ARGS…: one callgrind run of $T/bin/BINARY into $T/cg/BINARY/.
profile() {
  local bin=$1
  shift
  n=$((n + 1))
  # --dump-before: `rkt run` ends in execve (RktOS.Exec.execve), where callgrind would lose it.
  valgrind --tool=callgrind --demangle=no --compress-strings=no --compress-pos=no \
    --trace-children=no '--dump-before=$s5RktOS4ExecO6execve*' \
    --callgrind-out-file="$T/cg/$bin/$(printf %02d $n)" "$T/bin/$bin" "${F[@]}" "$@" >/dev/null 2>&1 || true
}
profile rkt run --stage1-path="$T/bin/stage1-fly.aci" "$ID" --exec=/bin/true
profile rkt run --stage1-path="$T/bin/stage1.aci" --net=host "$ID" --exec=/bin/true
profile rkt prepare --stage1-path="$T/bin/stage1-fly.aci" "$ID"
profile rkt run-prepared "$("$R" "${F[@]}" prepare --quiet --stage1-path="$T/bin/stage1-fly.aci" "$ID" --exec=/bin/true)"
profile rkt-full list
profile rkt-full status "$("$R" "${F[@]}" list --no-legend --full | awk 'NR==1{print $1}')"
profile rkt-full gc --grace-period=0s
profile rkt-full image list
profile rkt-full fetch "$T/demo.aci"
profile rkt-full version

# Function names of each binary's object, first appearance first; callgrind marks recursion
# levels with 'N, and names unknown symbols by address.
for b in rkt rkt-full; do
  OUT=$REPO/stage0/$b/rkt.order
  python3 - "$T/bin/$b" "$T"/cg/$b/* > "$OUT.tmp" <<'EOF'
import sys, re
binary, files = sys.argv[1], sorted(sys.argv[2:])
seen, order = set(), []
for path in files:
    ob = None
    for line in open(path, errors="replace"):
        if line.startswith("ob="):
            ob = line[3:].strip()
        elif line.startswith("fn=") and ob == binary:
            name = re.sub(r"'\d+$", "", line[3:].strip())
            if name and not name.startswith("0x") and name not in seen:
                seen.add(name)
                order.append(name)
print("\n".join(order))
EOF
  [ "$(wc -l < "$OUT.tmp")" -gt 1000 ] || { echo "profile-order: too few functions profiled ($OUT.tmp)" >&2; exit 1; }
  mv "$OUT.tmp" "$OUT"
  echo "profile-order: $(wc -l < "$OUT") functions in $OUT"
done
