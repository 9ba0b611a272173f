#!/usr/bin/env bash
# bench/run.sh — rkt (Swift) next to its peers, measured side by side by hyperfine in one run each:
#   1. start-up: `rkt run` with the fly stage1 vs `crun run`, `runc run` and plain `chroot`, all
#      running /bin/true from the same busybox rootfs (no network namespace anywhere);
#   2. image import: `rkt fetch` + `rkt image render` of a ~200 MB gzipped ACI vs `tar -xzf` +
#      `sha512sum` of the same file (what an import fundamentally has to do).
# Results: build/bench/{startup,import}.{md,json}, build/bench/results.md, build/bench/versions.txt.
#
# Usage: bench/run.sh            (as root; `make bench` builds first)
#        RUNS=20 IMPORT_RUNS=5 WARMUP=2 bench/run.sh
# Inputs are kept in $WORK (default /var/tmp/rkt-bench) for re-runs; CLEAN=1 removes them.
# Workarounds from the peer measurements (/work/shared/bench/peers.sh): crun 1.8 refuses cgroup
# "hybrid" mode when the v2 hierarchy has controllers, so on such hosts the start-up comparison
# runs in a private mount namespace without /sys/fs/cgroup/unified (the host is not changed).
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
BIN=${RKT_BUILD_DIR:-$REPO/build/bin}
RES=${RES:-$REPO/build/bench}
WORK=${WORK:-/var/tmp/rkt-bench}
RUNS=${RUNS:-20}
IMPORT_RUNS=${IMPORT_RUNS:-5}
WARMUP=${WARMUP:-2}
CID=rktbench
RKT=$BIN/rkt
STAGE1=$BIN/stage1-fly.aci
ROOTFS=$WORK/rootfs
D=$WORK/data            # rkt data dir for the start-up runs
DI=$WORK/data-import    # rkt data dir for the import runs (fresh every run)
SELF=$(readlink -f "$0")

log() { printf '[bench] %s\n' "$*" >&2; }

