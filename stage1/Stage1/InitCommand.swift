import CShim
import CSpawn
import Glibc
import RktCommon
import RktOS
import Stage1Net

/// `/init`, the run entrypoint (rkt-architecture.md §1.4, §3.2):
///
///   init (host namespaces, holds the pod lock)
///     │ writes runtime-config, netns, subcgroup, the pod's and pod-init's cgroups
///     │ rkt_spawn(NEWPID|NEWNS|NEWUTS|NEWIPC [|NEWUSER], setns net, cgroup.procs, PDEATHSIG=KILL)
///     ▼
///   pod-init (pid 1 of the pod; plan on fd 3, RKT_STAGE1_PLAN_FD=3)
///     │ init writes pid, creates the apps' cgroups and runs the CNI ADD while pod-init mounts,
///     │ then writes "1" on the ready pipe (RKT_STAGE1_READY_FD) pod-init waits on before the
///     │ apps' resolv.conf; then waits; SIGTERM/SIGINT are forwarded to pod-init
///     ▼
///   exit status of pod-init = exit status of `rkt run`
public enum InitCommand {
    public static let planFDEnv = "RKT_STAGE1_PLAN_FD"
    public static let manifestFDEnv = "RKT_STAGE1_MANIFEST_FD"
    /// `name=fd,…`: detached mounts of the host volumes (`--private-users` pods only).
    public static let volumeFDsEnv = "RKT_STAGE1_VOLUME_FDS"
    /// Read end of the pipe on which init reports that the apps' cgroups and the pod's network
    /// are ready ("1"), or closes it when setting them up failed.
    public static let readyFDEnv = "RKT_STAGE1_READY_FD"

    public static func main(_ args: [String]) -> Int32 {
        do {
            return try run(try RunOptions.parse(args))
        } catch let e as RktError {
            Log.error(e)
            return e.exitCode
        } catch {
            Log.error(RktError("init", cause: error))
            return ExitCode.failure
        }
    }

    static func run(_ o: RunOptions) throws -> Int32 {
        Signals.block()
        let podDir = try currentDirectory()
        // Decoded once: the spec, and the forwarded ports for the CNI ADD below.
        let manifest = try PodManifestFile.load(podDir: podDir)
        let spec = try PodSpec.load(podDir: podDir, manifest: manifest)
        if spec.apps.isEmpty && !o.mutable { throw RktError("pod \(o.uuid) has no apps") }
        try FileIO.writeFileAtomic(PathUtil.join(podDir, PodFile.runtimeConfig), o.runtimeConfigJSON, durable: false)

        // The lock fd stays open here for the pod's whole life; CLOEXEC keeps it out of the apps.
        if let lock = getenv(Stage1Env.lockFD).flatMap({ Int32(String(cString: $0)) }) {
            try? FileIO.setCloseOnExec(lock, true)
        }

        // Networking.
        var cloneNS: [Namespace] = [.pid, .mnt, .uts]
        if o.ipc != "parent" { cloneNS.append(.ipc) }
        let selection = try NetSelection.parse(o.net.joined(separator: ","))
        var network: PodNetworking?
        var hostNetns: Int32 = -1
        defer { if hostNetns >= 0 { FileIO.close(hostNetns) } }
        var netnsPath = ""
        if selection.isContained {
            // The netns path is recorded before anything is set up in it, so gc can always find it.
            netnsPath = PathUtil.join(NamedNetns.directory, "cni-\(o.uuid)")
            try FileIO.writeFileAtomic(PathUtil.join(podDir, PodFile.netns), netnsPath, durable: false)
            try NamedNetns.create(at: netnsPath)
            network = PodNetworking(
                podDir: podDir, podUUID: o.uuid, stage1Rootfs: PathUtil.join(podDir, PodFile.stage1Rootfs),
                localConfig: o.localConfig ?? "/etc/rkt", debug: o.debug)
            // init joins the pod netns itself (it is single-threaded) and pod-init inherits it: a
            // child already in a new user namespace could not setns into a netns owned by ours.
            // The host netns fd is kept to come back for the CNI plugins and, when the pod
            // exits, for the DELs.
            hostNetns = try FileIO.open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)
            let fd = try FileIO.open(netnsPath, O_RDONLY | O_CLOEXEC)
            defer { FileIO.close(fd) }
            guard rkt_setns(fd, Namespace.net.cloneFlag) == 0 else {
                network?.teardown()
                throw RktError.errno("setns", netnsPath)
            }
        }

