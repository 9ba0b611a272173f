#!/usr/bin/env bash
# bench/run.sh — rkt (Swift) side by side with crun, runc, systemd-nspawn and the kernel floors.
#
# Every figure is the median of RUNS (>= 20) runs after WARMUP runs, with min and max. Runs are
# interleaved: bench/harness.py runs every case once per round, in a shuffled order, so each ratio
# compares runs taken at the same time on a loaded machine. Suites (SUITES, default all):
#   startup  pod of busybox /bin/true from an image in the store: rkt run with the fly stage1, the
#            full stage1 with --net=host / none / default; crun run (with and without a netns),
#            runc run, systemd-nspawn on the same rootfs; unshare -muipn --fork chroot; chroot
#   multi    a 10-app pod (full stage1, --net=host) vs 10 sequential `crun run`
#   split    rkt prepare + rkt run-prepared vs rkt run; `--debug` phase timings of run/prepare
#   import   rkt fetch + rkt image render of a ~200 MB ACI (gzip and uncompressed) vs tar -x[z]f,
#            sha512sum and gzip -dc | sha512sum of the same file
#   docker   rkt fetch docker:// of a 5-layer image from a local docker-registry on 127.0.0.1 vs
#            skopeo copy to a directory ("not available" when rkt cannot fetch docker:// yet)
#   memory   peak RSS (/usr/bin/time -v) of rkt commands; RSS an idle pod costs beyond its app
#   gc       rkt list with 100 pods present; rkt gc of 100 exited pods
# Results: build/bench/<suite>.json (raw times), build/bench/results.{md,json} (tables, ratios,
# targets with pass/miss), build/bench/versions.txt.
#
# Usage (root; `make bench` builds first):
#   bench/run.sh
#   SUITES="startup split" RUNS=30 bench/run.sh
# Env: RUNS (20), WARMUP (3), IMPORT_RUNS (20), IMPORT_FS (tmpfs|disk; tmpfs), GC_ROUNDS (20: each
# round creates 100 pods, then times one gc), GC_PODS (100), IDLE_SAMPLES (3), WORK (inputs, kept:
# /var/tmp/rkt-bench; CLEAN=1 removes them), RKT_BUILD_DIR (build/bin).
# Each run has its own data dir and config dirs under a temp dir that is removed at the end (after
# rkt gc and unmounting). crun 1.8 refuses cgroup "hybrid" mode when the cgroup2 mount has
# controllers, so on such hosts startup/multi/split run in a private mount namespace without
# /sys/fs/cgroup/unified (the host is not changed); see /work/shared/bench/peers.sh.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
BIN=${RKT_BUILD_DIR:-$REPO/build/bin}
RES=${RES:-$REPO/build/bench}
WORK=${WORK:-/var/tmp/rkt-bench}
RUNS=${RUNS:-20}
WARMUP=${WARMUP:-3}
IMPORT_RUNS=${IMPORT_RUNS:-20}
IMPORT_FS=${IMPORT_FS:-tmpfs}
GC_ROUNDS=${GC_ROUNDS:-20}
GC_PODS=${GC_PODS:-100}
IDLE_SAMPLES=${IDLE_SAMPLES:-3}
SUITES=${SUITES:-"startup multi split import docker memory gc"}
RKT=$BIN/rkt
FLY=$BIN/stage1-fly.aci
FULL=$BIN/stage1.aci
ROOTFS=$WORK/rootfs
SELF=$(readlink -f "$0")
HARNESS=$REPO/bench/harness.py
CID=rktbench$$

log() { printf '[bench] %s\n' "$*" >&2; }
has() { [[ " $SUITES " == *" $1 "* ]]; }

# T: this run's temp dir (data dirs, config dirs, outputs); inherited by the namespace re-exec.
if [ -z "${BENCH_T:-}" ]; then
  mkdir -p /var/tmp
  BENCH_T=$(mktemp -d /var/tmp/rkt-bench-run.XXXXXX)
  export BENCH_T OWNER=1
