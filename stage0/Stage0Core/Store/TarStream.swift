#if canImport(Glibc)
import Glibc
#endif
import CArchive
import RktCommon

/// Reads a (possibly compressed) tar from an fd in one pass: libarchive's raw reader
/// decompresses, every uncompressed byte is SHA-512'd (unless `hashing` is off) and optionally
/// copied to `copyFD`, and libarchive's tar reader parses those same bytes. Nothing is read
/// twice. The stage before parsing runs on a thread of its own (`TarReadAhead`): decompression
/// for a compressed image (hashing and copying stay with the parser), reading and hashing for a
/// plain one.
package final class TarStream {
    package enum Compression { case plain, gzip, bzip2, xz }

    package let source: String
    package let compression: Compression
    /// What the read-ahead thread works on. Its closures hold this object, never the stream:
    /// the stream's deinit stops that thread, and until `stop()` returns the thread may still be
    /// inside `fill`, where an unowned reference to a stream being destroyed would trap.
    private let input: TarSource
    private var raw: OpaquePointer?
    private var readAhead: TarReadAhead?
    /// Whether hashing runs on the read-ahead thread (plain input: it has nothing else to do)
    /// or in `readTar` (compressed input: the thread is busy inflating). Copying always runs
    /// in `readTar`, next to the parser, which leaves that thread time to spare.
    private let hashAhead: Bool
    private let hashing: Bool
    private var tar: OpaquePointer?
    private let bufSize = 256 << 10
    private var copyFD: Int32 = -1
    private var copyPath = ""
    package private(set) var size: Int64 = 0
    private var failure: RktError?

    /// Sniffs the compression from the first 512 bytes (appc: aci/file.go DetectFileType).
    package static func detect(_ head: [UInt8]) -> Compression? {
        if head.starts(with: [0x1f, 0x8b]) { return .gzip }
        if head.starts(with: [0x42, 0x5a, 0x68]) { return .bzip2 }
        if head.starts(with: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]) { return .xz }
        if head.count >= 262, Array(head[257..<262]) == Array("ustar".utf8) { return .plain }
        return nil
    }

    /// `fd` stays owned by the caller. `copyTo` receives the uncompressed tar. `hashing: false`
    /// skips the SHA-512 (rendering a blob whose ID is already known); `finish()` then returns "".
    package init(fd: Int32, source: String, copyTo: (fd: Int32, path: String)? = nil, hashing: Bool = true) throws {
        self.source = source
        self.hashing = hashing
        if let copyTo { copyFD = copyTo.fd; copyPath = copyTo.path }
        var head = [UInt8](repeating: 0, count: 512)
        var got = 0
        while got < 512 {
            let n = head.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress.map { $0 + got }, 512 - got) }
            if n < 0 {
                if errno == EINTR { continue }
                throw RktError.errno("cannot read image", source)
            }
            if n == 0 { break }
            got += n
        }
        let prefix = Array(head[0..<got])
        guard let c = TarStream.detect(prefix) else {
            throw RktError("cannot read image \(source)", causes: ["unknown image filetype"])
        }
        compression = c
        hashAhead = c == .plain
        let input = TarSource(fd: fd, source: source, prefix: prefix, bufSize: bufSize,
                              hashing: hashing && c == .plain)
        self.input = input
        if c != .plain {
            guard let r = archive_read_new() else { throw RktError("cannot read image \(source)", causes: ["out of memory"]) }
            raw = r
            switch c {
            case .gzip: archive_read_support_filter_gzip(r)
            case .bzip2: archive_read_support_filter_bzip2(r)
            case .xz: archive_read_support_filter_xz(r)
            case .plain: break
            }
            archive_read_support_format_raw(r)
            let inputCtx = Unmanaged.passUnretained(input).toOpaque()
            guard archive_read_open(r, inputCtx, nil, srcReadCallback, nil) == ARCHIVE_OK else { throw archiveError(r, "cannot decompress image") }
            var e: OpaquePointer?
            guard archive_read_next_header(r, &e) == ARCHIVE_OK else { throw archiveError(r, "cannot decompress image") }
            readAhead = TarReadAhead(bufSize: bufSize, fill: { archive_read_data(r, $0, $1) }) {
                if let f = input.failure { return RktError("cannot decompress image \(source)", cause: f) }
                let msg = archive_error_string(r).map { String(cString: $0) } ?? "decompression failed"
                return RktError("cannot decompress image \(source)", causes: [msg])
            }
        } else {
            readAhead = TarReadAhead(bufSize: bufSize, fill: { input.readAndHash($0, $1) }) {
                input.failure ?? RktError("cannot read image \(source)")
            }
        }
        guard let t = archive_read_new() else { throw RktError("cannot read image \(source)", causes: ["out of memory"]) }
        tar = t
        archive_read_support_format_tar(t)
        // No skip callback on purpose: skipped entry data must still flow through the hash.
        let ctx = Unmanaged.passUnretained(self).toOpaque()
        guard archive_read_open(t, ctx, nil, tarReadCallback, nil) == ARCHIVE_OK else { throw archiveError(t, "cannot read image") }
    }

    deinit {
        readAhead?.stop()
        if let tar { archive_read_free(tar) }
        if let raw { archive_read_free(raw) }
    }

    private func archiveError(_ a: OpaquePointer, _ what: String) -> RktError {
        if let failure { return RktError("\(what) \(source)", cause: failure) }
        let msg = archive_error_string(a).map { String(cString: $0) } ?? "unknown archive error"
        return RktError("\(what) \(source)", causes: [msg])
    }

    /// Counts and copies one chunk of the uncompressed stream (hashing it too unless the
    /// read-ahead thread did); false (with the failure recorded) when the copy cannot be written.
    private func digest(_ chunk: UnsafeRawBufferPointer) -> Bool {
        if hashing && !hashAhead { input.hasher.update(bufferPointer: chunk) }
        size += Int64(chunk.count)
        if copyFD >= 0 {
            do { try StoreFS.writeAll(fd: copyFD, chunk, path: copyPath) } catch {
                failure = failure ?? RktError("cannot write image copy", cause: error)
                return false
            }
        }
        return true
    }

    /// Uncompressed bytes for the tar reader, hashed and copied on the way through.
    fileprivate func readTar(_ out: UnsafeMutablePointer<UnsafeRawPointer?>) -> Int {
        guard let readAhead else { return -1 }
        let n = readAhead.read(out)
        if n < 0 {
            failure = failure ?? readAhead.failure ?? RktError("cannot read image \(source)")
            return -1
        }
        if n > 0, let p = out.pointee, !digest(UnsafeRawBufferPointer(start: p, count: n)) {
            return -1
        }
        return n
    }

    /// The next header, or nil at the end of the archive.
    package func next() throws -> TarEntry? {
        guard let tar else { return nil }
        var e: OpaquePointer?
        let rc = archive_read_next_header(tar, &e)
        if rc == ARCHIVE_EOF { return nil }
        guard rc == ARCHIVE_OK || rc == ARCHIVE_WARN, let e else { throw archiveError(tar, "cannot read image") }
        return TarEntry(e)
    }

    /// The current entry's data, at most `limit` bytes.
    package func readData(limit: Int) throws -> [UInt8] {
        guard let tar else { return [] }
        var out: [UInt8] = []
        while true {
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = chunk.withUnsafeMutableBytes { archive_read_data(tar, $0.baseAddress, $0.count) }
            if n < 0 { throw archiveError(tar, "cannot read image") }
            if n == 0 { return out }
            out.append(contentsOf: chunk[0..<n])
            if out.count > limit { throw RktError("cannot read image \(source)", causes: ["entry larger than \(limit) bytes"]) }
        }
    }

    /// Streams the current entry's data blocks (with sparse offsets) to `body`.
    package func readBlocks(_ body: (UnsafeRawBufferPointer, Int64) throws -> Void) throws {
        guard let tar else { return }
        while true {
            var buf: UnsafeRawPointer?
            var len = 0
            var off: la_int64_t = 0
            let rc = archive_read_data_block(tar, &buf, &len, &off)
            if rc == ARCHIVE_EOF { return }
            guard rc == ARCHIVE_OK || rc == ARCHIVE_WARN else { throw archiveError(tar, "cannot read image") }
            if len > 0 { try body(UnsafeRawBufferPointer(start: buf, count: len), off) }
        }
    }

    /// Consumes whatever follows the end-of-archive marker and returns the SHA-512 of the whole
    /// uncompressed stream as 128 hex digits.
    package func finish() throws -> String {
        var p: UnsafeRawPointer?
        while true {
            let n = readTar(&p)
            if n < 0 { throw failure ?? RktError("cannot read image \(source)") }
            if n == 0 { break }
        }
        if let failure { throw failure }
        return hashing ? StoreFS.hex(input.hasher.finalize()) : ""
    }
}

