import CShim
import CSpawn
import Glibc
import RktCommon
import RktOS
import Stage1Net

/// `pod-init`: pid 1 of the pod, a fresh single-threaded process exec'd by init inside the new
/// pid/mount/uts/ipc namespaces. It builds every app's mounts, pivots into the stage1 rootfs,
/// starts the apps with `rkt_spawn`, reaps, and writes `rkt/status/<app>`.
public enum PodInit {
    public static func main() -> Int32 {
        Signals.block()
        // Exec'd as /proc/self/exe, so the kernel named us "exe"; name the stage (youki/runc style).
        _ = rkt_prctl_set_name("pod-init")
        do {
            let (_, o) = try readPlan()
            Log.debug = o.debug
            let manifest = try readFD(InitCommand.manifestFDEnv, what: "pod manifest")
            let apps = try prepare(podDir: podDirectory, manifest: manifest, options: o)
            return try Supervisor(apps: apps, interactive: o.interactive).run()
        } catch let e as RktError {
            Log.error(e)
            return e.exitCode
        } catch {
            Log.error(RktError("pod-init", cause: error))
            return ExitCode.failure
        }
    }

    /// Where pod-init keeps the files it generates for the apps (hostname, hosts), in the stage1
    /// rootfs: a tmpfs over the image's `/tmp`.
    static let generatedDir = "tmp"

    /// The pod directory as pod-init reaches it. Init leaves the working directory at the pod
    /// dir: its real path when pod-init can walk it (mount steps match targets against
    /// /proc/self/mountinfo, which names real paths), else the `/proc/self/cwd` magic link, which
    /// needs no search permission on the directories above (the shifted root of a
    /// `--private-users` pod lacks it).
    static var podDirectory: String {
        let magic = "/proc/self/cwd"
        if let real = try? FileSystem.readlink(magic), real.hasPrefix("/"),
           access(PathUtil.join(real, PodFile.stage1Dir), X_OK) == 0 {
            return real
        }
        return magic
    }

    /// Reads and closes the fd named by environment variable `name`.
    static func readFD(_ name: String, what: String) throws -> [UInt8] {
        guard let v = getenv(name), let fd = Int32(String(cString: v)) else {
            throw RktError("pod-init: \(name) is not set")
        }
        let bytes = try FileIO.readAll(fd: fd, what: what)
        FileIO.close(fd)
        unsetenv(name)
        return bytes
    }

    /// Blocks until init has created the apps' cgroups and set the pod's network up (it does
    /// both while pod-init mounts). When that failed, init reports why; pod-init exits without
    /// starting any app.
    static func waitForInit() {
        guard let v = getenv(InitCommand.readyFDEnv), let fd = Int32(String(cString: v)) else { return }
        unsetenv(InitCommand.readyFDEnv)
        var byte: UInt8 = 0
        var n = 0
        repeat { n = read(fd, &byte, 1) } while n < 0 && errno == EINTR
        FileIO.close(fd)
        if n != 1 || byte != UInt8(ascii: "1") { exit(ExitCode.failure) }
    }

    /// The plan: the pod dir (for messages) and the run options, NUL-separated.
    static func readPlan() throws -> (String, RunOptions) {
        let bytes = try readFD(InitCommand.planFDEnv, what: "pod-init plan")
        let parts = bytes.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        guard let podDir = parts.first else { throw RktError("pod-init: empty plan") }
        return (podDir, try RunOptions.parse(Array(parts.dropFirst())))
    }