        // Loopback is brought up here, by host root: pod-init may run in a user namespace that
        // does not own the pod's netns and could not configure it.
        if selection.isContained && rkt_spawn_link_up("lo") != 0 { throw RktError.errno("bring up lo") }

        // cgroups: the pod and pod-init's own now; one per app with its limits once pod-init is
        // mounting (the limits are checked here, so a bad one fails before anything starts).
        let cg = CgroupHost.detect()
        let podCg = Cgroup.podPath(uuid: o.uuid)
        let appLimits = try spec.apps.map { (name: $0.name, limits: try CgroupLimits.plan($0.app.isolators)) }
        var procsFDs: [Int32] = []
        var cgroupFD: Int32 = -1
        do {
            // v2 allows processes only in leaves: pod-init gets a leaf of its own next to the apps',
            // named so no app can clash with it (`_` is not allowed in an app name).
            let podInitCg = cg.unifiedRoot == nil ? podCg : podCg + "/_pod-init"
            // subcgroup first: gc finds the cgroups through it even if creating them fails halfway.
            try FileIO.writeFileAtomic(PathUtil.join(podDir, PodFile.subcgroup), podCg, durable: false)
            try cg.create(podInitCg)
            procsFDs = try cg.openProcs(podInitCg)
            cgroupFD = cg.openDirectory(podInitCg)
        }
        defer { for fd in procsFDs { FileIO.close(fd) }; if cgroupFD >= 0 { FileIO.close(cgroupFD) } }

        // The plan: our own arguments plus the pod dir, NUL-separated, on a pipe read by pod-init.
        var pipeFDs: [Int32] = [-1, -1]
        guard rkt_pipe_cloexec(&pipeFDs) == 0 else { throw RktError.errno("pipe", "pod-init plan") }
        let plan = ([podDir] + o.arguments).joined(separator: "\0")
        do { try FileIO.writeAll(fd: pipeFDs[1], Array(plan.utf8), what: "pod-init plan") } catch {
            FileIO.close(pipeFDs[0]); FileIO.close(pipeFDs[1])
            throw error
        }
        FileIO.close(pipeFDs[1])
        defer { FileIO.close(pipeFDs[0]) }

        // The pod manifest is host root's (0640): pod-init in a user namespace could not open it,
        // so it gets an open fd instead.
        let manifestFD = try FileIO.open(PathUtil.join(podDir, PodFile.manifest), O_RDONLY | O_CLOEXEC)
        defer { FileIO.close(manifestFD) }

        // Host volume sources, likewise, may sit below directories the shifted root cannot search:
        // init clones each into a detached mount that pod-init attaches (`open_tree`/`move_mount`).
        let volumeFDs = o.privateUsers == nil ? [] : try cloneHostVolumes(spec.volumes)
        defer { for v in volumeFDs { FileIO.close(v.fd) } }

        // The apps' cgroups and the CNI ADD (tens of ms: plugin binaries, iptables) are done
        // while pod-init sets the pod up; pod-init waits on this pipe before it needs the
        // network's DNS, and never starts an app without its cgroup or in an unconfigured
        // network: "1" when both are ready, end of file when either failed. `--net=none` and
        // `--net=host` have no plugins to run.
        var cni: PodNetworking?
        if case .networks = selection { cni = network }
        var ready: [Int32] = [-1, -1]
        if rkt_pipe_cloexec(&ready) != 0 { throw RktError.errno("pipe", "pod-init ready") }
        defer { for fd in ready where fd >= 0 { FileIO.close(fd) } }