/// The compressed (or plain) side of a `TarStream`: the sniffed prefix, then the fd. While the
/// read-ahead thread runs, only that thread calls into it; the hasher is the stream's when the
/// thread does not hash (`hashing` false here), and `hasher.finalize()` is read after the thread
/// has reported the end.
private final class TarSource: @unchecked Sendable {
    package let source: String
    private let fd: Int32
    private let prefix: [UInt8]
    private var prefixOff = 0
    private let buf: UnsafeMutableRawPointer
    private let bufSize: Int
    private let hashing: Bool
    package var hasher = SHA512Digest()
    /// Set before a read reports -1.
    private(set) var failure: RktError?

    package init(fd: Int32, source: String, prefix: [UInt8], bufSize: Int, hashing: Bool) {
        self.fd = fd
        self.source = source
        self.prefix = prefix
        self.bufSize = bufSize
        self.hashing = hashing
        buf = UnsafeMutableRawPointer.allocate(byteCount: bufSize, alignment: 16)
    }

    deinit { buf.deallocate() }

    /// The next source bytes into `into`: the sniffed prefix first, then the fd.
    private func read(into out: UnsafeMutableRawPointer, _ cap: Int) -> Int {
        if prefixOff < prefix.count {
            let n = min(cap, prefix.count - prefixOff)
            prefix[prefixOff..<(prefixOff + n)].withUnsafeBytes { p in
                if let base = p.baseAddress { out.copyMemory(from: base, byteCount: n) }
            }
            prefixOff += n
            return n
        }
        while true {
            let n = Glibc.read(fd, out, cap)
            if n < 0, errno == EINTR { continue }
            if n < 0 {
                failure = RktError.errno("cannot read image", source)
                return -1
            }
            return n
        }
    }