cleanup() {
  set +e
  for rt in crun runc; do command -v $rt >/dev/null && $rt delete -f "$CID" >/dev/null 2>&1; done
  [ -x "$RKT" ] && [ -d "$D" ] && "$RKT" --dir="$D" gc --grace-period=0s >/dev/null 2>&1
  [ -x "$RKT" ] && [ -d "$DI" ] && "$RKT" --dir="$DI" gc --grace-period=0s >/dev/null 2>&1
  awk '{print $2}' /proc/mounts | grep -E "^$WORK/" | sort -r | while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m"
  done
  for d in /sys/fs/cgroup/*/"$CID" /sys/fs/cgroup/*/*/*/"$CID"; do [ -d "$d" ] && rmdir "$d" 2>/dev/null; done
  rm -rf "$DI" "$WORK/out-rkt" "$WORK/out-tar" "$WORK/trash"
  [ "${CLEAN:-0}" = 1 ] && rm -rf "$WORK"
  return 0
}

# ---------------------------------------------------------------- inputs
build_inputs() {
  mkdir -p "$WORK"
  if [ ! -x "$ROOTFS/bin/busybox" ]; then
    log "busybox rootfs in $ROOTFS"
    rm -rf "$ROOTFS"
    mkdir -p "$ROOTFS"/{bin,proc,sys,dev,tmp,etc,usr,run}
    cp "$(command -v busybox)" "$ROOTFS/bin/busybox"
    for a in sh true echo; do ln -sf busybox "$ROOTFS/bin/$a"; done
  fi
  if [ ! -f "$WORK/true.aci" ]; then
    mkdir -p "$WORK/aci-true"
    printf '%s' '{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/bench-true","labels":[{"name":"version","value":"1"},{"name":"os","value":"linux"},{"name":"arch","value":"amd64"}],"app":{"exec":["/bin/true"],"user":"0","group":"0"}}' >"$WORK/aci-true/manifest"
    tar --owner=0 --group=0 --numeric-owner -cf "$WORK/true.aci" -C "$WORK/aci-true" manifest -C "$WORK" rootfs
  fi
  for rt in crun runc; do
    local b=$WORK/bundle-$rt
    [ -f "$b/config.json" ] && continue
    mkdir -p "$b"
    (cd "$b" && $rt spec)
    python3 - "$b/config.json" "$ROOTFS" <<'PY'
import json, sys
path, rootfs = sys.argv[1], sys.argv[2]
c = json.load(open(path))
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/true"]
c["root"] = {"path": rootfs, "readonly": True}
c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "network"]
json.dump(c, open(path, "w"), indent=1)
PY
  done
  if [ ! -f "$WORK/big.aci" ]; then
    log "generating the ~200 MB image in $WORK/big.aci (once)"
    rm -rf "$WORK/big"; mkdir -p "$WORK/big/rootfs"
    python3 - "$WORK/big/rootfs" <<'PY'
import os, random, sys
root = sys.argv[1]
rnd = random.Random(4242)
words = [''.join(rnd.choice('abcdefghijklmnopqrstuvwxyz_') for _ in range(rnd.randint(2, 10))) for _ in range(4000)]
def text(n):
    out, size = [], 0
    while size < n:
        w = rnd.choice(words); out.append(w); size += len(w) + 1
    return (' '.join(out))[:n].encode()
for d in range(200):
    dp = os.path.join(root, 'd%03d' % d); os.makedirs(dp)
    for f in range(100):
        with open(os.path.join(dp, 'f%03d.txt' % f), 'wb') as fh: fh.write(text(rnd.randint(512, 8192)))
big = os.path.join(root, 'big'); os.makedirs(big)
with open(os.path.join(big, 'random.bin'), 'wb') as fh:
    for _ in range(40): fh.write(rnd.randbytes(1 << 20))
with open(os.path.join(big, 'text.dat'), 'wb') as fh:
    for _ in range(40): fh.write(text(1 << 20))
with open(os.path.join(big, 'mixed.so'), 'wb') as fh:
    for i in range(35): fh.write(rnd.randbytes(1 << 19) + bytes(1 << 18) + text(1 << 18))
PY
    printf '%s' '{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/bench-big","labels":[{"name":"version","value":"1"},{"name":"os","value":"linux"},{"name":"arch","value":"amd64"}]}' >"$WORK/big/manifest"
    tar --sort=name --owner=0 --group=0 --numeric-owner -C "$WORK/big" -cf - manifest rootfs | gzip -6 -n >"$WORK/big.aci.tmp"
    mv "$WORK/big.aci.tmp" "$WORK/big.aci"
    rm -rf "$WORK/big"
  fi
}

# ---------------------------------------------------------------- benchmarks
startup_inner() {
  local id
  id=$("$RKT" --dir="$D" --insecure-options=image fetch "$WORK/true.aci" | tail -1)
  hyperfine -N --warmup "$WARMUP" --runs "$RUNS" --style basic \
    --export-json "$RES/startup.json" --export-markdown "$RES/startup.md" \
    --prepare "$RKT --dir=$D gc --grace-period=0s" \
      -n "rkt run (fly)" "$RKT --dir=$D --insecure-options=image run --stage1-path=$STAGE1 $id" \
    --prepare "sh -c 'crun delete -f $CID >/dev/null 2>&1 || true'" -n "crun run" "crun run --bundle $WORK/bundle-crun $CID" \
    --prepare "sh -c 'runc delete -f $CID >/dev/null 2>&1 || true'" -n "runc run" "runc run --bundle $WORK/bundle-runc $CID" \
    --prepare "true" -n "chroot" "chroot $ROOTFS /bin/true"
}

startup() {
  rm -rf "$D"; mkdir -p "$D"
  if grep -q ' /sys/fs/cgroup/unified cgroup2 ' /proc/mounts && \
     [ -n "$(cat /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null)" ]; then
    log "cgroup hybrid mode with v2 controllers: start-up runs in a private mount ns without /sys/fs/cgroup/unified"
    unshare -m --propagation private bash -c "umount /sys/fs/cgroup/unified && exec bash '$SELF' __startup_inner"
  else
    startup_inner
  fi
}

import() {
  local bytes out=$WORK/out-rkt tout=$WORK/out-tar
  bytes=$(gzip -dc "$WORK/big.aci" | wc -c)
  echo "import image: $(stat -c %s "$WORK/big.aci") bytes gzipped, $bytes bytes uncompressed" >>"$RES/versions.txt"
  cat "$WORK/big.aci" >/dev/null   # hot page cache for both sides
  # Each run writes into a fresh directory; old ones are moved aside and deleted at exit. On ext4,
  # creating many files right after deleting many is far slower (see peers.sh section e), which
  # would measure the previous run's cleanup rather than the import.
  mkdir -p "$WORK/trash"
  local fresh="sh -c 'for d; do [ -e \"\$d\" ] && mv \"\$d\" $WORK/trash/\$(date +%s%N)-\$(basename \"\$d\"); done; sync' x"
  hyperfine --warmup 1 --runs "$IMPORT_RUNS" --style basic \
    --export-json "$RES/import.json" --export-markdown "$RES/import.md" \
    --prepare "$fresh $DI $out; mkdir -p $DI" \
      -n "rkt fetch + image render" \
      "$RKT --dir=$DI --insecure-options=image fetch $WORK/big.aci >/dev/null && $RKT --dir=$DI image render example.com/bench-big $out" \
    --prepare "$fresh $tout; mkdir -p $tout" \
      -n "tar -xzf + sha512sum" "tar -xzf $WORK/big.aci -C $tout && sha512sum $WORK/big.aci >/dev/null"
}

versions() {
  {
    echo "date: $(date -u +%FT%TZ)"
    echo "kernel: $(uname -r)"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //') x $(nproc)"
    echo "rkt: $("$RKT" version 2>/dev/null | head -1)"
    echo "crun: $(crun --version | head -1)"
    echo "runc: $(runc --version | head -1)"
    echo "hyperfine: $(hyperfine --version)"
    echo "loadavg at start: $(cat /proc/loadavg)"
  } >"$RES/versions.txt"
}

report() {
  {
    echo "# rkt (Swift) benchmarks"
    echo
    sed 's/^/    /' "$RES/versions.txt"
    echo
    echo "## Start-up: /bin/true in a busybox rootfs"
    echo
    [ -f "$RES/startup.md" ] && cat "$RES/startup.md" || echo "(failed, see log)"
    echo
    echo "## Import: ~200 MB gzipped ACI"
    echo
    [ -f "$RES/import.md" ] && cat "$RES/import.md" || echo "(failed, see log)"
  } >"$RES/results.md"
  cat "$RES/results.md"
}

# ---------------------------------------------------------------- main
if [ "${1:-}" = __startup_inner ]; then startup_inner; exit 0; fi
[ "$(id -u)" = 0 ] || { echo "bench/run.sh: must run as root" >&2; exit 1; }
for t in hyperfine crun runc busybox python3; do
  command -v $t >/dev/null || { echo "bench/run.sh: $t is missing (make deps)" >&2; exit 1; }
done
[ -x "$RKT" ] && [ -f "$STAGE1" ] || { echo "bench/run.sh: no $RKT or $STAGE1 (make)" >&2; exit 1; }
trap cleanup EXIT
mkdir -p "$RES"
rm -f "$RES"/*.json "$RES"/*.md
versions
build_inputs
startup || log "start-up benchmark failed"
import || log "import benchmark failed"
echo "loadavg at end: $(cat /proc/loadavg)" >>"$RES/versions.txt"
report
