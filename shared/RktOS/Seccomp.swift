import CSeccomp
import CShim
import Glibc
import RktCommon

/// A syscall filter to compile: either only `syscalls` are allowed (whitelist) or they are
/// denied (blacklist). Denied calls fail with `errno`, or kill the process (SIGSYS) when nil.
public struct SeccompFilter: Sendable, Equatable {
    public enum Mode: Sendable, Equatable { case whitelist, blacklist }
    public var mode: Mode
    public var syscalls: [String]
    public var errno: Int32?

    public init(mode: Mode, syscalls: [String], errno: Int32? = nil) {
        self.mode = mode
        self.syscalls = syscalls
        self.errno = errno
    }
}

/// Compiles filters to BPF with libseccomp, in the parent: libseccomp allocates, so it must never
/// run between clone and exec. The child loads the bytes with one `seccomp(2)` call.
public enum SeccompCompiler {
    // libseccomp's action values; the SCMP_ACT_* macros are not importable into Swift.
    static let actAllow: UInt32 = 0x7fff_0000
    static let actKillProcess: UInt32 = 0x8000_0000
    static func actErrno(_ e: Int32) -> UInt32 { 0x0005_0000 | (UInt32(bitPattern: e) & 0xffff) }
    /// libseccomp's `SCMP_FLTATR_CTL_OPTIMIZE` level: 2 is a binary tree (libseccomp ≥ 2.5).
    public static let optimizeLevel: UInt32 = 2

    /// True when libseccomp knows `name` on this architecture.
    public static func isKnown(_ name: String) -> Bool {
        seccomp_syscall_resolve_name(name) != __NR_SCMP_ERROR
    }

    /// BPF program bytes (`struct sock_filter[]`) for `filter`. Names unknown on this architecture
    /// are skipped, as the rkt group lists name syscalls of every architecture.
    public static func compile(_ filter: SeccompFilter) throws -> [UInt8] {
        let deny = filter.errno.map(actErrno) ?? actKillProcess
        let defaultAction = filter.mode == .whitelist ? deny : actAllow
        let ruleAction = filter.mode == .whitelist ? actAllow : deny
        guard let ctx = seccomp_init(defaultAction) else { throw RktError("cannot initialise seccomp filter") }
        defer { seccomp_release(ctx) }
        // A binary tree of comparisons rather than a linear chain: the kernel runs the filter for
        // every syscall number when it is loaded (to cache the always-allowed ones), which took
        // 0.5-0.6 ms for the default whitelist's 289 linear instructions and 0.2 ms as a tree,
        // on the path from clone to the app's exec.
        let optimized = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, optimizeLevel)
        if optimized < 0 { throw RktError("cannot set seccomp filter optimisation", causes: [RktError.strerror(-optimized)]) }
        for name in Set(filter.syscalls).sorted() {
            let nr = seccomp_syscall_resolve_name(name)
            if nr == __NR_SCMP_ERROR { continue }
            let rc = seccomp_rule_add_array(ctx, ruleAction, nr, 0, nil)
            // -EACCES/-EEXIST: the rule equals the default action or is a duplicate; both harmless.
            if rc < 0 && rc != -EACCES && rc != -EEXIST {
                throw RktError("cannot add seccomp rule for \(name)", causes: [RktError.strerror(-rc)])
            }
        }
        let fd = rkt_memfd_create("rkt-seccomp", 1 /* MFD_CLOEXEC */)
        guard fd >= 0 else { throw RktError.errno("memfd_create", "seccomp") }
        defer { FileIO.close(fd) }
        let rc = seccomp_export_bpf(ctx, fd)
        guard rc == 0 else { throw RktError("cannot export seccomp filter", causes: [RktError.strerror(Int32(-rc))]) }
        guard lseek(fd, 0, SEEK_SET) == 0 else { throw RktError.errno("lseek", "seccomp filter") }
        return try FileIO.readAll(fd: fd, what: "seccomp filter")
    }

    /// The errno number for a name like `EXFULL` (the `errno` field of appc seccomp isolators).
    public static func errnoNumber(_ name: String) throws -> Int32 {
        if let n = errnoTable[name] { return n }
        throw RktError("unknown errno \(name)")
    }

    static let errnoTable: [String: Int32] = [
        "EPERM": EPERM, "ENOENT": ENOENT, "ESRCH": ESRCH, "EINTR": EINTR, "EIO": EIO, "ENXIO": ENXIO,
        "E2BIG": E2BIG, "ENOEXEC": ENOEXEC, "EBADF": EBADF, "ECHILD": ECHILD, "EAGAIN": EAGAIN,
        "ENOMEM": ENOMEM, "EACCES": EACCES, "EFAULT": EFAULT, "EBUSY": EBUSY, "EEXIST": EEXIST,
        "EXDEV": EXDEV, "ENODEV": ENODEV, "ENOTDIR": ENOTDIR, "EISDIR": EISDIR, "EINVAL": EINVAL,
        "ENFILE": ENFILE, "EMFILE": EMFILE, "ENOTTY": ENOTTY, "EFBIG": EFBIG, "ENOSPC": ENOSPC,
        "ESPIPE": ESPIPE, "EROFS": EROFS, "EMLINK": EMLINK, "EPIPE": EPIPE, "EDOM": EDOM,
        "ERANGE": ERANGE, "ENOSYS": ENOSYS, "ENOTSUP": ENOTSUP, "EOPNOTSUPP": EOPNOTSUPP,
        "EXFULL": EXFULL, "EMULTIHOP": EMULTIHOP, "ENOTEMPTY": ENOTEMPTY, "ELOOP": ELOOP,
        "ENAMETOOLONG": ENAMETOOLONG, "ETIMEDOUT": ETIMEDOUT, "ECONNREFUSED": ECONNREFUSED,
        "ENOTSOCK": ENOTSOCK, "EADDRINUSE": EADDRINUSE, "ENETDOWN": ENETDOWN, "ENOBUFS": ENOBUFS,
        "EBADE": EBADE, "EBADR": EBADR, "ENOANO": ENOANO, "EBADRQC": EBADRQC, "EBADSLT": EBADSLT,
        "ENOSTR": ENOSTR, "ENODATA": ENODATA, "ETIME": ETIME, "ENOSR": ENOSR, "ENONET": ENONET,
        "ENOPKG": ENOPKG, "EREMOTE": EREMOTE, "ENOLINK": ENOLINK, "EADV": EADV, "ESRMNT": ESRMNT,
        "ECOMM": ECOMM, "EPROTO": EPROTO, "EDOTDOT": EDOTDOT, "EBADMSG": EBADMSG,
        "EOVERFLOW": EOVERFLOW, "ENOTUNIQ": ENOTUNIQ, "EBADFD": EBADFD, "EREMCHG": EREMCHG,
        "EILSEQ": EILSEQ, "EUSERS": EUSERS, "EDQUOT": EDQUOT, "ECANCELED": ECANCELED,
    ]
}
