#!/bin/bash
# Regenerates stage0/rkt-full/rkt.order, the function order lld lays rkt-full's code out in (Package.swift,
# releaseLink). Run as root after `make` (release): `make order`.
#
# Why: a first `rkt run` touches ~4,000 of rkt's functions, spread over 26 MB of text; each code
# fault maps the whole page-cache folio around it, so half the text ended up resident (12 MB of a
# 20 MB peak RSS). Listing the functions that the common commands execute first puts them side
# by side (docs/performance.md). A stale list only costs locality: lld ignores names it no
# longer finds.
#
# How: valgrind's callgrind runs the unstripped release binary (debug info removed, which
# valgrind cannot read) for run (fly and full stage1, up to the stage1 exec), prepare, list,
# status, gc, image list, fetch and version, in a data dir of its own; the executed functions of
# rkt, in that order of commands, are the list.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
SCRATCH=${SCRATCH:-$REPO/.build}
BIN=${BIN:-$REPO/build/bin}
OUT=${OUT:-$REPO/stage0/rkt-full/rkt.order}
command -v valgrind >/dev/null || { echo "profile-order: valgrind is needed (apt-get install valgrind)" >&2; exit 1; }
[ -x "$SCRATCH/release/rkt-full" ] || { echo "profile-order: no release build in $SCRATCH/release (run make)" >&2; exit 1; }

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
mkdir -p "$T/bin" "$T/cfg" "$T/cg"
strip --strip-debug -o "$R" "$SCRATCH/release/rkt-full"
cp "$BIN/stage1.aci" "$BIN/stage1-fly.aci" "$T/bin/"
"$REPO/scripts/build-demo-aci.sh" "$T/demo.aci" >/dev/null
ID=$("$R" "${F[@]}" fetch "$T/demo.aci")
# Warm the store: the stage1 imports are one-time work, not the path to optimise.
"$R" "${F[@]}" run --stage1-path="$T/bin/stage1-fly.aci" "$ID" --exec=/bin/true >/dev/null
"$R" "${F[@]}" run --stage1-path="$T/bin/stage1.aci" --net=host "$ID" --exec=/bin/true >/dev/null

n=0
profile() {
  n=$((n + 1))
  # --dump-before: `rkt run` ends in execve (RktOS.Exec.execve), where callgrind would lose it.
  valgrind --tool=callgrind --demangle=no --compress-strings=no --compress-pos=no \
    --trace-children=no '--dump-before=$s5RktOS4ExecO6execve*' \
    --callgrind-out-file="$T/cg/$(printf %02d $n)" "$R" "${F[@]}" "$@" >/dev/null 2>&1 || true
}
profile run --stage1-path="$T/bin/stage1-fly.aci" "$ID" --exec=/bin/true
profile run --stage1-path="$T/bin/stage1.aci" --net=host "$ID" --exec=/bin/true
profile prepare --stage1-path="$T/bin/stage1-fly.aci" "$ID"
profile list
profile status "$("$R" "${F[@]}" list --no-legend --full | awk 'NR==1{print $1}')"
profile gc --grace-period=0s
profile image list
profile fetch "$T/demo.aci"
profile version

# Function names of the rkt object, first appearance first; callgrind marks recursion
# levels with 'N, and names unknown symbols by address.
python3 - "$R" "$T"/cg/* > "$OUT.tmp" <<'EOF'
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
