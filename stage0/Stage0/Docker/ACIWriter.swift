#if canImport(Glibc)
import Glibc
#endif
import CArchive
import RktCommon
import RktOS
import Stage0Core

/// Writes an uncompressed ACI (`manifest` + `rootfs/…`) from a manifest and a rootfs directory
/// with libarchive. Entries are sorted, so the same tree always gives the same image ID.
final class ACIWriter {
    private let archive: OpaquePointer
    private let path: String
    /// First path written for each (dev, inode) with several links: later ones become hardlinks.
    private var links: [String: String] = [:]

    init(outputFD: Int32, path: String) throws {
        guard let a = archive_write_new() else { throw RktError("cannot create archive \(path)", causes: ["out of memory"]) }
        archive = a
        self.path = path
        archive_write_set_format_pax_restricted(a)
        guard archive_write_open_fd(a, outputFD) == ARCHIVE_OK else {
            let e = error("cannot open archive")
            archive_write_free(a)
            throw e
        }
    }

    deinit { archive_write_free(archive) }

    private func error(_ what: String) -> RktError {
        let msg = archive_error_string(archive).map { String(cString: $0) } ?? "unknown archive error"
        return RktError("\(what) \(path)", causes: [msg])
    }

    /// Writes the whole image: the manifest first, then the rootfs tree.
    static func write(manifest: [UInt8], rootfs: String, to fd: Int32, path: String) throws {
        let w = try ACIWriter(outputFD: fd, path: path)
        try w.addFile(name: "manifest", bytes: manifest)
        let rfd = open(rootfs, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard rfd >= 0 else { throw RktError.errno("cannot open rootfs", rootfs) }
        defer { close(rfd) }
        try w.addTree(dirFD: rfd, name: "rootfs")
        try w.finishArchive()
    }

    func addFile(name: String, bytes: [UInt8]) throws {
        guard let e = archive_entry_new() else { throw RktError("cannot write \(name)", causes: ["out of memory"]) }
        defer { archive_entry_free(e) }
        archive_entry_set_pathname(e, name)
        let regular: mode_t = S_IFREG
        archive_entry_set_filetype(e, UInt32(regular))
        archive_entry_set_perm(e, 0o644)
        archive_entry_set_size(e, la_int64_t(bytes.count))
        guard archive_write_header(archive, e) == ARCHIVE_OK else { throw error("cannot write \(name) to") }
        let n = bytes.withUnsafeBytes { archive_write_data(archive, $0.baseAddress, $0.count) }
        guard n == bytes.count else { throw error("cannot write \(name) to") }
    }

    /// Writes the directory `dirFD` as `name`, then its children in name order.
    private func addTree(dirFD: Int32, name: String) throws {
        var st = stat()
        guard fstat(dirFD, &st) == 0 else { throw RktError.errno("stat", name) }
        try header(name, st, symlink: nil, hardlink: nil)
        for child in try FileSystem.listDirectory(fd: dirFD, what: name).sorted() {
            let rel = "\(name)/\(child)"
            var cst = stat()
            guard fstatat(dirFD, child, &cst, AT_SYMLINK_NOFOLLOW) == 0 else { throw RktError.errno("stat", rel) }
            switch cst.st_mode & S_IFMT {
            case S_IFDIR:
                let cfd = openat(dirFD, child, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                guard cfd >= 0 else { throw RktError.errno("cannot open directory", rel) }
                defer { close(cfd) }
                try addTree(dirFD: cfd, name: rel)
            case S_IFLNK:
                var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                let n = readlinkat(dirFD, child, &buf, buf.count - 1)
                guard n >= 0 else { throw RktError.errno("readlink", rel) }
                let target = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                try header(rel, cst, symlink: target, hardlink: nil)
            case S_IFREG:
                let key = "\(cst.st_dev):\(cst.st_ino)"
                if cst.st_nlink > 1 {
                    if let first = links[key] {
                        try header(rel, cst, symlink: nil, hardlink: first)
                        continue
                    }
                    links[key] = rel
                }
                try header(rel, cst, symlink: nil, hardlink: nil)
                try copyData(dirFD: dirFD, child, rel)
            default:
                try header(rel, cst, symlink: nil, hardlink: nil)
            }
        }
    }

    private func header(_ name: String, _ st: stat, symlink: String?, hardlink: String?) throws {
        guard let e = archive_entry_new() else { throw RktError("cannot write \(name)", causes: ["out of memory"]) }
        defer { archive_entry_free(e) }
        var s = st
        archive_entry_copy_stat(e, &s)
        archive_entry_set_pathname(e, name)
        if let symlink { archive_entry_set_symlink(e, symlink) }
        if let hardlink {
            archive_entry_set_hardlink(e, hardlink)
            archive_entry_set_size(e, 0)
        }
        if (st.st_mode & S_IFMT) != S_IFREG || hardlink != nil { archive_entry_set_size(e, 0) }
        let rc = archive_write_header(archive, e)
        guard rc == ARCHIVE_OK || rc == ARCHIVE_WARN else { throw error("cannot write \(name) to") }
    }

    private func copyData(dirFD: Int32, _ child: String, _ rel: String) throws {
        let fd = openat(dirFD, child, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw RktError.errno("cannot open", rel) }
        defer { close(fd) }
        var buf = [UInt8](repeating: 0, count: 256 << 10)
        while true {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw RktError.errno("read", rel)
            }
            if n == 0 { break }
            let w = buf.withUnsafeBytes { archive_write_data(archive, $0.baseAddress, n) }
            guard w == n else { throw error("cannot write \(rel) to") }
        }
    }

    func finishArchive() throws {
        guard archive_write_close(archive) == ARCHIVE_OK else { throw error("cannot finish archive") }
    }
}
