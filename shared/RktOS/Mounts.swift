import CShim
import Glibc
import RktCommon

/// `mount(2)` flags, spelled out because Glibc's MS_* come through as an untyped enum.
public struct MountFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt
    public init(rawValue: UInt) { self.rawValue = rawValue }

    public static let readOnly = MountFlags(rawValue: 1)
    public static let noSuid = MountFlags(rawValue: 2)
    public static let noDev = MountFlags(rawValue: 4)
    public static let noExec = MountFlags(rawValue: 8)
    public static let remount = MountFlags(rawValue: 32)
    public static let noAtime = MountFlags(rawValue: 1024)
    public static let bind = MountFlags(rawValue: 4096)
    public static let move = MountFlags(rawValue: 8192)
    public static let rec = MountFlags(rawValue: 16384)
    public static let silent = MountFlags(rawValue: 32768)
    public static let unbindable = MountFlags(rawValue: 1 << 17)
    public static let `private` = MountFlags(rawValue: 1 << 18)
    public static let slave = MountFlags(rawValue: 1 << 19)
    public static let shared = MountFlags(rawValue: 1 << 20)
    public static let relatime = MountFlags(rawValue: 1 << 21)
    public static let strictAtime = MountFlags(rawValue: 1 << 24)
}

/// Mount operations in the caller's mount namespace. Error messages name the operation and
/// target: `mount /x/rootfs/proc: operation not permitted`.
public enum Mounts {
    /// Raw `mount(2)`. `source`/`fsType`/`data` may be empty (passed as NULL where the kernel
    /// ignores them).
    public static func mount(source: String, target: String, fsType: String = "",
                             flags: MountFlags = [], data: String = "") throws {
        let r = withOptionalCString(source) { src in
            withOptionalCString(fsType) { fs in
                withOptionalCString(data) { d in
                    Glibc.mount(src, target, fs, flags.rawValue, d.map { UnsafeRawPointer($0) })
                }
            }
        }
        if r != 0 { throw RktError.errno("mount", target) }
    }

    /// Whether recursive read-only binds try mount_setattr first (a test turns it off to cover the
    /// fallback, which older kernels take).
    nonisolated(unsafe) public static var useMountSetattr = true

    /// Bind-mounts `source` on `target`; `recursive` includes submounts (`rbind`). A read-only
    /// bind needs a second remount, which this does (and for recursive binds, for every submount).
    public static func bind(_ source: String, _ target: String, recursive: Bool = false, readOnly: Bool = false) throws {
        var flags: MountFlags = .bind
        if recursive { flags.insert(.rec) }
        try mount(source: source, target: target, flags: flags)
        // The whole tree read-only in one call (Linux 5.12+), where the loop below costs a remount
        // per submount and a read of the mount table (/sys holds a dozen cgroup mounts).
        if readOnly && recursive && useMountSetattr && rkt_mount_setattr_rdonly_recursive(target) == 0 { return }
        if readOnly {
            try remountReadOnly(target, bindFlags: flags)
            if recursive {
                // Shadowed submounts cannot be reached by path, neither to remount nor to use.
                // One table for all of them: a bind remount changes only its own mount, so the
                // flags read here stay current for the others (/sys holds a dozen cgroup mounts).
                let table = try MountInfo.read()
                let hidden = MountInfo.shadowed(table)
                for sub in MountInfo.under(target, in: table)
                where sub.mountPoint != PathUtil.clean(target) && !hidden.contains(sub.id) {
                    try remount(sub.mountPoint, readOnly: true, bindFlags: flags, table: table)
                }
            }
        }
    }

    /// `MS_REMOUNT|MS_BIND|MS_RDONLY` on one mount point (not its submounts). A bind remount sets
    /// the per-mount flags to exactly those given, so the mount's current nosuid/nodev/noexec and
    /// atime flags are carried over: dropping them would loosen the mount, and inside a user
    /// namespace the kernel refuses to (EPERM).
    public static func remountReadOnly(_ target: String, bindFlags: MountFlags = .bind) throws {
        try remount(target, readOnly: true, bindFlags: bindFlags)
    }

    /// The same without `MS_RDONLY`: a bind of a path below a read-only mount (which inherits
    /// the read-only flag) made writable again.
    public static func remountWritable(_ target: String) throws {
        try remount(target, readOnly: false, bindFlags: .bind)
    }

    /// `table` is a mount table read since the last change to `target`'s mount; nil asks the
    /// kernel for the flags of the mount at `target` alone.
    static func remount(_ target: String, readOnly: Bool, bindFlags: MountFlags, table: [MountInfo]? = nil) throws {
        var flags: MountFlags
        if let table {
            flags = table.last { $0.mountPoint == PathUtil.clean(target) }.map { perMountFlags($0.options) } ?? []
        } else {
            flags = currentFlags(target)
        }
        if readOnly { flags.insert(.readOnly) } else { flags.remove(.readOnly) }
        try mount(source: "", target: target, flags: flags.union(bindFlags).union(.remount))
    }

