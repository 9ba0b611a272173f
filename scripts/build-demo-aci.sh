#!/usr/bin/env bash
# Builds the demo ACI offline: busybox-static, one symlink per applet, a root passwd/group, and a
# manifest whose app runs a shell. Usage: build-demo-aci.sh OUT.aci
set -euo pipefail
out=$1
bb=$(command -v busybox) || { echo "build-demo-aci: busybox-static is not installed (make deps)" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/demo-aci.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/rootfs
mkdir -p "$root"/{bin,usr/bin,etc,tmp,root}
install -m 0755 "$bb" "$root/usr/bin/busybox"
for a in $("$bb" --list); do [ "$a" = busybox ] || ln -s ../usr/bin/busybox "$root/bin/$a"; done
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\n' >"$root/etc/group"
cat >"$work/manifest" <<'MAN'
{
  "acKind": "ImageManifest",
  "acVersion": "0.8.11",
  "name": "example.com/rkt-demo",
  "labels": [
    {"name": "version", "value": "1.0.0"},
    {"name": "arch", "value": "amd64"},
    {"name": "os", "value": "linux"}
  ],
  "app": {
    "exec": ["/bin/sh", "-c", "echo hello from a Swift rkt pod"],
    "user": "0",
    "group": "0",
    "environment": [{"name": "PATH", "value": "/bin:/usr/bin"}]
  }
}
MAN
mkdir -p "$(dirname "$out")"
tar --sort=name --owner=0 --group=0 --numeric-owner -C "$work" -czf "$out.tmp" manifest rootfs
mv "$out.tmp" "$out"
