import CSpawn
import Glibc
import RktCommon

/// Everything a child needs, prepared in Swift before the clone (aesthetics.md §9.3). `Spawn.run`
/// turns it into one flat C struct and calls `rkt_spawn`; no Swift runs in the child.
public struct SpawnRequest: Sendable {
    /// Executable path as seen after `root` is applied.
    public var path: String
    public var argv: [String]
    public var env: [String]
    /// `CLONE_NEW*` flags (see `Namespace`).
    public var cloneFlags: Int32 = 0
    /// cgroup v2 directory fd for `CLONE_INTO_CGROUP`, or -1.
    public var cgroupFD: Int32 = -1
    /// `cgroup.procs` fds (opened for writing) the child joins itself (v1, or clone3 fallback).
    public var cgroupProcsFDs: [Int32] = []
    /// Namespace fds to `setns` into, user namespace first.
    public var namespaceFDs: [Int32] = []
    public var hostname: String?
    public var oomScoreAdj: Int?
    /// `fds[i]` becomes fd `i` in the child; -1 leaves it closed.
    public var fds: [Int32] = [0, 1, 2]
    /// Mount points unmounted (`MNT_DETACH`) in the child before `root` is applied; only with
    /// `CLONE_NEWNS`, so they vanish from the child's private copy of the mount table alone.
    public var detachMounts: [String] = []
    public var root: String?
    public var cwd: String?
    public var credentials: Credentials?
    public var capabilities: CapabilityMasks?
    public var parentDeathSignal: Int32 = 0
    public var noNewPrivileges = false
    /// Seccomp BPF program bytes (`struct sock_filter[]`), compiled in the parent.
    public var seccompBPF: [UInt8] = []
    public var newSession = false
    public var controllingTTY = false
    /// `/proc/<pid>/uid_map` / `gid_map` contents, written by the parent (with `CLONE_NEWUSER`).
    public var uidMap: String?
    public var gidMap: String?

    public init(path: String, argv: [String], env: [String]) {
        self.path = path
        self.argv = argv
        self.env = env
    }
}

/// Numeric credentials for the child (`setgroups`, `setgid`, `setuid`, in that order).
public struct Credentials: Sendable, Equatable {
    public var uid: UInt32
    public var gid: UInt32
    public var groups: [UInt32]
    public init(uid: UInt32, gid: UInt32, groups: [UInt32] = []) {
        self.uid = uid
        self.gid = gid
        self.groups = groups
    }
}

/// Capability masks, bit n = capability n.
public struct CapabilityMasks: Sendable, Equatable {
    public var bounding: UInt64
    public var inheritable: UInt64
    public var ambient: UInt64
    public init(bounding: UInt64, inheritable: UInt64 = 0, ambient: UInt64 = 0) {
        self.bounding = bounding
        self.inheritable = inheritable
        self.ambient = ambient
    }
}