    /// Mounts, then pivot_root; returns the spawn requests (paths already relative to the new root).
    static func prepare(podDir: String, manifest: [UInt8], options o: RunOptions) throws -> [PlannedApp] {
        // Nothing we mount from here on may propagate back to the host.
        try Mounts.makePrivate("/")
        let s1 = PathUtil.join(podDir, PodFile.stage1Rootfs)
        try Mounts.bind(s1, s1, recursive: true)
        let spec = try PodSpec.load(podDir: podDir, manifest: manifest)

        // /etc/hostname, /etc/hosts, /etc/resolv.conf sources (rkt-architecture.md §8.4). The
        // generated ones live on a tmpfs over the stage1's /tmp: written into the stage1 rootfs,
        // each was a new inode in the overlay's upper directory on the pod's filesystem, and etc/
        // a copy-up, for files nobody reads once the pod is gone (docs/performance.md).
        let generated = PathUtil.join(s1, Self.generatedDir)
        try FileSystem.mkdirAll(generated)
        try Mounts.tmpfs(generated, flags: [.noSuid, .noDev, .noExec], options: "mode=755")
        let hostnameFile = PathUtil.join(generated, "hostname")
        try FileIO.writeFile(hostnameFile, o.podHostname + "\n")
        let rktHosts = PathUtil.join(s1, Stage1Path.hosts)
        let fallback = PathUtil.join(s1, Stage1Path.hostsFallback)
        let podHosts = PathUtil.join(generated, "hosts")
        var hostsFile: String?
        var hostsFromFallback = false
        switch o.hostsMode {
        case "host": hostsFile = "/etc/hosts"
        default:
            if FileSystem.exists(rktHosts) {
                // stage0's --hosts-entry lines: the pod's own name must resolve as well.
                if let text = try? FileIO.readString(rktHosts), !Self.hostsNames(text).contains(o.podHostname) {
                    try FileIO.writeFile(podHosts, text + (text.isEmpty || text.hasSuffix("\n") ? "" : "\n")
                                         + "127.0.0.1\t\(o.podHostname)\n")
                    hostsFile = podHosts
                } else {
                    hostsFile = rktHosts
                }
            } else {
                let base = (try? FileIO.readString(fallback)) ?? "127.0.0.1\tlocalhost\n::1\tlocalhost\n"
                try FileIO.writeFile(podHosts, base + "127.0.0.1\t\(o.podHostname)\n")
                hostsFile = podHosts
                hostsFromFallback = true
            }
        }
        // sharedVolumes: made by init in a user namespace (host volumes are staged there), else
        // here when an empty volume needs it.
        let shared = PathUtil.join(podDir, PodFile.sharedVolumes)
        var allVolumes = try attachHostVolumes(spec.volumes, stagingDir: shared)
        for app in spec.apps { allVolumes += MountPlan.implicitVolumes(app, volumes: spec.volumes).map(\.0) }
        if allVolumes.contains(where: { $0.kind == "empty" }) { try FileSystem.mkdirAll(shared, mode: 0o700) }
        for v in allVolumes where v.kind == "empty" {
            let dir = PathUtil.join(shared, v.name)
            if !FileSystem.exists(dir) {
                try FileSystem.mkdirAll(dir)
                try FileSystem.chmod(dir, mode_t(v.mode.flatMap { UInt32($0, radix: 8) } ?? 0o755))
                try FileSystem.chown(dir, uid: uid_t(v.uid ?? 0), gid: gid_t(v.gid ?? 0))
            }
        }

        // The apps' /dev/console: the terminal the pod runs on, as nspawn gave it, else /dev/null.
        let console = isatty(0) == 1 ? ttyname(0).map { String(cString: $0) } ?? "/dev/null" : "/dev/null"
        let privateNetwork = (try? NetSelection.parse(o.net.joined(separator: ",")))?.isContained ?? false

        let cg = CgroupHost.detect()
        let podCg = (try? FileIO.readString(PathUtil.join(podDir, PodFile.subcgroup)))?.trimmingSpaces()

        // Each app's mounts up to /etc/resolv.conf are made while init sets the network up; the
        // network's DNS decides resolv.conf, so the rest waits for it.
        var staged: [(app: RuntimeAppSpec, rootfs: String, rest: [MountStep])] = []
        for app in spec.apps {
            let rootfs = PathUtil.join(s1, Stage1Path.appRootfs(app.name))
            try Mounts.bind(rootfs, rootfs)
            let imageHasHosts = FileSystem.exists(PathUtil.join(rootfs, "etc/hosts"))
            let input = MountPlanInput(
                app: app, volumes: allVolumes, sharedVolumesDir: shared,
                hostsFile: (hostsFromFallback && imageHasHosts) ? nil : hostsFile,
                resolvFile: nil, hostnameFile: hostnameFile, imageHasHosts: imageHasHosts,
                maskPaths: !o.disablePaths, consoleSource: console, privateNetwork: privateNetwork)
            let steps = try MountPlan.plan(input)
            let cut = MountPlan.resolvConfIndex(steps)
            try MountExecutor.apply(Array(steps[..<cut]), rootfs: rootfs)
            staged.append((app, rootfs, Array(steps[cut...])))
        }
        waitForInit()
        let rktResolv = PathUtil.join(s1, Stage1Path.resolvConf)
        var resolvFile: String?
        switch o.resolvMode {
        case "host": resolvFile = "/etc/resolv.conf"
        case "none": resolvFile = nil
        default: resolvFile = FileSystem.exists(rktResolv) ? rktResolv : nil
        }
        var planned: [PlannedApp] = []
        for (app, rootfs, rest) in staged {
            try MountExecutor.apply(MountPlan.resolvConfSteps(resolvFile) + rest, rootfs: rootfs)
            // cgroup.procs must be opened now: /sys/fs/cgroup is gone after the pivot.
            let procs = podCg.flatMap { try? cg.openProcs($0 + "/" + app.name) } ?? []
            planned.append(try AppLauncher.plan(
                app: app, hostRootfs: rootfs, podDir: podDir, options: o, cgroupProcs: procs,
                seccompDir: PathUtil.join(s1, SeccompPrecompiled.directory)))
        }
        try pivot(s1)
        return isolateMountNamespaces(planned)
    }

