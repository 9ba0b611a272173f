#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CShim
import RktCommon

// The store's own file helpers, where its contract differs from RktOS's: modes set exactly
// (`mkdirAll`, `writeFileAtomic` chmod despite the umask and an inherited setgid bit, and fsync),
// `exists` without following a symlink, and reads with a size limit for files an image brought.
// Listing and removing trees are RktOS's (`FileSystem.listDirectory`, `removeTree`).

/// An open file descriptor closed on deinit: a blob `openBlob` hands out with its lock.
package final class FileHandleFD {
    package let fd: Int32
    package init(_ fd: Int32) { self.fd = fd }
    deinit { _ = Glibc.close(fd) }
}

package enum StoreFS {
    /// Creates `path` (and missing parents) with `mode`, chmod'ed explicitly so the umask and
    /// the setgid bit inherited from the parent do not decide the permissions.
    package static func mkdirAll(_ path: String, mode: mode_t) throws {
        var st = stat()
        if lstat(path, &st) == 0 {
            guard (st.st_mode & S_IFMT) == S_IFDIR else {
                throw RktError("cannot create directory \(path)", causes: ["not a directory"])
            }
            return
        }
        let parent = dirname(of: path)
        if parent != path, !parent.isEmpty { try mkdirAll(parent, mode: mode) }
        if mkdir(path, mode) != 0 {
            if errno == EEXIST { return }
            throw RktError.errno("cannot create directory", path)
        }
        if chmod(path, mode) != 0 { throw RktError.errno("cannot chmod directory", path) }
    }

    package static func dirname(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    package static func exists(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0
    }

    package static func readFile(_ path: String, limit: Int = 64 << 20) throws -> [UInt8] {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw RktError.errno("cannot open", path) }
        defer { _ = Glibc.close(fd) }
        return try readAll(fd: fd, path: path, limit: limit)
    }

    package static func readAll(fd: Int32, path: String, limit: Int) throws -> [UInt8] {
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buf.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw RktError.errno("cannot read", path)
            }
            if n == 0 { break }
            out.append(contentsOf: buf[0..<n])
            if out.count > limit { throw RktError("cannot read \(path)", causes: ["file too large"]) }
        }
        return out
    }

    package static func writeAll(fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        var off = 0
        while off < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress.map { $0 + off }, bytes.count - off)
            if n < 0 {
                if errno == EINTR { continue }
                throw RktError.errno("cannot write", path)
            }
            off += n
        }
    }

    /// Writes `bytes` to `path` via a temp file in the same directory and `rename`, so readers
    /// see either the old content or the new one.
    package static func writeFileAtomic(_ path: String, _ bytes: [UInt8], mode: mode_t) throws {
        let tmp = "\(dirname(of: path))/.tmp-\(randomHex(8))"
        let fd = Glibc.open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw RktError.errno("cannot create", tmp) }
        var ok = false
        defer {
            _ = Glibc.close(fd)
            if !ok { unlink(tmp) }
        }
        try bytes.withUnsafeBytes { try writeAll(fd: fd, $0, path: tmp) }
        if fchmod(fd, mode) != 0 { throw RktError.errno("cannot chmod", tmp) }
        if fsync(fd) != 0 { throw RktError.errno("cannot sync", tmp) }
        if rename(tmp, path) != 0 { throw RktError.errno("cannot rename \(tmp) to", path) }
        ok = true
    }

    package static func randomHex(_ count: Int) -> String {
        var bytes = [UInt8](repeating: 0, count: count)
        let n = bytes.withUnsafeMutableBytes { rkt_getrandom($0.baseAddress, count, 0) }
        if n != count {
            // getrandom cannot really fail for small sizes; fall back to the clock and pid.
            var t = timespec()
            clock_gettime(CLOCK_REALTIME, &t)
            var seed = UInt64(bitPattern: Int64(t.tv_nsec)) ^ UInt64(getpid()) << 32
            for i in 0..<count {
                seed = seed &* 6364136223846793005 &+ 1442695040888963407
                bytes[i] = UInt8(truncatingIfNeeded: seed >> 33)
            }
        }
        return hex(bytes)
    }

    package static func hex<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xf)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
