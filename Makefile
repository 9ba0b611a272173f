# rkt in Swift: build, package, test, bench.
#
#   make            release binaries + stage1 ACIs in build/bin/
#   make deps       apt-get install every Debian package the build and the tests need
#   make test       build, then every test (unit + functional) with swift test --parallel
#   make demo       build the busybox demo image offline and `rkt run` it
#   make bench      side-by-side timings under build/bench/
#   make install PREFIX=/usr/local
#
# Variables: SCRATCH (swift scratch path, default .build), CONFIG (release|debug), STATIC,
# DEMO_STAGE1 (fly|swift: which stage1 image `make demo` runs with).

SHELL        := /bin/bash
.SHELLFLAGS  := -euo pipefail -c
export PATH  := /opt/swift/usr/bin:$(PATH)

SCRATCH     ?= .build
CONFIG      ?= release
PREFIX      ?= /usr/local
DESTDIR     ?=
DEMO_STAGE1 ?= swift
BUILD       := build
BIN         := $(BUILD)/bin
VERSION     := $(shell sed -n 's/.*static let string = "\(.*\)".*/\1/p' stage0/Stage0Core/Version.swift)
# STATIC= links the Swift runtime dynamically (reuses a debug build's objects while developing).
STATIC      ?= --static-swift-stdlib
# Link flags (measured in docs/performance.md). Release builds take the C libraries from
# $(STATICLIBS) through .pc files in $(PKGCONFIG): there each libX.a is a linker script naming the
# system's static archives, so libarchive comes without the libxml2, ICU, nettle, zstd, lz4 and
# acl it would load as a shared library (rkt reads tar with gzip, bzip2 and xz only).
# --no-export-dynamic undoes the Swift static stdlib's -export-dynamic: a 2.6 MB dynamic symbol
# table that ld.so and dladdr search at every start.
STATICLIBS  := $(BUILD)/staticlibs
PKGCONFIG   := $(BUILD)/pkgconfig
LINKFLAGS   := -Xlinker --no-export-dynamic
ifeq ($(CONFIG),release)
# No $ORIGIN RUNPATH: the executables are static PIE, which glibc refuses to start with one.
LINKFLAGS   += --pkg-config-path $(CURDIR)/$(PKGCONFIG) --disable-local-rpath
endif
SWIFTFLAGS  := -c $(CONFIG) $(STATIC) --scratch-path $(SCRATCH) $(LINKFLAGS)
PRODUCTS    := $(SCRATCH)/$(CONFIG)

DEB_PACKAGES := libseccomp-dev libcap-dev libarchive-dev libsqlite3-dev libssl-dev \
	busybox-static containernetworking-plugins iptables iproute2 appc-spec gnupg skopeo \
	docker-registry hyperfine crun runc systemd-container gcc libc6-dev pkg-config tar gzip \
	bzip2 xz-utils python3 openssl time util-linux liblzma-dev libbz2-dev zlib1g-dev libstdc++-12-dev

.PHONY: all build binaries acis install test unit-test functional-test demo bench order clean deps check-version

all: binaries acis

# One swift build for the four executables (they share most objects), then stripped copies.
# stage0 is two of them: `rkt` and `rkt-full`, which it execs (docs/hacking.md).
binaries: $(PKGCONFIG)/.stamp
	swift build $(SWIFTFLAGS) --product rkt
	swift build $(SWIFTFLAGS) --product rkt-full
	swift build $(SWIFTFLAGS) --product rkt-stage1
	swift build $(SWIFTFLAGS) --product rkt-stage1-fly
	mkdir -p $(BIN)
	for b in rkt rkt-full rkt-stage1 rkt-stage1-fly; do strip -o $(BIN)/$$b.tmp $(PRODUCTS)/$$b && mv $(BIN)/$$b.tmp $(BIN)/$$b; done

# For each pkg-config name the package uses: a .pc whose Libs point at $(STATICLIBS), and there
# libX.a → GROUP(the static archives X needs, in link order), found by the compiler's own
# library search (Debian's multiarch directory).
STATIC_GROUPS := libarchive:archive:archive,lzma,bz2,z sqlite3:sqlite3:sqlite3 libcrypto:crypto:crypto \
	libseccomp:seccomp:seccomp libcap:cap:cap -:stdc++:stdc++