    /// The per-mount flags of the mount at `target`, from `statvfs(3)` (one syscall, where the
    /// mount table is tens of KB of text on a host with many mounts); the mount table if that fails.
    static func currentFlags(_ target: String) -> MountFlags {
        var st = statvfs()
        guard statvfs(target, &st) == 0 else {
            let current = (try? MountInfo.read())?.last { $0.mountPoint == PathUtil.clean(target) }
            return current.map { perMountFlags($0.options) } ?? []
        }
        // statvfs's ST_* bits (<sys/statvfs.h>, GNU-only there, so spelled out) next to the MS_*
        // ones mountinfo's options field names.
        let pairs: [(UInt, MountFlags)] = [
            (1, .readOnly), (2, .noSuid), (4, .noDev), (8, .noExec), (1024, .noAtime),
            (2048, MountFlags(rawValue: 2048)), (4096, .relatime),
        ]
        var flags: MountFlags = []
        for (bit, ms) in pairs where st.f_flag & bit != 0 { flags.insert(ms) }
        return flags
    }

    /// The `MS_*` flags named in a mountinfo per-mount options field (`rw,nosuid,relatime`).
    public static func perMountFlags(_ options: String) -> MountFlags {
        var flags: MountFlags = []
        for o in options.split(separator: ",") {
            switch o {
            case "ro": flags.insert(.readOnly)
            case "nosuid": flags.insert(.noSuid)
            case "nodev": flags.insert(.noDev)
            case "noexec": flags.insert(.noExec)
            case "noatime": flags.insert(.noAtime)
            case "nodiratime": flags.insert(MountFlags(rawValue: 2048))
            case "relatime": flags.insert(.relatime)
            case "strictatime": flags.insert(.strictAtime)
            default: break
            }
        }
        return flags
    }

    public static func makeShared(_ target: String, recursive: Bool = true) throws {
        try mount(source: "", target: target, flags: recursive ? [.shared, .rec] : .shared)
    }

    public static func makeSlave(_ target: String, recursive: Bool = true) throws {
        try mount(source: "", target: target, flags: recursive ? [.slave, .rec] : .slave)
    }

    public static func makePrivate(_ target: String, recursive: Bool = true) throws {
        try mount(source: "", target: target, flags: recursive ? [.private, .rec] : .private)
    }

    public static func tmpfs(_ target: String, flags: MountFlags = [], options: String = "") throws {
        try mount(source: "tmpfs", target: target, fsType: "tmpfs", flags: flags, data: options)
    }

    /// `umount2(2)`; `lazy` is `MNT_DETACH`.
    public static func unmount(_ target: String, lazy: Bool = false) throws {
        if umount2(target, lazy ? Int32(MNT_DETACH) : 0) != 0 { throw RktError.errno("unmount", target) }
    }

    /// Unmounts every mount at or below `path`, deepest first (rkt: stage0 MountGC). A mount that
    /// is busy is detached lazily; one that vanished meanwhile (EINVAL/ENOENT) is skipped.
    ///
    /// Propagation is cut first: an unmount propagates to the peers of the unmounted mount's
    /// parent, so with a pod's rbinds of a shared host /dev still shared, unmounting the pod's
    /// `dev/shm` would also unmount a mount stacked on the host's `/dev/shm`. Every top-level
    /// mount under `path` is therefore made private recursively, which covers its whole subtree
    /// including mounts stacked inside it. (A stack whose lowest member is itself top-level cannot
    /// be reached by path; its hidden lower mounts keep their propagation.)
    public static func unmountAll(under path: String) throws {
        let root = PathUtil.clean(path)
        let mounts = MountInfo.under(root, in: try MountInfo.read())
        if mounts.isEmpty { return }
        let ids = Set(mounts.map(\.id))
        var privatized = Set<String>()
        for m in mounts.reversed() where !ids.contains(m.parentID) && !privatized.contains(m.mountPoint) {
            privatized.insert(m.mountPoint)
            // Best effort: the unmounts below report real errors.
            try? mount(source: "", target: m.mountPoint, flags: [.private, .rec])
        }
        var failures: [String] = []
        for m in mounts {
            if umount2(m.mountPoint, 0) == 0 { continue }
            let err = errno
            if err == EINVAL || err == ENOENT { continue }
            if umount2(m.mountPoint, Int32(MNT_DETACH)) == 0 { continue }
            let err2 = errno
            if err2 == EINVAL || err2 == ENOENT { continue }
            failures.append("\(m.mountPoint): \(RktError.strerror(err2))")
        }
        if !failures.isEmpty {
            throw RktError("cannot unmount everything under \(root)", causes: failures)
        }
    }

    /// True when `path` is itself a mount point in the current mount table.
    public static func isMountPoint(_ path: String) throws -> Bool {
        let p = PathUtil.clean(path)
        return try MountInfo.read().contains { $0.mountPoint == p }
    }
}

private func withOptionalCString<R>(_ s: String, _ body: (UnsafePointer<CChar>?) -> R) -> R {
    if s.isEmpty { return body(nil) }
    return s.withCString { body($0) }
}
