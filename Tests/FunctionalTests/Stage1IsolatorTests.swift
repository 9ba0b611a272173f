import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Isolators and security options of the full stage1 seen from inside the pod (issue #4
/// "Isolators and security options"): cgroup limits, capabilities, seccomp, oom score,
/// read-only rootfs, credentials and the `--insecure-options` that turn protections off.
@Suite("full stage1 isolators")
struct Stage1IsolatorTests {
    static func inspect(_ env: RktTestEnv, _ args: [String], flags: [String] = [], runFlags: [String] = [],
                        patch: (inout TestManifest) -> Void = { _ in }) throws -> CommandResult {
        let img = try TestImages.inspect(patch)
        return env.run(["--net=host"] + runFlags + [img] + flags + ["--exec=/inspect", "--"] + args)
    }

    /// The `Capability set: bounding:` names inspect printed.
    static func bounding(_ r: CommandResult) -> Set<String> {
        guard let line = r.stdout.split(separator: "\n").first(where: { $0.hasPrefix("Capability set: bounding: ") }) else { return [] }
        let list = line.dropFirst("Capability set: bounding: ".count).split(separator: "(").first ?? ""
        return Set(list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
    }

    @Test("--cpu and --cpu-shares land in the app's cgroup, and so do the image's resource and cpu-shares isolators")
    func cpu() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let r = try Self.inspect(env, ["--print-cpuquota", "--print-cpushares"],
                                 flags: ["--cpu=300m", "--cpu-shares=512", "--caps-retain=CAP_SYS_PTRACE"])
        #expect(r.exit == 0, "\(r)")
        #expect(r.stdout.contains("CPU Quota: 300\n"), "\(r)")
        #expect(r.stdout.contains("CPU Shares: 512"), "\(r)")
        // Without flags the image's isolators apply: rkt-inspect's resource/cpu 800m and
        // resource/memory 25Mi, plus a cpu-shares one.
        let image = try Self.inspect(env, ["--print-cpuquota", "--print-cpushares", "--print-memorylimit"],
                                     flags: ["--caps-retain=CAP_SYS_PTRACE"]) {
            $0.addIsolator("os/linux/cpu-shares", .number(2048))
        }
        #expect(image.stdout.contains("CPU Quota: 800\n"), "\(image)")
        #expect(image.stdout.contains("CPU Shares: 2048"), "\(image)")
        #expect(image.stdout.contains("Memory Limit: 26214400"), "\(image)")
    }

    @Test("--memory is enforced: an app allocating beyond it is killed, below it runs")
    func memoryEnforced() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let over = try Self.inspect(env, ["--alloc-mb=160"], flags: ["--memory=48Mi"])
        #expect(over.exit == 128 + SIGKILL, "OOM-killed: \(over)")
        #expect(!over.stdout.contains("Allocated"), "\(over)")
        let under = try Self.inspect(env, ["--alloc-mb=16"], flags: ["--memory=48Mi"])
        #expect(under.exit == 0, "\(under)")
        #expect(under.stdout.contains("Allocated 16 MiB"), "\(under)")
    }

    @Test("each app's cgroup is a child of the pod's machine scope")
    func appCgroupUnderPod() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let img = try TestImages.busybox()
        let uuidFile = env.tmpDir + "/uuid"
        let r = env.run(["--net=host", "--uuid-file-save=" + uuidFile, img, "--name=cgapp", "--exec=/bin/cat", "--", "/proc/self/cgroup"])
        #expect(r.exit == 0, "\(r)")
        let uuid = Stage1VolumeTests.uuid(uuidFile)
        let scope = "/machine.slice/machine-rkt\\x2d" + uuid.replacingOccurrences(of: "-", with: "\\x2d") + ".scope/cgapp"
        let lines = r.stdout.split(separator: "\n").map { $0.split(separator: ":", maxSplits: 2).map(String.init) }
        for controller in ["memory", "cpu", "pids"] {
            let line = lines.first { $0.count == 3 && $0[1].split(separator: ",").contains(Substring(controller)) }
            #expect(line?[2] == scope, "\(controller) under \(scope): \(r)")
        }
    }

    @Test("--caps-remove subtracts from the default set; the image's capability isolators apply without flags")
    func capabilityIsolators() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let removed = try Self.inspect(env, ["--print-caps-pid=0"], flags: ["--caps-remove=CAP_CHOWN,CAP_KILL"])
        #expect(removed.exit == 0, "\(removed)")
        let set = Self.bounding(removed)
        #expect(set.count == 12 && !set.contains("chown") && !set.contains("kill") && set.contains("mknod"), "\(removed)")
        let retain = try Self.inspect(env, ["--print-caps-pid=0"]) { $0.retainCapabilities(["CAP_SYS_TIME", "CAP_NET_ADMIN"]) }
        #expect(Self.bounding(retain) == ["sys_time", "net_admin"], "\(retain)")
        let remove = try Self.inspect(env, ["--print-caps-pid=0"]) { $0.removeCapabilities(["CAP_MKNOD"]) }
        #expect(Self.bounding(remove).count == 13 && !Self.bounding(remove).contains("mknod"), "\(remove)")
        // The flag replaces the image's capability isolator.
        let flagWins = try Self.inspect(env, ["--print-caps-pid=0"], flags: ["--caps-retain=CAP_AUDIT_WRITE"]) {
            $0.retainCapabilities(["CAP_SYS_TIME"])
        }
        #expect(Self.bounding(flagWins) == ["audit_write"], "\(flagWins)")
    }

    @Test("--insecure-options=capabilities leaves every capability in the bounding set")
    func insecureCapabilities() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        env.insecureOptions = "image,capabilities"
        let r = try Self.inspect(env, ["--print-caps-pid=0"])
        #expect(r.exit == 0, "\(r)")
        let set = Self.bounding(r)
        #expect(set.contains("sys_admin") && set.contains("sys_module") && set.contains("net_admin"), "\(r)")
    }

    @Test("the default seccomp filter allows ordinary syscalls")
    func defaultSeccompAllows() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let ok = try Self.inspect(env, ["--print-seccomp-mode", "--syscall=uname"])
        #expect(ok.exit == 0, "\(ok)")
        #expect(ok.stdout.contains("Seccomp: 2") && ok.stdout.contains("syscall uname: ok"), "\(ok)")
    }

    @Test("the default seccomp filter kills syscalls of rkt's blocklist", arguments: ["kcmp", "unshare", "umount2", "swapoff"])
    func defaultSeccompKills(syscall: String) throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let blocked = try Self.inspect(env, ["--syscall=" + syscall])
        #expect(blocked.exit == 128 + SIGSYS, "killed by SIGSYS: \(blocked)")
        #expect(!blocked.stdout.contains("syscall \(syscall)"), "\(blocked)")
    }

    @Test("--insecure-options=seccomp runs the app without a filter")
    func insecureSeccomp() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        env.insecureOptions = "image,seccomp"
        let r = try Self.inspect(env, ["--print-seccomp-mode", "--syscall=kcmp"])
        #expect(r.exit == 0, "\(r)")
        #expect(r.stdout.contains("Seccomp: 0") && r.stdout.contains("syscall kcmp: ok"), "\(r)")
    }

    @Test("--seccomp retain and remove sets with errno, named groups, and the image's seccomp isolator")
    func seccompSets() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        // Retain the whitelist group: everything else fails with the errno instead of killing.
        let retain = try Self.inspect(env, ["--syscall=kcmp"],
                                      flags: ["--seccomp=mode=retain,errno=ENOTSUP,@rkt/default-whitelist"])
        #expect(retain.exit == 0, "\(retain)")
        #expect(retain.stdout.contains("syscall kcmp: operation not supported"), "\(retain)")
        // Remove one syscall: it fails, others (even outside the whitelist) work.
        let remove = try Self.inspect(env, ["--syscall=uname"], flags: ["--seccomp=mode=remove,errno=EPERM,uname"])
        #expect(remove.stdout.contains("syscall uname: operation not permitted"), "\(remove)")
        let removeOther = try Self.inspect(env, ["--syscall=kcmp"], flags: ["--seccomp=mode=remove,errno=EPERM,uname"])
        #expect(removeOther.stdout.contains("syscall kcmp: ok"), "\(removeOther)")
        // Remove rkt's blacklist group.
        let group = try Self.inspect(env, ["--syscall=unshare"], flags: ["--seccomp=mode=remove,errno=EACCES,@rkt/default-blacklist"])
        #expect(group.stdout.contains("syscall unshare: permission denied"), "\(group)")
        // The image's own isolator, without any flag.
        let image = try Self.inspect(env, ["--syscall=getcwd"]) {
            $0.setSeccomp(mode: "remove", set: ["getcwd"], errno: "ENOTDIR")
        }
        #expect(image.stdout.contains("syscall getcwd: not a directory"), "\(image)")
    }

    @Test("the image's no-new-privileges isolator applies to a root app")
    func noNewPrivilegesIsolator() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let r = try Self.inspect(env, ["--print-no-new-privs"]) { $0.addIsolator("os/linux/no-new-privileges", .bool(true)) }
        #expect(r.exit == 0, "\(r)")
        #expect(r.stdout.contains("no_new_privs: 1"), "\(r)")
    }

    @Test("a bad seccomp group, errno or capability in the image stops the pod with one clear line and exit 254",
          arguments: [("seccomp-group", "@nope/group"), ("errno", "EBOGUS"), ("capability", "CAP_BOGUS")])
    func badIsolators(kind: String, value: String) throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let r = try Self.inspect(env, ["--print-msg=should-not-run"]) { m in
            switch kind {
            case "seccomp-group": m.setSeccomp(mode: "retain", set: [value])
            case "errno": m.setSeccomp(mode: "remove", set: ["uname"], errno: value)
            default: m.retainCapabilities([value])
            }
        }
        #expect(r.exit == 254, "\(r)")
        #expect(!r.stdout.contains("should-not-run"), "\(r)")
        // stage0 already rejects an unknown capability when importing the image; stage1 the rest.
        let prefix = kind == "capability" ? "run: " : "stage1: "
        #expect(r.stderr.split(separator: "\n").contains { $0.hasPrefix(prefix) && $0.contains(value) }, "\(r)")
    }

    @Test("--oom-score-adj and the image's oom-score-adj isolator set /proc/self/oom_score_adj")
    func oomScoreAdj() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let img = try TestImages.busybox()
        let r = env.run(["--net=host", img, "--oom-score-adj=700", "--exec=/bin/cat", "--", "/proc/self/oom_score_adj"])
        #expect(r.exit == 0, "\(r)")
        #expect(r.stdout == "700\n", "\(r)")
        // Positive only: lowering the score needs CAP_SYS_RESOURCE, which CI's root may lack.
        let iso = try TestImages.busybox { $0.addIsolator("os/linux/oom-score-adj", .number(321)) }
        let image = env.run(["--net=host", iso, "--exec=/bin/cat", "--", "/proc/self/oom_score_adj"])
        #expect(image.stdout == "321\n", "\(image)")
    }

    @Test("--readonly-rootfs makes the rootfs read-only but leaves /dev/shm and volumes writable")
    func readOnlyRootfs() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let img = try TestImages.busybox()
        let dir = env.tmpDir + "/vol"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let script = "touch /rootfs-file 2>&1; touch /dev/shm/x && echo shm=ok; touch /vol/x && echo vol=ok"
        let r = env.run(["--net=host", "--volume=vol,kind=host,source=\(dir)", "--mount=volume=vol,target=/vol",
                         img, "--readonly-rootfs=true", "--exec=/bin/sh", "--", "-c", script])
        #expect(r.exit == 0, "\(r)")
        #expect(r.output.lowercased().contains("read-only file system"), "\(r)")
        #expect(r.stdout.contains("shm=ok") && r.stdout.contains("vol=ok"), "\(r)")
        let rw = env.run(["--net=host", img, "--exec=/bin/sh", "--", "-c", "touch /rootfs-file && echo root=rw"])
        #expect(rw.stdout.contains("root=rw"), "\(rw)")
    }

    @Test("--supplementary-gids and the image's user and group names resolve inside the image")
    func credentials() throws {
        let env = try Stage1FullTests.fullEnv()
        defer { env.cleanup() }
        let gids = try Self.inspect(env, ["--print-user", "--print-groups"], flags: ["--user=1000", "--group=100", "--supplementary-gids=10,20"])
        #expect(gids.exit == 0, "\(gids)")
        #expect(gids.stdout.contains("Groups: 10 20 100 \n"), "\(gids)")
        let named = try Self.inspect(env, ["--print-user"]) { $0.setUser("user1"); $0.setGroup("group1") }
        #expect(named.stdout.contains("User: uid=1000 euid=1000 gid=100 egid=100"), "\(named)")
        let img = try TestImages.busybox()
        let flags = env.run(["--net=host", img, "--user=user", "--group=user", "--exec=/bin/id"])
        #expect(flags.stdout.contains("uid=1000(user) gid=1000(user)"), "\(flags)")
        // A path names its owner and group (appc), looked up inside the image: an image whose
        // /home/user keeps its owner 1000:1000 (the test images are otherwise root-owned).
        let work = env.tmpDir + "/owned"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        try TestImages.busyboxManifest().serialized.write(toFile: work + "/manifest", atomically: false, encoding: .utf8)
        try mustRun("/bin/cp", ["-a", try ImageCache.shared.busyboxRootfs(), work + "/rootfs"])
        try mustRun("/bin/tar", ["--numeric-owner", "-cf", work + ".aci", "-C", work, "manifest", "rootfs"])
        let owner = env.run(["--net=host", work + ".aci", "--user=/home/user", "--group=/home/user", "--exec=/bin/id"])
        #expect(owner.stdout.contains("uid=1000(user) gid=1000(user)"), "\(owner)")
        let missing = try Self.inspect(env, ["--print-user"], flags: ["--user=nobody-here"])
        #expect(missing.exit != 0 && missing.output.contains("nobody-here"), "\(missing)")
    }
}