        var env = environment().filter {
            !$0.hasPrefix(planFDEnv + "=") && !$0.hasPrefix(manifestFDEnv + "=") && !$0.hasPrefix(volumeFDsEnv + "=")
                && !$0.hasPrefix(Stage1Env.lockFD + "=") && !$0.hasPrefix(readyFDEnv + "=")
        }
        env += ["\(planFDEnv)=3", "\(manifestFDEnv)=4"]
        if !volumeFDs.isEmpty {
            env.append(volumeFDsEnv + "=" + volumeFDs.enumerated().map { "\($0.element.name)=\(5 + $0.offset)" }.joined(separator: ","))
        }
        env.append("\(readyFDEnv)=\(5 + volumeFDs.count)")
        var req = SpawnRequest(path: "/proc/self/exe", argv: ["pod-init"], env: env)
        req.fds = [0, 1, 2, pipeFDs[0], manifestFD] + volumeFDs.map(\.fd) + [ready[0]]
        req.hostname = o.podHostname
        req.cgroupProcsFDs = procsFDs
        req.cgroupFD = cgroupFD
        req.parentDeathSignal = SIGKILL
        if let pu = o.privateUsers {
            let p = pu.split(separator: ":").map(String.init)
            guard p.count == 2, UInt32(p[0]) != nil, UInt32(p[1]) != nil else {
                throw RktError("invalid --private-users value \(pu)")
            }
            cloneNS.append(.user)
            req.uidMap = "0 \(p[0]) \(p[1])\n"
            req.gidMap = "0 \(p[0]) \(p[1])\n"
            // Host root is unmapped in the new namespace (it reads as the overflow uid), so exec
            // would drop every capability: become the namespace's root before exec.
            req.credentials = Credentials(uid: 0, gid: 0)
        }
        req.cloneFlags = Namespace.flags(cloneNS)
        if o.privateUsers != nil {
            try createPodOwnedDirectories(podDir: podDir, owner: shiftedRoot(o.privateUsers))
            try makeTraversable([podDir, PathUtil.join(podDir, PodFile.stage1Dir)])
        }
        let pid: pid_t
        do { pid = try Spawn.run(req) } catch {
            network?.teardown()
            throw RktError("cannot start pod init", cause: error)
        }
        try FileIO.writeFileAtomic(PathUtil.join(podDir, PodFile.pid), String(pid), durable: false)
        FileIO.close(ready[0])
        ready[0] = -1
        do {
            for app in appLimits { try CgroupLimits.apply(app.limits, host: cg, relative: podCg + "/" + app.name) }
            if let net = cni {
                // CNI plugins run in the host network namespace.
                guard rkt_setns(hostNetns, Namespace.net.cloneFlag) == 0 else { throw RktError.errno("setns", "host network namespace") }
                let ports = try ForwardedPort.resolve(manifest)
                if let state = try net.setup(selection, netnsPath: netnsPath, ports: ports) {
                    try writeResolvConf(state.dns, mode: o.resolvMode, podDir: podDir)
                }
            }
            try FileIO.writeAll(fd: ready[1], Array("1".utf8), what: "pod-init ready")
        } catch {
            // pod-init reads end of file and exits without starting any app.
            FileIO.close(ready[1])
            ready[1] = -1
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            cni?.teardown()
            throw error
        }
        FileIO.close(ready[1])
        ready[1] = -1
        let status = supervise(pid)
        // The pod is gone: release its addresses and forwards now rather than at gc time (rkt
        // left them to gc), from the host netns.
        if network != nil, hostNetns >= 0, rkt_setns(hostNetns, Namespace.net.cloneFlag) == 0 {
            NetTeardownCommand.detach(podDir: podDir, localConfig: o.localConfig ?? "/etc/rkt", env: environment())
        }
        return status
    }

    /// The pod directory is host root's; pod-init in a user namespace cannot create anything in
    /// it. The directories it writes to are made here, owned by the pod's root. Without a user
    /// namespace pod-init makes them itself when a pod needs them (a log file, an empty volume):
    /// two directories fewer to create, and to scan free inodes for, in most pods.
    static func createPodOwnedDirectories(podDir: String, owner: UInt32) throws {
        for (name, mode) in [(PodFile.sharedVolumes, mode_t(0o700)), (PodFile.logsDir, mode_t(0o750))] {
            let dir = PathUtil.join(podDir, name)
            try FileSystem.mkdirAll(dir, mode: mode)
            if owner != 0 { try FileSystem.chown(dir, uid: uid_t(owner), gid: gid_t(owner)) }
        }
    }

    /// A detached copy (`open_tree(OPEN_TREE_CLONE)`) of every host volume's source, made by host
    /// root. pod-init, in its user namespace, could neither walk to the source nor bind a mount
    /// of another mount namespace; a detached mount it can attach (`move_mount`).
    static func cloneHostVolumes(_ volumes: [Volume]) throws -> [(name: String, fd: Int32)] {
        var out: [(name: String, fd: Int32)] = []
        for v in volumes where v.kind == Volume.kindHost {
            guard let src = v.source else { continue }
            let fd = rkt_open_tree_clone(src, (v.recursive ?? true) ? 1 : 0)
            guard fd >= 0 else {
                let e = RktError.errno("clone host volume \(v.name) source", src)
                for o in out { FileIO.close(o.fd) }
                throw e
            }
            out.append((v.name, fd))
        }
        return out
    }

    /// pod-init reaches the pod through its working directory (the pod dir), so the directories
    /// above it never need to be searchable by the shifted root (rkt's are 2750, test roots 0700).
    /// The pod dir and `stage1/` themselves are searched and get `o+x` (no listing, no reading).
    static func makeTraversable(_ dirs: [String]) throws {
        for d in dirs {
            let st = try FileSystem.stat(d)
            if st.mode & 0o001 == 0 { try FileSystem.chmod(d, mode_t(st.mode & 0o7777) | 0o001) }
        }
    }

    /// The host uid of the pod's root: the shift of `--private-users=shift:count`, else 0.
    static func shiftedRoot(_ privateUsers: String?) -> UInt32 {
        privateUsers.flatMap { $0.split(separator: ":").first.flatMap { UInt32($0) } } ?? 0
    }

    /// Writes the DNS a CNI plugin returned as the pod's resolv.conf when the user gave no
    /// `--dns` flags (resolv mode `default`; rkt uses only the first network that returned DNS).
    static func writeResolvConf(_ dns: CNIResult.DNS?, mode: String, podDir: String) throws {
        guard mode == "default", let dns, !dns.isEmpty else { return }
        var lines = ["# Generated by rkt from the network plugin's DNS"]
        lines += dns.nameservers.map { "nameserver \($0)" }
        if let domain = dns.domain { lines.append("domain \(domain)") }
        if !dns.search.isEmpty { lines.append("search " + dns.search.joined(separator: " ")) }
        if !dns.options.isEmpty { lines.append("options " + dns.options.joined(separator: " ")) }
        let path = PathUtil.join(PathUtil.join(podDir, PodFile.stage1Rootfs), Stage1Path.resolvConf)
        try FileIO.writeFileAtomic(path, lines.joined(separator: "\n") + "\n")
    }

    /// Waits for pod-init, forwarding SIGTERM/SIGINT/SIGHUP, and returns its status.
    /// From here on init only waits: for pod-init's exit (SIGCHLD stays pending while blocked, so
    /// none is missed between `waitpid` and the wait) and for signals to forward. Memory is handed
    /// back once the pod has settled, right before init blocks for good (docs/stage1.md "Memory").
    static func supervise(_ pid: pid_t) -> Int32 {
        var releaseBeforeBlocking = false
        var settleTimeout: Int? = IdleMemory.settleMillis
        while true {
            var status: Int32 = 0
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { return Spawn.exitStatus(status) }
            if r < 0 && errno != EINTR { return ExitCode.failure }
            let sig = Signals.wait(timeoutMillis: settleTimeout) { IdleMemory.release(ifDue: &releaseBeforeBlocking) }
            guard let sig else {
                // Timed out: the pod has settled; release before the next, unbounded wait.
                if settleTimeout != nil { settleTimeout = nil; releaseBeforeBlocking = true }
                continue
            }
            if sig != SIGCHLD { kill(pid, sig == SIGINT ? SIGTERM : sig) }
        }
    }

    static func currentDirectory() throws -> String {
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buf, buf.count) != nil else { throw RktError.errno("getcwd") }
        return String(cString: buf)
    }

    static func environment() -> [String] {
        var out: [String] = []
        var p = environ
        while let s = p.pointee {
            out.append(String(cString: s))
            p += 1
        }
        return out
    }
}

/// stderr output of the stage1 binaries, prefixed `stage1: ` (rkt-architecture.md §10).
public enum Log {
    nonisolated(unsafe) public static var debug = false

    public static func error(_ e: RktError) {
        let text = debug ? e.debugChain : e.description
        write("stage1: " + (text.hasPrefix("stage1: ") ? String(text.dropFirst(8)) : text))
    }

    public static func warn(_ msg: String) { write("stage1: " + msg) }

    public static func write(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
    }

    /// Command output (e.g. `attach --action=list`) on stdout.
    public static func writeStdout(_ text: String) {
        try? FileIO.writeAll(fd: 1, Array(text.utf8), what: "stdout")
    }
}