    /// Every name an /etc/hosts text maps (comments dropped).
    static func hostsNames(_ text: String) -> Set<String> {
        var names = Set<String>()
        for line in text.split(separator: "\n") {
            let fields = line.prefix { $0 != "#" }.split(whereSeparator: { $0 == " " || $0 == "\t" })
            names.formUnion(fields.dropFirst().map(String.init))
        }
        return names
    }

    /// Host volumes that init passed as detached mounts (`--private-users`) are attached under
    /// `sharedVolumes/.host-<name>` (gone with the old root at the pivot) and bound from there.
    static func attachHostVolumes(_ volumes: [Volume], stagingDir: String) throws -> [Volume] {
        guard let v = getenv(InitCommand.volumeFDsEnv) else { return volumes }
        var fds: [String: Int32] = [:]
        for pair in String(cString: v).split(separator: ",") {
            let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
            if kv.count == 2, let fd = Int32(kv[1]) { fds[kv[0]] = fd }
        }
        unsetenv(InitCommand.volumeFDsEnv)
        return try volumes.map { vol in
            guard vol.kind == Volume.kindHost, let fd = fds[vol.name] else { return vol }
            let staging = PathUtil.join(stagingDir, ".host-" + vol.name)
            let st = try FileSystem.stat("/proc/self/fd/\(fd)")
            if st.isDirectory { try FileSystem.mkdirAll(staging, mode: 0o700) } else { try FileSystem.touch(staging, mode: 0o600) }
            guard rkt_move_mount_fd(fd, staging) == 0 else { throw RktError.errno("attach host volume \(vol.name)", staging) }
            FileIO.close(fd)
            var out = vol
            out.source = staging
            return out
        }
    }

    /// Every app gets its own mount namespace (rkt's `--check-mountns`), a copy of pod-init's in
    /// which the other apps' rootfs trees are detached, so no app sees another's mounts.
    static func isolateMountNamespaces(_ apps: [PlannedApp]) -> [PlannedApp] {
        apps.map { app in
            var a = app
            a.request.cloneFlags |= Namespace.mnt.cloneFlag
            a.request.detachMounts = apps.filter { $0.name != app.name }.map { "/" + Stage1Path.appRootfs($0.name) }
            return a
        }
    }

    /// pivot_root into the stage1 rootfs and drop the old root (the `pivot_root(".", ".")` idiom:
    /// the old root ends up stacked under the new one and is detached right away).
    static func pivot(_ newRoot: String) throws {
        let proc = PathUtil.join(newRoot, "proc")
        try FileSystem.mkdirAll(proc)
        try Mounts.mount(source: "proc", target: proc, fsType: "proc", flags: [.noSuid, .noDev, .noExec])
        // /sys read-only with the host's cgroup hierarchies, so apps with CAP_SYS_PTRACE can read
        // their limits through /proc/1/root/sys/fs/cgroup and nothing in the pod can write them.
        let sys = PathUtil.join(newRoot, "sys")
        try FileSystem.mkdirAll(sys)
        try Mounts.bind("/sys", sys, recursive: true, readOnly: true)
        // A minimal /dev for pod-init itself (the apps' /dev is set up per app).
        let dev = PathUtil.join(newRoot, "dev")
        try FileSystem.mkdirAll(dev)
        try Mounts.tmpfs(dev, flags: [.noSuid], options: "mode=755")
        for d in ["null", "zero", "urandom"] {
            let t = PathUtil.join(dev, d)
            try FileSystem.touch(t)
            try Mounts.bind("/dev/" + d, t)
        }
        guard chdir(newRoot) == 0 else { throw RktError.errno("chdir", newRoot) }
        guard rkt_pivot_root(".", ".") == 0 else { throw RktError.errno("pivot_root", newRoot) }
        guard umount2(".", Int32(MNT_DETACH)) == 0 else { throw RktError.errno("unmount old root") }
        guard chdir("/") == 0 else { throw RktError.errno("chdir", "/") }
    }
}