public enum Spawn {
    /// Clones and execs per `request`. Returns the child's pid once `execve` succeeded; throws an
    /// `RktError` naming the failing child stage (`"chroot /x: no such file or directory"`).
    public static func run(_ request: SpawnRequest) throws -> pid_t {
        try withCStrings(request.argv) { argv in
            try withCStrings(request.env) { envp in
                try request.path.withCString { path in
                    try spawnOptionalCString(request.hostname) { hostname in
                        try spawnOptionalCString(request.oomScoreAdj.map(String.init)) { oom in
                            try spawnOptionalCString(request.root) { root in
                                try spawnOptionalCString(request.cwd) { cwd in
                                    try spawnOptionalCString(request.uidMap) { uidMap in
                                        try spawnOptionalCString(request.gidMap) { gidMap in
                                            try withCStrings(request.detachMounts) { detach in
                                                try call(request, path, argv, envp, hostname, oom, root, cwd, uidMap, gidMap, detach)
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    private static func call(
        _ r: SpawnRequest, _ path: UnsafePointer<CChar>, _ argv: UnsafePointer<UnsafeMutablePointer<CChar>?>,
        _ envp: UnsafePointer<UnsafeMutablePointer<CChar>?>, _ hostname: UnsafePointer<CChar>?,
        _ oom: UnsafePointer<CChar>?, _ root: UnsafePointer<CChar>?, _ cwd: UnsafePointer<CChar>?,
        _ uidMap: UnsafePointer<CChar>?, _ gidMap: UnsafePointer<CChar>?,
        _ detach: UnsafePointer<UnsafeMutablePointer<CChar>?>
    ) throws -> pid_t {
        let groups = r.credentials?.groups.map { gid_t($0) } ?? []
        return try r.cgroupProcsFDs.withUnsafeBufferPointer { procs in
            try r.namespaceFDs.withUnsafeBufferPointer { ns in
                try r.fds.withUnsafeBufferPointer { fds in
                    try groups.withUnsafeBufferPointer { gr in
                        try r.seccompBPF.withUnsafeBytes { bpf in
                            var req = rkt_spawn_req()
                            req.path = path
                            req.argv = argv
                            req.envp = envp
                            req.clone_flags = r.cloneFlags
                            req.cgroup_fd = r.cgroupFD
                            req.cgroup_procs_fds = procs.baseAddress
                            req.cgroup_procs_count = Int32(procs.count)
                            req.ns_fds = ns.baseAddress
                            req.ns_count = Int32(ns.count)
                            req.hostname = hostname
                            req.oom_score_adj = oom
                            req.fds = fds.baseAddress
                            req.fd_count = Int32(fds.count)
                            req.detach_mounts = detach
                            req.detach_count = Int32(r.detachMounts.count)
                            req.root = root
                            req.cwd = cwd
                            if let c = r.credentials {
                                req.set_creds = 1
                                req.uid = c.uid
                                req.gid = c.gid
                                req.groups = gr.baseAddress
                                req.ngroups = Int32(gr.count)
                            }
                            if let caps = r.capabilities {
                                req.set_caps = 1
                                req.cap_bounding = caps.bounding
                                req.cap_inheritable = caps.inheritable
                                req.cap_ambient = caps.ambient
                            }
                            req.pdeathsig = r.parentDeathSignal
                            req.no_new_privs = r.noNewPrivileges ? 1 : 0
                            req.seccomp_bpf = bpf.isEmpty ? nil : bpf.baseAddress
                            req.seccomp_len = bpf.count
                            req.new_session = r.newSession ? 1 : 0
                            req.controlling_tty = r.controllingTTY ? 1 : 0
                            req.uid_map = uidMap
                            req.gid_map = gidMap
                            var pid: pid_t = 0
                            var stage: Int32 = 0
                            var err: Int32 = 0
                            if rkt_spawn(&req, &pid, &stage, &err) == 0 { return pid }
                            throw stageError(stage, err, r)
                        }
                    }
                }
            }
        }
    }

    /// `"<stage> <what>: <strerror>"`, naming the path the stage acted on when there is one.
    static func stageError(_ stage: Int32, _ err: Int32, _ r: SpawnRequest) -> RktError {
        let name = String(cString: rkt_spawn_stage_name(stage))
        let subject: String?
        switch Int(stage) {
        case Int(RKT_STAGE_CHROOT.rawValue): subject = r.root
        case Int(RKT_STAGE_CHDIR.rawValue): subject = r.cwd
        case Int(RKT_STAGE_EXEC.rawValue): subject = r.path
        default: subject = nil
        }
        return RktError.errno(name, subject, err)
    }

    /// Waits for `pid` and returns its exit status the way rkt reports it: the exit code, or
    /// 128 + signal number when it was killed.
    public static func wait(_ pid: pid_t) throws -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { throw RktError.errno("waitpid", String(pid)) }
        }
        return exitStatus(status)
    }

    /// Decodes a `waitpid` status word: exit code, or 128 + signal.
    public static func exitStatus(_ status: Int32) -> Int32 {
        let sig = status & 0x7f
        if sig == 0 { return (status >> 8) & 0xff }
        return 128 + sig
    }
}

/// Calls `body` with a NULL-terminated C array of C strings that lives for the call.
func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) throws -> R) throws -> R {
    var ptrs: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    ptrs.append(nil)
    defer { for p in ptrs { free(p) } }
    return try ptrs.withUnsafeBufferPointer { buf in
        guard let base = buf.baseAddress else { throw RktError("cannot build argument vector") }
        return try body(base)
    }
}

func spawnOptionalCString<R>(_ s: String?, _ body: (UnsafePointer<CChar>?) throws -> R) rethrows -> R {
    guard let s else { return try body(nil) }
    return try s.withCString { try body($0) }
}