$(PKGCONFIG)/.stamp: Makefile
	mkdir -p $(STATICLIBS) $(PKGCONFIG)
	for g in $(STATIC_GROUPS); do \
	  IFS=: read -r pc name deps <<<"$$g"; libs=""; \
	  for l in $${deps//,/ }; do \
	    a=$$(gcc -print-file-name=lib$$l.a); \
	    [ -f "$$a" ] || { echo "missing static library lib$$l.a (make deps)" >&2; exit 1; }; \
	    libs="$$libs $$(readlink -f $$a)"; \
	  done; \
	  echo "GROUP ($$libs )" >$(STATICLIBS)/lib$$name.a; \
	  [ "$$pc" = - ] && continue; \
	  printf 'Name: %s\nDescription: %s linked statically (see Makefile)\nVersion: 0\nLibs: -L%s -l%s\nCflags:\n' \
	    "$$pc" "$$pc" "$(CURDIR)/$(STATICLIBS)" "$$name" >$(PKGCONFIG)/$$pc.pc; \
	done
	touch $@

acis: $(BIN)/stage1-fly.aci $(BIN)/stage1.aci

$(BIN)/stage1-fly.aci: $(BIN)/rkt-stage1-fly scripts/build-stage1-aci.sh stage0/Stage0Core/Version.swift
	scripts/build-stage1-aci.sh fly $(BIN)/rkt-stage1-fly "$(VERSION)" $@
	actool validate $@

$(BIN)/stage1.aci: $(BIN)/rkt-stage1 scripts/build-stage1-aci.sh stage0/Stage0Core/Version.swift
	scripts/build-stage1-aci.sh swift $(BIN)/rkt-stage1 "$(VERSION)" $@
	actool validate $@

# The stage1 binaries are produced by `binaries`; this rule only lets make order things.
$(BIN)/rkt-stage1 $(BIN)/rkt-stage1-fly: binaries

# rkt looks for its default stage1 image next to its own binary.
install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BIN)/rkt $(BIN)/rkt-full $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 $(BIN)/stage1.aci $(BIN)/stage1-fly.aci $(DESTDIR)$(PREFIX)/bin/

# Functional tests run build/bin/rkt. `make test` builds build/bin as `make` does (release: the
# static PIE executables, lld, the order file), so the suites test what users run; `swift test`
# builds the unit tests in debug in the same scratch directory, so dependencies compile twice
# (about 8 more minutes on 2 cores from a clean clone). Unit and functional suites run in one
# swift test invocation, in parallel; each test has its own dirs.
test:
	$(MAKE) all
	RKT_BUILD_DIR=$(CURDIR)/$(BIN) swift test --scratch-path $(SCRATCH) --parallel

unit-test:
	swift test --scratch-path $(SCRATCH) --parallel --skip FunctionalTests

functional-test:
	$(MAKE) all
	RKT_BUILD_DIR=$(CURDIR)/$(BIN) swift test --scratch-path $(SCRATCH) --parallel --filter FunctionalTests

# The demo image: busybox-static + a manifest, built offline, run as a pod with the full stage1
# (DEMO_STAGE1=fly: the fly stage1).
demo: all
	scripts/build-demo-aci.sh $(BUILD)/demo.aci
	$(BIN)/rkt --dir=$(BUILD)/demo-data --insecure-options=image run \
		--stage1-path=$(CURDIR)/$(BIN)/$(if $(filter fly,$(DEMO_STAGE1)),stage1-fly.aci,stage1.aci) \
		$(BUILD)/demo.aci --exec=/bin/sh -- -c 'echo "hello from a Swift rkt pod: $$(uname -s) $$(id -u)"'

# Side by side with crun, runc, systemd-nspawn and the floors; results in build/bench/. RUNS,
# WARMUP, SUITES, IMPORT_RUNS, GC_ROUNDS… pass through the environment (see bench/run.sh).
bench: all
	RKT_BUILD_DIR=$(CURDIR)/$(BIN) RES=$(CURDIR)/$(BUILD)/bench bench/run.sh

# Regenerates stage0/rkt/rkt.order and stage0/rkt-full/rkt.order (the code layout of release
# builds) from callgrind runs of the common commands, then relinks (root, valgrind; see
# scripts/profile-order.sh).
order: all
	SCRATCH=$(CURDIR)/$(SCRATCH) BIN=$(CURDIR)/$(BIN) scripts/profile-order.sh
	rm -f $(PRODUCTS)/rkt $(PRODUCTS)/rkt-full
	$(MAKE) all

clean:
	if [ -d $(BUILD)/demo-data ] && [ -x $(BIN)/rkt ]; then $(BIN)/rkt --dir=$(BUILD)/demo-data gc --grace-period=0s || true; fi
	rm -rf $(BUILD)
	swift package clean --scratch-path $(SCRATCH)

# Idempotent: nothing happens when every package is already installed.
deps:
	missing=(); for p in $(DEB_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing+=($$p); \
	done; \
	if [ $${#missing[@]} -gt 0 ]; then \
		echo "installing: $${missing[*]}"; \
		apt-get update -qq; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$${missing[@]}"; \
	fi
