import CShim
import Glibc
import RktCommon

/// Linux namespaces: clone flags, `/proc/<pid>/ns/*` fds, and named network namespaces bound
/// under `/var/run/netns`. Callers must be single-threaded for `unshare`/`setns` to affect the
/// whole process (aesthetics.md §6).
public enum Namespace: String, CaseIterable, Sendable {
    // Order matters for joining: the user namespace first, so the others are entered with the
    // capabilities it grants; mnt last, because after it `/proc/<pid>/ns` may not be reachable.
    case user, ipc, uts, net, pid, cgroup, mnt

    /// The `CLONE_NEW*` flag of this namespace.
    public var cloneFlag: Int32 {
        switch self {
        case .user: return 0x1000_0000  // CLONE_NEWUSER
        case .ipc: return 0x0800_0000  // CLONE_NEWIPC
        case .uts: return 0x0400_0000  // CLONE_NEWUTS
        case .net: return 0x4000_0000  // CLONE_NEWNET
        case .pid: return 0x2000_0000  // CLONE_NEWPID
        case .cgroup: return 0x0200_0000  // CLONE_NEWCGROUP
        case .mnt: return 0x0002_0000  // CLONE_NEWNS
        }
    }

    /// OR of the flags of `namespaces`.
    public static func flags(_ namespaces: [Namespace]) -> Int32 {
        namespaces.reduce(0) { $0 | $1.cloneFlag }
    }

    /// `/proc/<pid>/ns/<name>`.
    public func path(pid: pid_t) -> String { "/proc/\(pid)/ns/\(rawValue)" }

    /// Opens the namespace of `pid` (O_RDONLY|O_CLOEXEC).
    public func open(pid: pid_t) throws -> Int32 {
        try FileIO.open(path(pid: pid), O_RDONLY | O_CLOEXEC)
    }

    /// True when `pid` is in a different namespace of this kind than the caller.
    public func differs(pid: pid_t) -> Bool {
        var a = stat()
        var b = stat()
        guard stat(path(pid: pid), &a) == 0, stat("/proc/self/ns/\(rawValue)", &b) == 0 else { return false }
        return a.st_ino != b.st_ino || a.st_dev != b.st_dev
    }

    /// Opens, in join order, the namespaces of `pid` that differ from ours (setns into our own
    /// user namespace fails with EINVAL, so the unchanged ones are skipped).
    public static func openForEnter(pid: pid_t, kinds: [Namespace]) throws -> [Int32] {
        var fds: [Int32] = []
        do {
            for ns in Namespace.allCases where kinds.contains(ns) && ns.differs(pid: pid) {
                fds.append(try ns.open(pid: pid))
            }
        } catch {
            for fd in fds { FileIO.close(fd) }
            throw error
        }
        return fds
    }
}

/// A network namespace kept alive by a bind mount (the `ip netns` convention), so it outlives
/// the processes in it and `gc` can find and remove it by path.
public enum NamedNetns {
    public static let directory = "/var/run/netns"

    /// Creates a new network namespace bound at `path` and returns to the caller's namespace.
    /// The caller must be single-threaded.
    public static func create(at path: String) throws {
        try ensureDirectory(PathUtil.dirname(path))
        let fd = Glibc.open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o444)
        guard fd >= 0 else { throw RktError.errno("create netns file", path) }
        Glibc.close(fd)
        let original = try FileIO.open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)
        defer { FileIO.close(original) }
        guard rkt_unshare(Namespace.net.cloneFlag) == 0 else {
            let e = errno
            unlink(path)
            throw RktError.errno("unshare network namespace", nil, e)
        }
        var failure: RktError?
        if mount("/proc/self/ns/net", path, nil, UInt(MS_BIND), nil) != 0 {
            failure = RktError.errno("bind network namespace", path)
        }
        // Always go back: the caller's own network namespace must not change.
        if rkt_setns(original, Namespace.net.cloneFlag) != 0 {
            failure = failure ?? RktError.errno("setns back to host network namespace")
        }
        if let failure {
            unlink(path)
            throw failure
        }
    }

    /// Unmounts and removes a named network namespace; a missing one is not an error.
    public static func remove(at path: String) throws {
        if umount2(path, Int32(MNT_DETACH)) != 0 && errno != EINVAL && errno != ENOENT {
            throw RktError.errno("unmount netns", path)
        }
        if unlink(path) != 0 && errno != ENOENT {
            throw RktError.errno("remove netns", path)
        }
    }

    private static func ensureDirectory(_ dir: String) throws {
        if mkdir(dir, 0o755) != 0 && errno != EEXIST { throw RktError.errno("mkdir", dir) }
    }
}