    /// Raw compressed bytes for the decompressor (libarchive's read callback).
    package func readCompressed(_ out: UnsafeMutablePointer<UnsafeRawPointer?>) -> Int {
        out.pointee = UnsafeRawPointer(buf)
        return read(into: buf, bufSize)
    }

    /// Plain input on the read-ahead thread: the next bytes, read straight into the ring's
    /// buffer and hashed.
    package func readAndHash(_ out: UnsafeMutableRawPointer, _ cap: Int) -> Int {
        let n = read(into: out, cap)
        if n > 0, hashing { hasher.update(bufferPointer: UnsafeRawBufferPointer(start: out, count: n)) }
        return n
    }
}

private func srcReadCallback(_ a: OpaquePointer?, _ ctx: UnsafeMutableRawPointer?, _ out: UnsafeMutablePointer<UnsafeRawPointer?>?) -> la_ssize_t {
    guard let ctx, let out else { return -1 }
    return Unmanaged<TarSource>.fromOpaque(ctx).takeUnretainedValue().readCompressed(out)
}

private func tarReadCallback(_ a: OpaquePointer?, _ ctx: UnsafeMutableRawPointer?, _ out: UnsafeMutablePointer<UnsafeRawPointer?>?) -> la_ssize_t {
    guard let ctx, let out else { return -1 }
    return Unmanaged<TarStream>.fromOpaque(ctx).takeUnretainedValue().readTar(out)
}

/// One tar header, copied out of libarchive so it survives the next `next()`.
package struct TarEntry {
    package let path: String
    package let hardlink: String?
    package let symlink: String?
    /// `S_IFMT` bits (0 for a hardlink with no type).
    package let type: mode_t
    package let perm: mode_t
    package let uid: Int64
    package let gid: Int64
    package let size: Int64
    package let mtime: timespec
    package let atime: timespec
    package let hasATime: Bool
    package let devMajor: UInt32
    package let devMinor: UInt32
    package let xattrs: [(name: String, value: [UInt8])]

    package init(_ e: OpaquePointer) {
        path = (archive_entry_pathname(e) ?? archive_entry_pathname_utf8(e)).map { String(cString: $0) } ?? ""
        hardlink = (archive_entry_hardlink(e) ?? archive_entry_hardlink_utf8(e)).map { String(cString: $0) }
        symlink = (archive_entry_symlink(e) ?? archive_entry_symlink_utf8(e)).map { String(cString: $0) }
        type = mode_t(archive_entry_filetype(e)) & S_IFMT
        perm = mode_t(archive_entry_perm(e)) & 0o7777
        uid = archive_entry_uid(e)
        gid = archive_entry_gid(e)
        size = archive_entry_size(e)
        mtime = timespec(tv_sec: Int(archive_entry_mtime(e)), tv_nsec: Int(archive_entry_mtime_nsec(e)))
        hasATime = archive_entry_atime_is_set(e) != 0
        atime = hasATime ? timespec(tv_sec: Int(archive_entry_atime(e)), tv_nsec: Int(archive_entry_atime_nsec(e))) : mtime
        devMajor = UInt32(truncatingIfNeeded: archive_entry_rdevmajor(e))
        devMinor = UInt32(truncatingIfNeeded: archive_entry_rdevminor(e))
        var xs: [(name: String, value: [UInt8])] = []
        if archive_entry_xattr_reset(e) > 0 {
            var name: UnsafePointer<CChar>?
            var value: UnsafeRawPointer?
            var len = 0
            while archive_entry_xattr_next(e, &name, &value, &len) == ARCHIVE_OK {
                guard let name else { continue }
                let bytes = value.map { Array(UnsafeRawBufferPointer(start: $0, count: len)) } ?? []
                xs.append((name: String(cString: name), value: bytes))
            }
        }
        xattrs = xs
    }
}
