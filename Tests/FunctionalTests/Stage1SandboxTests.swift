import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The full stage1's sandbox seen from inside the pod (issue #4 "Sandbox"): namespaces, the app
/// rootfs under /opt/stage2, its /dev, /proc, /sys, masked kernel paths, /etc files and the
/// environment of the App Container Executor spec.
@Suite("full stage1 sandbox")
struct Stage1SandboxTests {
    /// The namespace link `/proc/self/ns/<ns>` of the test process (the host's).
    static func hostNamespace(_ ns: String) -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/" + ns)) ?? "host-\(ns)-unknown"
    }

    @Test("the pod has its own pid, uts, ipc and mount namespaces with pod-init as pid 1")
    func namespaces() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let img = try TestImages.busybox()
        let script = "for n in pid uts ipc mnt net; do echo $n=$(readlink /proc/self/ns/$n); done; "
            + "echo comm1=$(cat /proc/1/comm); echo self=$$; echo hostname=$(hostname)"
        let r = env.run(["--net=host", "--hostname=sandbox-host", img, "--exec=/bin/sh", "--", "-c", script])
        #expect(r.exit == 0, "\(r)")
        let v = parseKeyValues(r.stdout)
        for ns in ["pid", "uts", "ipc", "mnt"] {
            #expect(v[ns] != nil && v[ns] != Self.hostNamespace(ns), "\(ns): \(r)")
        }
        #expect(v["net"] == Self.hostNamespace("net"), "--net=host shares the host netns: \(r)")
        #expect(v["comm1"] == "pod-init", "\(r)")
        #expect(v["self"].flatMap { Int($0) }.map { $0 > 1 } == true, "\(r)")
        #expect(v["hostname"] == "sandbox-host", "\(r)")
    }

    @Test("--ipc=auto and private give the pod its own IPC namespace, parent shares the host's",
          arguments: [("auto", false), ("private", false), ("parent", true)])
    func ipcModes(mode: String, shared: Bool) throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let r = try Stage1FullTests.inspect(env, ["--print-ipcns"], runFlags: ["--ipc=" + mode])
        #expect(r.exit == 0, "\(r)")
        let host = "IPCNS: " + Self.hostNamespace("ipc")
        #expect(r.stdout.contains(host) == shared, "host \(host): \(r)")
        #expect(r.stdout.contains("IPCNS: ipc:["), "\(r)")
    }

    @Test("each app runs chrooted in /opt/stage2/<app>/rootfs of the stage1 rootfs")
    func appRootfs() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let img = try TestImages.busybox()
        // CAP_SYS_PTRACE lets the app look at pod-init's root through /proc/1/root.
        let script = "stat -c %d:%i / /proc/1/root/opt/stage2/first/rootfs /proc/1/root/opt/stage2/second/rootfs"
        let r = env.run(["--net=host", img, "--name=first", "--caps-retain=CAP_SYS_PTRACE", "--exec=/bin/sh", "--", "-c", script,
                         "---", img, "--name=second", "--exec=/bin/true"])
        #expect(r.exit == 0, "\(r)")
        let ids = r.stdout.split(separator: "\n").map(String.init)
        #expect(ids.count == 3, "\(r)")
        if ids.count == 3 {
            #expect(ids[0] == ids[1], "the app's / is /opt/stage2/first/rootfs: \(r)")
            #expect(ids[0] != ids[2], "\(r)")
        }
    }

    @Test("the app's /dev holds only the minimal device set, with the host's device numbers")
    func minimalDev() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let r = try Stage1FullTests.inspect(env, ["--list-dir=/dev"])
        #expect(r.exit == 0, "\(r)")
        let expected = [
            "console c 1:3", "fd l -> /proc/self/fd", "full c 1:7", "null c 1:3", "ptmx l -> pts/ptmx", "pts d",
            "random c 1:8", "shm d", "stderr l -> /proc/self/fd/2", "stdin l -> /proc/self/fd/0",
            "stdout l -> /proc/self/fd/1", "tty c 5:0", "urandom c 1:9", "zero c 1:5",
        ]
        #expect(r.stdout.split(separator: "\n").map(String.init) == expected, "\(r)")
        let pts = try Stage1FullTests.inspect(env, ["--list-dir=/dev/pts"])
        #expect(pts.stdout.split(separator: "\n").map(String.init) == ["ptmx c 5:2"], "a fresh devpts instance: \(pts)")
    }

    /// rkt's masked kernel paths (rkt-architecture.md §4.3) that exist on this host; kernels
    /// differ (this one may lack /proc/kcore or /proc/sysrq-trigger).
    static func existing(_ paths: [String]) -> [String] { paths.filter { FileManager.default.fileExists(atPath: $0) } }
    static let readOnlyPaths = existing(["/proc/sys", "/proc/bus", "/proc/sys/kernel/core_pattern", "/proc/sys/kernel/modprobe",
                                         "/proc/sys/vm/panic_on_oom", "/proc/sysrq-trigger"])
    static let hiddenFiles = existing(["/proc/config.gz", "/proc/kallsyms", "/proc/sched_debug", "/proc/kcore", "/proc/kmem", "/proc/mem"])
    static let hiddenDirs = existing(["/sys/firmware", "/sys/fs", "/sys/hypervisor", "/sys/module", "/sys/power"])

    /// Rewrites the pod's own (UTS-namespaced) hostname through /proc/sys: harmless, and allowed
    /// to root without extra capabilities, so only a read-only /proc/sys stops it.
    static let writeOwnHostname =
        "cat /proc/sys/kernel/hostname > /tmp/h; cat /tmp/h > /proc/sys/kernel/hostname 2>/dev/null && echo procsys=writable || echo procsys=readonly"

    /// mount point → per-mount options, from the app's mountinfo as a shell printed it.
    static func mountOptions(_ out: String) -> [String: String] {
        Dictionary(out.split(separator: "\n").compactMap { line -> (String, String)? in
            let p = line.split(separator: " ")
            return p.count == 2 && p[0].hasPrefix("/") ? (String(p[0]), String(p[1])) : nil
        }, uniquingKeysWith: { _, b in b })
    }

    @Test("/proc is the pod's, /sys and /proc/sys are read-only and the kernel's sensitive paths are masked")
    func procSysAndMasks() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let img = try TestImages.busybox()
        #expect(Self.readOnlyPaths.contains("/proc/sys") && Self.hiddenFiles.contains("/proc/kallsyms"), "host lacks the probes")
        let script = """
            grep -E ' /(proc|sys)(/[^ ]*)? ' /proc/self/mountinfo | awk '{print $5, $6}'
            for f in \(Self.hiddenFiles.joined(separator: " ")); do echo "hidden $f $(stat -c %t:%T $f) $(wc -c < $f)"; done
            for d in \(Self.hiddenDirs.joined(separator: " ")); do echo "hidden $d $(ls -A $d | wc -l)"; done
            touch /sys/rkt-probe 2>/dev/null && echo sys=writable || echo sys=readonly
            \(Self.writeOwnHostname)
            echo pid1=$(cat /proc/1/comm)
            """
        let r = env.run(["--net=host", img, "--exec=/bin/sh", "--", "-c", script])
        #expect(r.exit == 0, "\(r)")
        let mounts = Self.mountOptions(r.stdout)
        func readOnly(_ path: String) -> Bool { mounts[path]?.split(separator: ",").contains("ro") == true }
        #expect(mounts["/proc"] != nil && !readOnly("/proc"), "\(r)")
        #expect(readOnly("/sys"), "\(r)")
        for p in Self.readOnlyPaths { #expect(readOnly(p), "\(p) read-only: \(r)") }
        for f in Self.hiddenFiles { #expect(r.stdout.contains("hidden \(f) 1:3 0\n"), "\(f) is /dev/null: \(r)") }
        for d in Self.hiddenDirs { #expect(r.stdout.contains("hidden \(d) 0\n") && readOnly(d), "\(d) is an empty read-only dir: \(r)") }
        let v = parseKeyValues(r.stdout)
        #expect(v["sys"] == "readonly" && v["procsys"] == "readonly", "\(r)")
        #expect(v["pid1"] == "pod-init", "\(r)")
    }

    @Test("--insecure-options=paths leaves the kernel paths unmasked and /proc/sys writable")
    func insecurePaths() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        env.insecureOptions = "image,paths"
        let img = try TestImages.busybox()
        let r = env.run(["--net=host", img, "--exec=/bin/sh", "--", "-c",
                         "grep -E ' /(proc|sys)/[^ ]* ' /proc/self/mountinfo | awk '{print $5, $6}'; echo kallsyms=$(stat -c %t:%T /proc/kallsyms); " + Self.writeOwnHostname])
        #expect(r.exit == 0, "\(r)")
        let mounts = Self.mountOptions(r.stdout)
        for p in Self.readOnlyPaths + Self.hiddenFiles + Self.hiddenDirs { #expect(mounts[p] == nil, "\(p): \(r)") }
        #expect(r.stdout.contains("kallsyms=0:0") && r.stdout.contains("procsys=writable"), "\(r)")
    }

    @Test("with a netns of its own the pod may configure its /proc/sys/net, the rest of /proc/sys stays read-only")
    func privateNetworkSysctls() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let img = try TestImages.busybox()
        // Writes back the value read: harmless wherever it lands.
        let script = "v=$(cat /proc/sys/net/ipv4/ip_forward); echo $v > /proc/sys/net/ipv4/ip_forward && echo net=rw; "
            + Self.writeOwnHostname
        let r = env.run(["--net=none", img, "--caps-retain=CAP_NET_ADMIN", "--exec=/bin/sh", "--", "-c", script])
        #expect(r.exit == 0, "\(r)")
        #expect(r.stdout.contains("net=rw") && r.stdout.contains("procsys=readonly"), "\(r)")
    }

    @Test("an interactive pod's /dev/console is the terminal rkt runs on")
    func interactiveConsole() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let img = try TestImages.inspect()
        let p = try env.spawnPty(["run", env.stage1Flag, "--interactive", "--net=host", img, "--exec=/inspect", "--",
                                  "--list-dir=/dev", "--print-msg=listed"])
        #expect(p.expect("listed"), "\(p.wait())")
        let r = p.wait()
        #expect(r.exit == 0, "\(r)")
        // A Unix98 pty slave: major 136…143.
        #expect(r.output.range(of: #"console c 1(3[6-9]|4[0-3]):\d+"#, options: .regularExpression) != nil, "\(r)")
    }

    @Test("/etc/hostname, /etc/hosts, /etc/resolv.conf and /etc/mtab are provided")
    func etcFiles() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let img = try TestImages.busybox()
        let script = "cat /etc/hostname; cat /etc/hosts; cat /etc/resolv.conf; echo mtab=$(grep -c ' /proc proc ' /etc/mtab)"
        let r = env.run(["--net=host", "--hostname=etc-host", "--dns=192.0.2.53", "--dns-search=example.test",
                         img, "--exec=/bin/sh", "--", "-c", script])
        #expect(r.exit == 0, "\(r)")
        #expect(r.stdout.hasPrefix("etc-host\n"), "\(r)")
        #expect(r.stdout.range(of: #"127\.0\.0\.1\s+etc-host"#, options: .regularExpression) != nil, "\(r)")
        #expect(r.stdout.contains("localhost"), "\(r)")
        #expect(r.stdout.contains("nameserver 192.0.2.53"), "\(r)")
        #expect(r.stdout.contains("search example.test"), "\(r)")
        #expect(r.stdout.contains("mtab=1"), "\(r)")
        // --hosts-entry=host and --dns=host give the host's files.
        let host = env.run(["--net=host", "--hosts-entry=host", "--dns=host", img, "--exec=/bin/cat", "--", "/etc/hosts", "/etc/resolv.conf"])
        let hostFiles = try String(contentsOfFile: "/etc/hosts", encoding: .utf8) + String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8)
        #expect(host.exit == 0 && host.stdout == hostFiles, "\(host)")
        // An image with its own /etc/hosts keeps it.
        let own = try TestImages.busybox(files: ["etc/hosts": "192.0.2.7 own-hosts\n"])
        let kept = env.run(["--net=host", own, "--exec=/bin/cat", "--", "/etc/hosts"])
        #expect(kept.stdout == "192.0.2.7 own-hosts\n", "\(kept)")
    }

    @Test("the app environment has AC_APP_NAME, the executor defaults and the manifest's variables")
    func environment() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let bare = try TestImages.busybox { $0.app?.environment = [] }
        let r = env.run(["--net=host", "--set-env=FROM_FLAG=flag", bare, "--name=envapp", "--exec=/bin/env"])
        #expect(r.exit == 0, "\(r)")
        let v = parseKeyValues(r.stdout)
        #expect(v["AC_APP_NAME"] == "envapp", "\(r)")
        #expect(v["PATH"] == "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "\(r)")
        #expect(v["HOME"] == "/root" && v["USER"] == "root" && v["LOGNAME"] == "root" && v["SHELL"] == "/bin/sh", "\(r)")
        #expect(v["FROM_FLAG"] == "flag", "\(r)")
        // The image's own variables win over the defaults.
        let img = try TestImages.busybox { $0.setEnv("HOME", "/home/app"); $0.setEnv("IMAGE_VAR", "image") }
        let own = env.run(["--net=host", img, "--exec=/bin/env"])
        let o = parseKeyValues(own.stdout)
        #expect(o["HOME"] == "/home/app" && o["IMAGE_VAR"] == "image", "\(own)")
        #expect(o["PATH"] == "/bin:/usr/bin:/sbin:/usr/sbin", "\(own)")
        #expect(o["AC_APP_NAME"] == "rkt-busybox", "\(own)")
    }
}
