import Glibc
import RktCommon

/// A BSD `flock(2)` lock on a directory or regular file (rkt: pkg/lock). Pods, the image store
/// and the pod's `pod.lck` are all coordinated this way; the lock lives as long as the open file
/// description, so an fd inherited across `execve` keeps the lock held.
///
/// Not thread-safe; the binaries that use it are synchronous. The fd is `O_CLOEXEC` until
/// `FileIO.clearCloseOnExec(lock.fd)` is called for the stage1 hand-off.
public final class FileLock {
    public enum Kind: Sendable {
        case directory
        case regularFile
    }

    public private(set) var fd: Int32
    public let path: String

    /// Opens `path` (a directory, or a regular file which is not created) for locking.
    /// `followSymlinks: false` refuses a symlink in the last component (`O_NOFOLLOW`).
    public init(path: String, kind: Kind, followSymlinks: Bool = true) throws {
        var flags: Int32 = kind == .directory ? (O_RDONLY | O_DIRECTORY) : O_RDONLY
        if !followSymlinks { flags |= O_NOFOLLOW }
        self.path = path
        self.fd = try FileIO.open(path, flags)
        if kind == .regularFile {
            var st = stat()
            if fstat(fd, &st) != 0 || (st.st_mode & S_IFMT) != S_IFREG {
                FileIO.close(fd)
                fd = -1
                throw RktError("cannot lock \(path)", causes: ["not a regular file"])
            }
        }
    }

    /// Adopts an fd that is already open (for example `RKT_LOCK_FD`); `close()` closes it.
    public init(adopting fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    deinit {
        if fd >= 0 { FileIO.close(fd) }
    }

    /// Blocks until the exclusive lock is acquired.
    public func exclusive() throws { _ = try lock(LOCK_EX, blocking: true) }

    /// Blocks until a shared lock is acquired.
    public func shared() throws { _ = try lock(LOCK_SH, blocking: true) }

    /// Returns false if another open file description holds a conflicting lock.
    public func tryExclusive() throws -> Bool { try lock(LOCK_EX, blocking: false) }

    /// Returns false if another open file description holds the exclusive lock.
    public func tryShared() throws -> Bool { try lock(LOCK_SH, blocking: false) }

    public func unlock() throws {
        if flock(fd, LOCK_UN) != 0 { throw RktError.errno("unlock", path) }
    }

    /// Closes the fd, which releases the lock.
    public func close() {
        if fd >= 0 { FileIO.close(fd) }
        fd = -1
    }

    /// Gives up ownership of the fd without closing it (it stays locked), e.g. just before `execve`.
    public func release() -> Int32 {
        let out = fd
        fd = -1
        return out
    }

    private func lock(_ op: Int32, blocking: Bool) throws -> Bool {
        guard fd >= 0 else { throw RktError("cannot lock \(path)", causes: ["lock is closed"]) }
        let how = blocking ? op : (op | LOCK_NB)
        while flock(fd, how) != 0 {
            switch errno {
            case EINTR: continue
            case EWOULDBLOCK where !blocking: return false
            default: throw RktError.errno("lock", path)
            }
        }
        return true
    }

    // Convenience constructors mirroring rkt's pkg/lock API.

    /// Opens and exclusively locks, waiting if needed.
    public static func exclusiveLock(_ path: String, _ kind: Kind) throws -> FileLock {
        let l = try FileLock(path: path, kind: kind)
        try l.exclusive()
        return l
    }

    /// Opens and exclusively locks; nil when already locked by someone else.
    public static func tryExclusiveLock(_ path: String, _ kind: Kind) throws -> FileLock? {
        let l = try FileLock(path: path, kind: kind)
        return try l.tryExclusive() ? l : nil
    }

    public static func sharedLock(_ path: String, _ kind: Kind) throws -> FileLock {
        let l = try FileLock(path: path, kind: kind)
        try l.shared()
        return l
    }

    public static func trySharedLock(_ path: String, _ kind: Kind) throws -> FileLock? {
        let l = try FileLock(path: path, kind: kind)
        return try l.tryShared() ? l : nil
    }

    /// Opens a key file, creating it with `mode` (0660) when missing, and locks it, waiting: the image
    /// store's per-key locks (`cas/imagelocks/<key>`, `cas/treestorelocks/<id>`, rkt's
    /// `lock.NewLock` of a key).
    public static func keyFile(_ path: String, exclusive: Bool, mode: mode_t = 0o660) throws -> FileLock {
        let l = FileLock(adopting: try FileIO.open(path, O_RDONLY | O_CREAT, mode: mode), path: path)
        if exclusive { try l.exclusive() } else { try l.shared() }
        return l
    }
}
