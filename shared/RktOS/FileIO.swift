import CShim
import Glibc
import RktCommon

/// Whole-file and fd helpers. Every fd is opened `O_CLOEXEC`; the only fd that ever loses the
/// flag is the pod lock handed to stage1 (`clearCloseOnExec`).
public enum FileIO {
    /// `open(2)` with `O_CLOEXEC` added; throws `open <path>: <errno>`.
    public static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o644) throws -> Int32 {
        let fd = rkt_open(path, flags | O_CLOEXEC, mode)
        if fd < 0 { throw RktError.errno("open", path) }
        return fd
    }

    /// `openat(2)` with `O_CLOEXEC` added.
    public static func openat(_ dirfd: Int32, _ path: String, _ flags: Int32, mode: mode_t = 0o644) throws -> Int32 {
        let fd = rkt_openat(dirfd, path, flags | O_CLOEXEC, mode)
        if fd < 0 { throw RktError.errno("openat", path) }
        return fd
    }

    /// Closes `fd`, ignoring EINTR (Linux always releases the fd).
    public static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }

    public static func setCloseOnExec(_ fd: Int32, _ on: Bool) throws {
        if rkt_set_cloexec(fd, on ? 1 : 0) != 0 { throw RktError.errno("fcntl F_SETFD", "fd \(fd)") }
    }

    /// Lets `fd` survive `execve` (the stage0 → stage1 → app pod lock).
    public static func clearCloseOnExec(_ fd: Int32) throws { try setCloseOnExec(fd, false) }

    public static func isCloseOnExec(_ fd: Int32) throws -> Bool {
        let r = rkt_get_cloexec(fd)
        if r < 0 { throw RktError.errno("fcntl F_GETFD", "fd \(fd)") }
        return r == 1
    }

    /// Reads `fd` to EOF.
    public static func readAll(fd: Int32, what: String = "fd") throws -> [UInt8] {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw RktError.errno("read", what)
            }
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<n])
        }
        return out
    }

    /// Writes every byte, retrying short writes and EINTR.
    public static func writeAll(fd: Int32, _ bytes: [UInt8], what: String = "fd") throws {
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress.map { $0 + off }, bytes.count - off) }
            if n < 0 {
                if errno == EINTR { continue }
                throw RktError.errno("write", what)
            }
            off += n
        }
    }

    public static func readFile(_ path: String) throws -> [UInt8] {
        let fd = try open(path, O_RDONLY)
        defer { close(fd) }
        return try readAll(fd: fd, what: path)
    }

    public static func readString(_ path: String) throws -> String {
        String(decoding: try readFile(path), as: UTF8.self)
    }

    /// Creates or truncates `path` and writes `bytes` (not atomic; see `writeFileAtomic`).
    public static func writeFile(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644) throws {
        let fd = try open(path, O_WRONLY | O_CREAT | O_TRUNC, mode: mode)
        defer { close(fd) }
        try writeAll(fd: fd, bytes, what: path)
    }

    public static func writeFile(_ path: String, _ text: String, mode: mode_t = 0o644) throws {
        try writeFile(path, Array(text.utf8), mode: mode)
    }

    /// Readers see either the old or the whole new content: write `.<name>.tmp-<pid>`, fsync,
    /// rename over `path`, fsync the directory. The temp file is removed on every error path.
    /// `durable: false` skips both fsyncs, for run-time state that means nothing after a reboot
    /// (a pod's pid, cgroup, runtime-config): the rename alone keeps readers' view atomic, and
    /// each fsync costs a disk write (~1 ms, tens of ms on a busy disk) on the pod's start path.
    public static func writeFileAtomic(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644, durable: Bool = true) throws {
        let (dir, name) = PathUtil.split(path)
        let tmp = PathUtil.join(dir, ".\(name).tmp-\(getpid())")
        let fd = try open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_EXCL, mode: mode)
        var ok = false
        defer {
            if !ok { _ = unlink(tmp) }
        }
        do {
            defer { close(fd) }
            try writeAll(fd: fd, bytes, what: tmp)
            // The umask may have narrowed the mode; callers asked for exactly this one.
            if fchmod(fd, mode) != 0 { throw RktError.errno("chmod", tmp) }
            if durable && fsync(fd) != 0 { throw RktError.errno("fsync", tmp) }
        }
        if rename(tmp, path) != 0 { throw RktError.errno("rename", "\(tmp) to \(path)") }
        ok = true
        if durable, let dfd = try? open(dir.isEmpty ? "." : dir, O_RDONLY | O_DIRECTORY) {
            _ = fsync(dfd)
            close(dfd)
        }
    }

    public static func writeFileAtomic(_ path: String, _ text: String, mode: mode_t = 0o644, durable: Bool = true) throws {
        try writeFileAtomic(path, Array(text.utf8), mode: mode, durable: durable)
    }

    /// Reads a decimal integer file such as `pid`, `ppid` or `pgid` (surrounding space ignored).
    public static func readInt(_ path: String) throws -> Int {
        let text = try readString(path)
        guard let value = Int(text.trimmingSpaces()) else {
            throw RktError("cannot parse integer in \(path)")
        }
        return value
    }

    /// Fills a buffer from the kernel's CSPRNG (`getrandom(2)`).
    public static func randomBytes(_ count: Int) throws -> [UInt8] {
        var buf = [UInt8](repeating: 0, count: count)
        var off = 0
        while off < count {
            let n = buf.withUnsafeMutableBytes { rkt_getrandom($0.baseAddress.map { $0 + off }, count - off, 0) }
            if n < 0 {
                if errno == EINTR { continue }
                throw RktError.errno("getrandom")
            }
            off += n
        }
        return buf
    }
}

extension Substring {
    /// Drops leading and trailing ASCII whitespace. Foundation's `trimmingCharacters(in:)` goes
    /// through NSString and CharacterSet, whose first use costs stage0 about 0.3 ms; and this
    /// is concrete rather than a `StringProtocol` extension, because unspecialized generic code
    /// instantiates metadata at first use (another ~0.1 ms in every process that trims).
    public func trimmingSpaces() -> String {
        func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x0A || c == 0x09 || c == 0x0D }
        let u = utf8
        var start = u.startIndex, end = u.endIndex
        while start < end, isSpace(u[start]) { start = u.index(after: start) }
        while end > start, isSpace(u[u.index(before: end)]) { end = u.index(before: end) }
        return String(decoding: u[start..<end], as: UTF8.self)
    }
}

extension String {
    /// See `Substring.trimmingSpaces()`.
    public func trimmingSpaces() -> String { self[...].trimmingSpaces() }
}

