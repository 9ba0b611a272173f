#!/usr/bin/env bash
# Assembles a stage1 ACI (a tar of `manifest` + `rootfs/`) from a stage1 binary, the way rkt's
# stage1.mk / aci-install.mk did: the binary plus one symlink per entrypoint, every shared library
# the binary loads (found with ldd, copied with the loader), the pre-created pod directories and
# files stage0 and the stage1 expect, then a tarball owned by root (actool build --owner-root).
#
# Usage: build-stage1-aci.sh FLAVOR BINARY VERSION OUT.aci
#   FLAVOR  fly | swift   (swift = our full stage1, manifest name coreos.com/rkt/stage1-swift)
set -euo pipefail

flavor=$1 bin=$2 version=$3 out=$4
[ -x "$bin" ] || { echo "build-stage1-aci: no stage1 binary at $bin" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/stage1-aci.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/rootfs
mkdir -p "$root"/{etc,opt/stage2,rkt/status,rkt/env,rkt/iottymux,proc,sys,dev,tmp}

case $flavor in
  fly)
    name=coreos.com/rkt/stage1-fly
    exe=rkt-stage1-fly
    ifver=5
    entrypoints=(run enter gc stop)
    annotations=(run=/run enter=/enter gc=/gc stop=/stop)
    ;;
  swift)
    name=coreos.com/rkt/stage1-swift
    exe=rkt-stage1
    ifver=6
    entrypoints=(init enter gc stop attach)
    annotations=(run=/init enter=/enter gc=/gc stop=/stop attach=/attach)
    ;;
  *) echo "build-stage1-aci: unknown flavor $flavor" >&2; exit 1 ;;
esac

# The binary is multi-call (dispatched on argv[0]); every entrypoint is a symlink to it.
install -m 0755 "$bin" "$root/$exe"
for ep in "${entrypoints[@]}"; do ln -s "$exe" "$root/$ep"; done

# Shared libraries with their canonical paths, and the ELF loader, so the binary also runs when
# executed inside the stage1 rootfs (chroot), as rkt's stage1 did.
ldd "$bin" 2>/dev/null | awk '/=> \//{print $3} /^\t\/[^ ]+ \(/{print $1}' | sort -u | while read -r lib; do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done

# Files both flavours carry (rkt: stage1/aci/aci-install.mk).
ln -s "$flavor" "$root/flavor"
ln -s ../proc/self/mounts "$root/etc/mtab"
cat >"$root/etc/os-release" <<OS
NAME="rkt stage1 ($flavor)"
ID=rkt
VERSION_ID=$version
PRETTY_NAME="rkt stage1 $flavor $version"
HOME_URL="https://github.com/rkt/rkt"
OS
printf '127.0.0.1\tlocalhost localhost.localdomain localhost4 localhost4.localdomain4\n::1\tlocalhost localhost.localdomain localhost6 localhost6.localdomain6\n' \
  >"$root/etc/hosts-fallback"

if [ "$flavor" = swift ]; then
  # The default seccomp filter, compiled now rather than at every app start (SeccompPrecompiled).
  "$bin" seccomp-export "$root/usr/lib/rkt/seccomp"
  # CNI plugins and the two built-in networks (rkt: stage1/net-plugins, stage1/net).
  plugins=${CNI_PLUGIN_DIR:-/usr/lib/cni}
  mkdir -p "$root/usr/lib/rkt/plugins/net" "$root/etc/rkt/net.d"
  for p in ptp bridge macvlan ipvlan host-local dhcp tuning loopback portmap; do
    [ -x "$plugins/$p" ] && cp "$plugins/$p" "$root/usr/lib/rkt/plugins/net/$p"
  done
  cat >"$root/etc/rkt/net.d/99-default.conf" <<'NET'
{
	"name": "default",
	"type": "ptp",
	"ipMasq": true,
	"ipam": {
		"type": "host-local",
		"subnet": "172.16.28.0/24",
		"routes": [
			{ "dst": "0.0.0.0/0" }
		]
	}
}
NET
  cat >"$root/etc/rkt/net.d/99-default-restricted.conf" <<'NET'
{
	"name": "default-restricted",
	"type": "ptp",
	"ipMasq": false,
	"ipam": {
		"type": "host-local",
		"subnet": "172.31.0.0/16"
	}
}
NET
fi

ann=""
for a in "${annotations[@]}"; do
  ann+="    {\"name\": \"coreos.com/rkt/stage1/${a%%=*}\", \"value\": \"${a#*=}\"},"$'\n'
done
cat >"$work/manifest" <<MAN
{
  "acKind": "ImageManifest",
  "acVersion": "0.8.11",
  "name": "$name",
  "labels": [
    {"name": "version", "value": "$version"},
    {"name": "arch", "value": "amd64"},
    {"name": "os", "value": "linux"}
  ],
  "annotations": [
$ann    {"name": "coreos.com/rkt/stage1/interface-version", "value": "$ifver"}
  ]
}
MAN

mkdir -p "$(dirname "$out")"
tar --sort=name --owner=0 --group=0 --numeric-owner -C "$work" -cf "$out.tmp" manifest rootfs
mv "$out.tmp" "$out"
