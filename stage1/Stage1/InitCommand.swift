import CShim
import Glibc
import RktCommon
import RktOS

/// The pod's network, behind a protocol so CNI can be plugged in later.
public protocol PodNetwork {
    /// Sets up networking inside the named netns at `netnsPath` (CNI ADD for each network).
    func setUp(podDir: String, uuid: String, netnsPath: String, networks: [String]) throws
    /// Tears it down again (CNI DEL, port forwards).
    func tearDown(podDir: String, uuid: String, netnsPath: String) throws
}

/// `/init`, the run entrypoint (rkt-architecture.md §1.4, §3.2):
///
///   init (host namespaces, holds the pod lock)
///     │ writes runtime-config, netns, subcgroup, cgroups + limits
///     │ rkt_spawn(NEWPID|NEWNS|NEWUTS|NEWIPC [|NEWUSER], setns net, cgroup.procs, PDEATHSIG=KILL)
///     ▼
///   pod-init (pid 1 of the pod; plan on fd 3, RKT_STAGE1_PLAN_FD=3)
///     │ writes pid, waits; SIGTERM/SIGINT are forwarded to pod-init
///     ▼
///   exit status of pod-init = exit status of `rkt run`
public enum InitCommand {
    /// Hook for contained networks other than `none`. NEEDS: the CNI engineer's implementation.
    nonisolated(unsafe) public static var network: (any PodNetwork)?
    public static let planFDEnv = "RKT_STAGE1_PLAN_FD"

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
        let spec = try PodSpec.load(podDir: podDir)
        if spec.apps.isEmpty && !o.mutable { throw RktError("pod \(o.uuid) has no apps") }
        try FileIO.writeFileAtomic(PathUtil.join(podDir, PodFile.runtimeConfig), o.runtimeConfigJSON)

        // The lock fd stays open here for the pod's whole life; CLOEXEC keeps it out of the apps.
        if let lock = getenv(Stage1Env.lockFD).flatMap({ Int32(String(cString: $0)) }) {
            try? FileIO.setCloseOnExec(lock, true)
        }

        // Networking.
        var nsFDs: [Int32] = []
        var cloneNS: [Namespace] = [.pid, .mnt, .uts]
        if o.ipc != "parent" { cloneNS.append(.ipc) }
        let netMode = o.net.first ?? "default"
        var netnsPath: String?
        if !(o.net == ["host"]) {
            if !(o.net == ["none"]) && network == nil {
                throw RktError("stage1: networks \(o.net.joined(separator: ",")) are not supported yet "
                    + "(CNI networking is not implemented); pass --net=host or --net=none")
            }
            let path = PathUtil.join(NamedNetns.directory, "rkt-\(o.uuid)")
            try NamedNetns.create(at: path)
            netnsPath = path
            try FileIO.writeFileAtomic(PathUtil.join(podDir, PodFile.netns), path)
            if netMode != "none", let network { try network.setUp(podDir: podDir, uuid: o.uuid, netnsPath: path, networks: o.net) }
            nsFDs.append(try FileIO.open(path, O_RDONLY | O_CLOEXEC))
        }
        defer { for fd in nsFDs { FileIO.close(fd) } }

        // cgroups: the pod, one per app with its limits, and pod-init's own.
        let cg = CgroupHost.detect()
        let podCg = Cgroup.podPath(uuid: o.uuid)
        var procsFDs: [Int32] = []
        var cgroupFD: Int32 = -1
        do {
            let podInitCg = cg.unifiedRoot == nil ? podCg : podCg + "/supervisor"
            try cg.create(podInitCg)
            for app in spec.apps {
                let limits = try CgroupLimits.plan(app.app.isolators)
                try CgroupLimits.apply(limits, host: cg, relative: podCg + "/" + app.name)
            }
            try FileIO.writeFileAtomic(PathUtil.join(podDir, PodFile.subcgroup), podCg)
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

        var env = environment().filter { !$0.hasPrefix(planFDEnv + "=") && !$0.hasPrefix(Stage1Env.lockFD + "=") }
        env.append("\(planFDEnv)=3")
        var req = SpawnRequest(path: "/proc/self/exe", argv: ["pod-init"], env: env)
        req.fds = [0, 1, 2, pipeFDs[0]]
        req.namespaceFDs = nsFDs
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
        }
        req.cloneFlags = Namespace.flags(cloneNS)
        let pid: pid_t
        do { pid = try Spawn.run(req) } catch { throw RktError("cannot start pod init", cause: error) }
        try FileIO.writeFileAtomic(PathUtil.join(podDir, PodFile.pid), String(pid))
        _ = netnsPath
        return supervise(pid)
    }

    /// Waits for pod-init, forwarding SIGTERM/SIGINT/SIGHUP, and returns its status.
    static func supervise(_ pid: pid_t) -> Int32 {
        while true {
            var status: Int32 = 0
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { return Spawn.exitStatus(status) }
            if r < 0 && errno != EINTR { return ExitCode.failure }
            guard let sig = Signals.wait(timeoutMillis: 1000) else { continue }
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
}