fi
T=$BENCH_T
CFG=(--local-config="$T/cfg/local" --system-config="$T/cfg/system" --user-config="$T/cfg/user")
D=$T/data
rk() { echo "$RKT" --dir="${1}" "${CFG[@]}" --insecure-options=image; }   # rkt argv prefix

cleanup() {
  set +e
  [ "${OWNER:-0}" = 1 ] || return 0
  [ -n "${REGISTRY_PID:-}" ] && kill "$REGISTRY_PID" 2>/dev/null && wait "$REGISTRY_PID" 2>/dev/null
  for p in ${IDLE_PIDS:-}; do kill -KILL "$p" 2>/dev/null; done
  for rt in crun runc; do
    for i in "" $(seq 0 9); do $rt delete -f "$CID$i" >/dev/null 2>&1; done
  done
  for d in "$T"/data*; do
    [ -d "$d" ] && [ -x "$RKT" ] && "$RKT" --dir="$d" "${CFG[@]}" gc --grace-period=0s >/dev/null 2>&1
  done
  awk '{print $2}' /proc/mounts | grep -E "^$T/" | sort -r | while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m"
  done
  for d in /sys/fs/cgroup/*/"$CID"* /sys/fs/cgroup/*/*/*/"$CID"*; do [ -d "$d" ] && rmdir "$d" 2>/dev/null; done
  rmdir /run/systemd/nspawn/propagate/rootfs 2>/dev/null
  rm -rf "$T"
  [ "${CLEAN:-0}" = 1 ] && rm -rf "$WORK"
  return 0
}

# ---------------------------------------------------------------- inputs
build_inputs() {
  mkdir -p "$WORK" "$T/cfg/local" "$T/cfg/system" "$T/cfg/user"
  if [ ! -e "$ROOTFS/bin/sleep" ]; then
    log "busybox rootfs in $ROOTFS"
    rm -rf "$ROOTFS" "$WORK/true.aci"
    mkdir -p "$ROOTFS"/{bin,proc,sys,dev,tmp,etc,usr,run}
    cp "$(command -v busybox)" "$ROOTFS/bin/busybox"
    for a in sh true echo sleep; do ln -sf busybox "$ROOTFS/bin/$a"; done
  fi
  if [ ! -f "$WORK/true.aci" ]; then
    mkdir -p "$WORK/aci-true"
    printf '%s' '{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/bench-true","labels":[{"name":"version","value":"1"},{"name":"os","value":"linux"},{"name":"arch","value":"amd64"}],"app":{"exec":["/bin/true"],"user":"0","group":"0"}}' >"$WORK/aci-true/manifest"
    tar --owner=0 --group=0 --numeric-owner -cf "$WORK/true.aci" -C "$WORK/aci-true" manifest -C "$WORK" rootfs
  fi
  for rt in crun runc; do
    for n in net nonet; do
      local b=$WORK/bundle-$rt-$n
      [ -f "$b/config.json" ] && continue
      mkdir -p "$b"
      (cd "$b" && $rt spec)
      python3 - "$b/config.json" "$ROOTFS" "$n" <<'PY'
import json, sys
path, rootfs, net = sys.argv[1], sys.argv[2], sys.argv[3] == "net"
c = json.load(open(path))
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/true"]
c["root"] = {"path": rootfs, "readonly": True}
if not net:
    c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "network"]
json.dump(c, open(path, "w"), indent=1)
PY
    done
  done
  { has import || has memory; } && build_big
  has docker && build_oci5
  return 0
}

build_big() {
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
    tar --sort=name --owner=0 --group=0 --numeric-owner -C "$WORK/big" -cf "$WORK/big.tar.aci.tmp" manifest rootfs
    gzip -6 -n -c "$WORK/big.tar.aci.tmp" >"$WORK/big.aci.tmp"
    mv "$WORK/big.tar.aci.tmp" "$WORK/big.tar.aci"; mv "$WORK/big.aci.tmp" "$WORK/big.aci"
    rm -rf "$WORK/big"
  fi
  if [ ! -f "$WORK/big.tar.aci" ]; then gzip -dc "$WORK/big.aci" >"$WORK/big.tar.aci.tmp" && mv "$WORK/big.tar.aci.tmp" "$WORK/big.tar.aci"; fi
}

# A 5-layer OCI image (busybox rootfs + 4 layers of ~10 MB of files) as an OCI layout, pushed to
# the local registry by skopeo in suite_docker.
build_oci5() {
  [ -f "$WORK/oci5/index.json" ] && return 0
  log "generating the 5-layer OCI image in $WORK/oci5 (once)"
  rm -rf "$WORK/oci5" "$WORK/oci5-src"
  python3 - "$WORK/oci5" "$WORK/oci5-src" "$ROOTFS" <<'PY'
import gzip, hashlib, io, json, os, random, shutil, subprocess, sys
out, src, rootfs = sys.argv[1:4]
rnd = random.Random(77)
os.makedirs(os.path.join(out, 'blobs', 'sha256'))
def blob(data):
    h = hashlib.sha256(data).hexdigest()
    open(os.path.join(out, 'blobs', 'sha256', h), 'wb').write(data)
    return 'sha256:' + h, len(data)
layers, diffs = [], []
for i in range(5):
    d = os.path.join(src, 'l%d' % i)
    if i == 0:
        shutil.copytree(rootfs, d, symlinks=True)
    else:
        p = os.path.join(d, 'data%d' % i); os.makedirs(p)
        for f in range(200):
            with open(os.path.join(p, 'f%03d' % f), 'wb') as fh:
                fh.write(rnd.randbytes(rnd.randint(1024, 32768)) if f % 2 else (b'layer %d file %d ' % (i, f)) * rnd.randint(64, 2048))
        with open(os.path.join(p, 'big.bin'), 'wb') as fh: fh.write(rnd.randbytes(6 << 20))
    tar = subprocess.run(['tar', '--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner',
                          '-C', d, '-cf', '-', '.'], check=True, stdout=subprocess.PIPE).stdout
    diffs.append('sha256:' + hashlib.sha256(tar).hexdigest())
    gz = gzip.compress(tar, 6, mtime=0)
    dg, n = blob(gz)
    layers.append({'mediaType': 'application/vnd.oci.image.layer.v1.tar+gzip', 'digest': dg, 'size': n})
cfg = {'architecture': 'amd64', 'os': 'linux', 'config': {'Cmd': ['/bin/true']},
       'rootfs': {'type': 'layers', 'diff_ids': diffs}}
cd, cn = blob(json.dumps(cfg).encode())
man = {'schemaVersion': 2, 'mediaType': 'application/vnd.oci.image.manifest.v1+json',
       'config': {'mediaType': 'application/vnd.oci.image.config.v1+json', 'digest': cd, 'size': cn}, 'layers': layers}
md, mn = blob(json.dumps(man).encode())
json.dump({'schemaVersion': 2, 'manifests': [{'mediaType': 'application/vnd.oci.image.manifest.v1+json',
          'digest': md, 'size': mn, 'annotations': {'org.opencontainers.image.ref.name': 'latest'}}]},
          open(os.path.join(out, 'index.json'), 'w'))
open(os.path.join(out, 'oci-layout'), 'w').write('{"imageLayoutVersion":"1.0.0"}')
PY
  rm -rf "$WORK/oci5-src"
}

# ---------------------------------------------------------------- helpers
# spec NAME RUNS WARMUP < cases-as-python-literal  → runs the harness, writes $RES/NAME.json
harness() {
  local name=$1 runs=$2 warmup=$3
  python3 -c '
import json, sys
cases = json.loads(sys.stdin.read())
json.dump({"suite": sys.argv[1], "runs": int(sys.argv[2]), "warmup": int(sys.argv[3]), "seed": 1,
           "timeout": 600, "cases": cases}, open(sys.argv[4], "w"), indent=1)' \
    "$name" "$runs" "$warmup" "$T/$name.spec.json"
  log "suite $name: $runs runs + $warmup warm-up, interleaved"
  python3 "$HARNESS" "$T/$name.spec.json" "$RES/$name.json" || { log "suite $name failed"; return 0; }
}
py_argv() { python3 -c 'import json,sys; print(json.dumps(sys.argv[1:]))' "$@"; }

no_suite() { # NAME REASON: a suite that could not run, reported as such
  python3 -c 'import json,sys; json.dump({"suite": sys.argv[1], "unavailable": sys.argv[2], "results": []}, open(sys.argv[3], "w"))' \
    "$1" "$2" "$RES/$1.json"
  log "suite $1: not available: $2"
}

gc_all() { $(rk "$1") gc --grace-period=0s >/dev/null 2>&1 || true; }

# ---------------------------------------------------------------- suites in the mount namespace
suite_startup() {
  local id; id=$($(rk "$D") fetch "$WORK/true.aci" | tail -1)
  local R; R=$(rk "$D")
  local GC; GC=$(py_argv $R gc --grace-period=0s)
  harness startup "$RUNS" "$WARMUP" <<EOF
[
 {"name": "rkt run (fly)", "prepare": $GC, "steps": [$(py_argv $R run --stage1-path="$FLY" "$id")]},
 {"name": "rkt run (stage1, --net=host)", "prepare": $GC, "steps": [$(py_argv $R run --stage1-path="$FULL" --net=host "$id")]},
 {"name": "rkt run (stage1, --net=none)", "prepare": $GC, "steps": [$(py_argv $R run --stage1-path="$FULL" --net=none "$id")]},
 {"name": "rkt run (stage1, --net=default)", "prepare": $GC, "steps": [$(py_argv $R run --stage1-path="$FULL" --net=default "$id")]},
 {"name": "crun run", "prepare": $(py_argv crun delete -f "$CID"), "steps": [$(py_argv crun run --bundle "$WORK/bundle-crun-nonet" "$CID")]},
 {"name": "crun run (netns)", "prepare": $(py_argv crun delete -f "$CID"), "steps": [$(py_argv crun run --bundle "$WORK/bundle-crun-net" "$CID")]},
 {"name": "runc run", "prepare": $(py_argv runc delete -f "$CID"), "steps": [$(py_argv runc run --bundle "$WORK/bundle-runc-nonet" "$CID")]},
 {"name": "systemd-nspawn", "steps": [$(py_argv systemd-nspawn -D "$ROOTFS" --register=no --keep-unit -q /bin/true)]},
 {"name": "unshare -muipn --fork chroot", "steps": [$(py_argv unshare -muipn --fork chroot "$ROOTFS" /bin/true)]},
 {"name": "chroot", "steps": [$(py_argv chroot "$ROOTFS" /bin/true)]}
]
EOF
  gc_all "$D"
}

suite_multi() {
  local id; id=$($(rk "$D") fetch "$WORK/true.aci" | tail -1)
  local R; R=$(rk "$D")
  local GC; GC=$(py_argv $R gc --grace-period=0s)
  local apps=() i loop=""
  for i in $(seq 0 9); do apps+=("$id" --name="app$i"); loop+="crun run --bundle $WORK/bundle-crun-nonet $CID$i; "; done
  harness multi "$RUNS" "$WARMUP" <<EOF
[
 {"name": "rkt run (stage1, --net=host), 10 apps", "prepare": $GC, "steps": [$(py_argv $R run --stage1-path="$FULL" --net=host "${apps[@]}")]},
 {"name": "rkt run (stage1, --net=host), 1 app", "prepare": $GC, "steps": [$(py_argv $R run --stage1-path="$FULL" --net=host "$id")]},
 {"name": "10 x crun run, sequential", "steps": [$(py_argv sh -c "set -e; $loop")]},
 {"name": "crun run", "steps": [$(py_argv crun run --bundle "$WORK/bundle-crun-nonet" "$CID")]}
]
EOF
  gc_all "$D"
}

suite_split() {
  local id; id=$($(rk "$D") fetch "$WORK/true.aci" | tail -1)
  local R RD; R=$(rk "$D"); RD="$R --debug"
  local GC; GC=$(py_argv $R gc --grace-period=0s)
  harness split "$RUNS" "$WARMUP" <<EOF
[
 {"name": "rkt run (stage1, --net=host)", "prepare": $GC, "steps": [$(py_argv $R run --stage1-path="$FULL" --net=host "$id")]},
 {"name": "rkt prepare + run-prepared (stage1, --net=host)", "prepare": $GC, "step_names": ["rkt prepare", "rkt run-prepared"],
  "steps": [$(py_argv $R prepare --quiet --stage1-path="$FULL" "$id"), $(py_argv $R run-prepared --net=host "{OUT0}")]},
 {"name": "rkt --debug run (stage1, --net=host): phases", "prepare": $GC, "phases": true, "steps": [$(py_argv $RD run --stage1-path="$FULL" --net=host "$id")]},
 {"name": "rkt --debug run (fly): phases", "prepare": $GC, "phases": true, "steps": [$(py_argv $RD run --stage1-path="$FLY" "$id")]},
 {"name": "rkt --debug prepare + run-prepared (stage1, --net=host): phases", "prepare": $GC, "phases": true,
  "step_names": ["rkt prepare", "rkt run-prepared"],
  "steps": [$(py_argv $RD prepare --quiet --stage1-path="$FULL" "$id"), $(py_argv $RD run-prepared --net=host "{OUT0}")]}
]
EOF
  gc_all "$D"
}

ns_suites() {
  local s
  for s in startup multi split; do has $s && { suite_$s || log "suite $s failed"; }; done
  return 0
}

# ---------------------------------------------------------------- host-view suites
suite_import() {
  local I=$T/import
  mkdir -p "$I"
  if [ "$IMPORT_FS" = tmpfs ]; then mount -t tmpfs -o size=4g rkt-bench-import "$I"; fi
  local gzb tarb
  gzb=$(stat -c %s "$WORK/big.aci"); tarb=$(stat -c %s "$WORK/big.tar.aci")
  echo "import image: $gzb bytes gzipped, $tarb bytes uncompressed; target fs: $IMPORT_FS" >>"$RES/versions.txt"
  cat "$WORK/big.aci" "$WORK/big.tar.aci" >/dev/null   # hot page cache for every side
  fresh() { py_argv sh -c "rm -rf $I/$1 && mkdir -p $I/$1"; }
  local Rg Rt; Rg=$(rk "$I/rg/data"); Rt=$(rk "$I/rt/data")
  harness import "$IMPORT_RUNS" 1 <<EOF
[
 {"name": "rkt fetch + image render (gzip)", "prepare": $(fresh rg), "step_names": ["rkt fetch", "rkt image render"],
  "steps": [$(py_argv $Rg fetch "$WORK/big.aci"), $(py_argv $Rg image render example.com/bench-big "$I/rg/out")]},
 {"name": "tar -xzf", "prepare": $(fresh xg), "steps": [$(py_argv tar -xzf "$WORK/big.aci" -C "$I/xg")]},
 {"name": "sha512sum (gzip)", "steps": [$(py_argv sha512sum "$WORK/big.aci")]},
 {"name": "gzip -dc | sha512sum", "steps": [$(py_argv sh -c "gzip -dc $WORK/big.aci | sha512sum")]},
 {"name": "rkt fetch + image render (uncompressed)", "prepare": $(fresh rt), "step_names": ["rkt fetch", "rkt image render"],
  "steps": [$(py_argv $Rt fetch "$WORK/big.tar.aci"), $(py_argv $Rt image render example.com/bench-big "$I/rt/out")]},
 {"name": "tar -xf", "prepare": $(fresh xt), "steps": [$(py_argv tar -xf "$WORK/big.tar.aci" -C "$I/xt")]},
 {"name": "sha512sum (uncompressed)", "steps": [$(py_argv sha512sum "$WORK/big.tar.aci")]}
]
EOF
  rm -rf "${I:?}"/*
  [ "$IMPORT_FS" = tmpfs ] && umount "$I"
  return 0
}

suite_docker() {
  local port=$((20000 + $$ % 20000)) reg=$T/registry
  mkdir -p "$reg/data"
  cat >"$reg/config.yml" <<EOF
version: 0.1
log: {level: error}
storage: {filesystem: {rootdirectory: $reg/data}, delete: {enabled: true}}
http: {addr: 127.0.0.1:$port}
EOF
  docker-registry serve "$reg/config.yml" >"$reg/log" 2>&1 &
  REGISTRY_PID=$!
  local i; for i in $(seq 50); do curl -sf "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break; sleep 0.2; done
  local ref=127.0.0.1:$port/bench/five:latest
  if ! skopeo copy -q --dest-tls-verify=false "oci:$WORK/oci5:latest" "docker://$ref" >"$T/skopeo.log" 2>&1; then
    no_suite docker "cannot push the test image to the local registry: $(tail -1 "$T/skopeo.log")"
  else
    local R; R="$RKT --dir=$T/data-docker ${CFG[*]} --insecure-options=image,http"
    if ! $R fetch "docker://$ref" >"$T/docker-probe.log" 2>&1; then
      no_suite docker "rkt fetch docker:// fails: $(tail -1 "$T/docker-probe.log")"
    else
      harness docker "$RUNS" 1 <<EOF
[
 {"name": "rkt fetch docker:// (5 layers)", "prepare": $(py_argv rm -rf "$T/data-docker"), "steps": [$(py_argv $R fetch "docker://$ref")]},
 {"name": "skopeo copy docker:// dir:", "prepare": $(py_argv rm -rf "$T/skopeo-out"), "steps": [$(py_argv skopeo copy -q --src-tls-verify=false "docker://$ref" "dir:$T/skopeo-out")]}
]
EOF
    fi
  fi
  kill "$REGISTRY_PID" 2>/dev/null; wait "$REGISTRY_PID" 2>/dev/null; REGISTRY_PID=
  return 0
}

# Sum of RSS, PSS and private memory (Private_Clean + Private_Dirty, i.e. what the process alone
# holds: USS) in kB over a process tree: "rss pss app_rss app_pss uss app_uss nprocs names"
# (app = comm $2).
tree_mem() {
  python3 - "$1" "$2" <<'PY'
import os, sys
root, app = int(sys.argv[1]), sys.argv[2]
kids = {}
for p in os.listdir('/proc'):
    if p.isdigit():
        try: ppid = int(open(f'/proc/{p}/stat').read().rsplit(')', 1)[1].split()[1])
        except OSError: continue
        kids.setdefault(ppid, []).append(int(p))
todo, tree = [root], []
while todo:
    p = todo.pop(); tree.append(p); todo += kids.get(p, [])
def val(path, key):
    try:
        for l in open(path):
            if l.startswith(key + ':'): return int(l.split()[1])
    except OSError: pass
    return 0
rss = pss = arss = apss = uss = auss = 0
names = []
for p in tree:
    r, s = val(f'/proc/{p}/status', 'VmRSS'), val(f'/proc/{p}/smaps_rollup', 'Pss')
    u = val(f'/proc/{p}/smaps_rollup', 'Private_Clean') + val(f'/proc/{p}/smaps_rollup', 'Private_Dirty')
    comm = open(f'/proc/{p}/comm').read().strip() if os.path.exists(f'/proc/{p}/comm') else '?'
    names.append(f'{comm}:{r}')
    rss += r; pss += s; uss += u
    if comm == app: arss += r; apss += s; auss += u
print(rss, pss, arss, apss, uss, auss, len(tree), ' '.join(names))
PY
}

suite_memory() {
  local id R; R=$(rk "$T/data-mem"); id=$($R fetch "$WORK/true.aci" | tail -1)
  local out=$T/memory.tsv; : >"$out"
  peak() { # LABEL CMD...: max of 3 runs of "Maximum resident set size" (kB)
    local label=$1; shift; local m=0 k v
    for k in 1 2 3; do
      [ -n "${PRE:-}" ] && eval "$PRE" >/dev/null 2>&1
      v=$(/usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F': ' '/Maximum resident set size/{print $2}') || true
      [ -n "$v" ] && [ "$v" -gt "$m" ] && m=$v
    done
    printf 'peak\t%s\t%s\t%s\n' "$label" "$m" "$*" >>"$out"
  }
  PRE="$R gc --grace-period=0s" peak "rkt run (fly)" $R run --stage1-path="$FLY" "$id"
  PRE="$R gc --grace-period=0s" peak "rkt run (stage1, --net=host)" $R run --stage1-path="$FULL" --net=host "$id"
  PRE="$R gc --grace-period=0s" peak "rkt prepare" $R prepare --quiet --stage1-path="$FULL" "$id"
  PRE="rm -rf $T/data-mem2" peak "rkt fetch (200 MB gzip ACI, fresh store)" $(rk "$T/data-mem2") fetch "$WORK/big.aci"
  PRE= peak "rkt list" $R list
  PRE= peak "rkt image list" $R image list
  PRE= peak "rkt gc" $R gc --grace-period=0s
  rm -rf "$T/data-mem2"
  # Idle pods: /bin/sleep as the only app; the pod's process tree is everything under the
  # `rkt run` process (stage0 execs stage1 in place).
  local s flavor args pid i m
  for flavor in stage1 fly; do
    if [ $flavor = fly ]; then args=(--stage1-path="$FLY"); else args=(--stage1-path="$FULL" --net=host); fi
    for s in $(seq "$IDLE_SAMPLES"); do
      rm -f "$T/idle.uuid"
      setsid $R run "${args[@]}" --uuid-file-save="$T/idle.uuid" "$id" --exec=/bin/sleep -- 600 </dev/null >"$T/idle.log" 2>&1 &
      pid=$!; IDLE_PIDS="$pid"
      m=""
      for i in $(seq 100); do
        if ! kill -0 "$pid" 2>/dev/null; then break; fi
        m=$(tree_mem "$pid" sleep)
        [ "$(echo "$m" | awk '{print $3}')" -gt 0 ] && break
        m=""; sleep 0.2
      done
      sleep 1; [ -n "$m" ] && m=$(tree_mem "$pid" sleep)
      if [ -n "$m" ]; then printf 'idle\t%s\t%s\n' "$flavor" "$m" >>"$out"
      else printf 'idle\t%s\tfailed\t%s\n' "$flavor" "$(tail -1 "$T/idle.log")" >>"$out"; fi
      [ -s "$T/idle.uuid" ] && $R stop --force "$(cat "$T/idle.uuid")" >/dev/null 2>&1
      for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -0 "$pid" 2>/dev/null && { pkill -KILL -s "$pid" 2>/dev/null || kill -KILL "$pid"; }
      wait "$pid" 2>/dev/null || true; IDLE_PIDS=
      $R gc --grace-period=0s >/dev/null 2>&1 || true
    done
  done
  python3 - "$out" "$RES/memory.json" <<'PY'
import json, statistics, sys
peaks, idle = [], {}
for l in open(sys.argv[1]):
    f = l.rstrip('\n').split('\t')
    if f[0] == 'peak': peaks.append({'name': f[1], 'max_rss_kb': int(f[2]), 'command': f[3]})
    elif f[2] == 'failed': idle.setdefault(f[1], []).append({'error': f[3] if len(f) > 3 else ''})
    else:
        v = f[2].split(' ', 7)
        idle.setdefault(f[1], []).append({'rss_kb': int(v[0]), 'pss_kb': int(v[1]), 'app_rss_kb': int(v[2]),
                                          'app_pss_kb': int(v[3]), 'uss_kb': int(v[4]), 'app_uss_kb': int(v[5]),
                                          'procs': int(v[6]), 'tree': v[7] if len(v) > 7 else ''})
json.dump({'suite': 'memory', 'peaks': peaks, 'idle': idle}, open(sys.argv[2], 'w'), indent=1)
PY
}

# Creates exited pods (full stage1, --net=host, /bin/true) in DATA until it holds N pods.
mkpods() {
  local data=$1 n=$2 id R have
  R=$(rk "$data"); id=$($R fetch "$WORK/true.aci" | tail -1)
  have=$(find "$data/pods/run" "$data/pods/exited-garbage" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l || true)
  if [ "$have" -lt "$n" ]; then
    seq $((n - have)) | xargs -r -P2 -I{} $R run --stage1-path="$FULL" --net=host "$id" >/dev/null 2>&1 || true
  fi
  find "$data/pods/run" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l || true
}

suite_gc() {
  local G=$T/data-gc R; R=$(rk "$G")
  log "gc: creating $GC_PODS exited pods"
  local n; n=$(mkpods "$G" "$GC_PODS")
  log "gc: $n pods in $G/pods/run"
  harness list "$RUNS" "$WARMUP" <<EOF
[
 {"name": "rkt list ($GC_PODS pods)", "steps": [$(py_argv $R list)]},
 {"name": "rkt list --no-legend ($GC_PODS pods)", "steps": [$(py_argv $R list --no-legend)]},
 {"name": "rkt version", "steps": [$(py_argv $RKT version)]}
]
EOF
  harness gc "$GC_ROUNDS" 0 <<EOF
[
 {"name": "rkt gc --grace-period=0s ($GC_PODS exited pods)", "prepare": $(py_argv bash "$SELF" __mkpods "$G" "$GC_PODS"),
  "steps": [$(py_argv $R gc --grace-period=0s)]}
]
EOF
}

versions() {
  {
    echo "date: $(date -u +%FT%TZ)"
    echo "kernel: $(uname -r)"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //') x $(nproc)"
    echo "rkt: $("$RKT" version 2>/dev/null | head -1) ($(file -b "$RKT" | cut -d, -f1-2); $(stat -c %s "$RKT") bytes)"
    echo "crun: $(crun --version | head -1)"
    echo "runc: $(runc --version | head -1)"
    echo "systemd-nspawn: $(systemd-nspawn --version | head -1)"
    echo "skopeo: $(skopeo --version)"
    echo "loadavg at start: $(cat /proc/loadavg)"
  } >"$RES/versions.txt"
}

# ---------------------------------------------------------------- main
case "${1:-}" in
  __ns) ns_suites; exit 0 ;;
  __mkpods) mkpods "$2" "$3" >/dev/null; exit 0 ;;
esac
[ "$(id -u)" = 0 ] || { echo "bench/run.sh: must run as root" >&2; exit 1; }
for t in hyperfine crun runc systemd-nspawn busybox python3 skopeo docker-registry curl /usr/bin/time; do
  command -v $t >/dev/null || { echo "bench/run.sh: $t is missing (make deps)" >&2; exit 1; }
done
[ -x "$RKT" ] && [ -f "$FLY" ] && [ -f "$FULL" ] || { echo "bench/run.sh: no $RKT, $FLY or $FULL (make)" >&2; exit 1; }
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$RES"
for s in $SUITES; do rm -f "$RES/$s.json"; done; has gc && rm -f "$RES/list.json"   # other suites' results stay
rm -f "$RES"/results.*
versions
build_inputs
if has startup || has multi || has split; then
  if grep -q ' /sys/fs/cgroup/unified cgroup2 ' /proc/mounts && \
     [ -n "$(cat /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null)" ]; then
    log "cgroup hybrid mode with v2 controllers: startup/multi/split run in a private mount ns without /sys/fs/cgroup/unified"
    unshare -m --propagation private bash -c "umount /sys/fs/cgroup/unified && exec bash '$SELF' __ns"
  else
    ns_suites
  fi
fi
for s in import docker memory gc; do has $s && { suite_$s || log "suite $s failed"; }; done
echo "loadavg at end: $(cat /proc/loadavg)" >>"$RES/versions.txt"
python3 "$REPO/bench/report.py" "$RES"
