#if canImport(Glibc)
import Glibc
#endif
import CShim
import RktCommon
import RktOS

extension TreeStore {
    /// SHA-512 over a sorted walk of `<dir>/rootfs` plus `<dir>/manifest`: for each entry its
    /// path, type, permissions, owner, size, link target, device and kept xattrs, then the file
    /// content. Times are left out (they are not part of the image identity). Also returns the
    /// summed `st_size` of everything walked, rkt's tree-store size.
    static func contentHash(_ dir: String) throws -> (hash: String, size: Int64) {
        var h = SHA512Digest()
        var size: Int64 = 0
        let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dfd >= 0 else { throw RktError.errno("cannot open tree", dir) }
        defer { close(dfd) }
        for name in ["manifest", "rootfs"] {
            try hashEntry(dirfd: dfd, name: name, rel: name, into: &h, size: &size)
        }
        return ("sha512-" + StoreFS.hex(h.finalize()), size)
    }

    private static func hashEntry(dirfd: Int32, name: String, rel: String, into h: inout SHA512Digest, size: inout Int64) throws {
        var st = stat()
        guard fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else { throw RktError.errno("cannot stat", rel) }
        let type = st.st_mode & S_IFMT
        size += Int64(st.st_size)
        var header = "\(rel)\0\(type)\0\(st.st_mode & 0o7777)\0\(st.st_uid)\0\(st.st_gid)\0"
        switch type {
        case S_IFREG: header += "\(st.st_size)\0"
        case S_IFCHR, S_IFBLK: header += "\(st.st_rdev)\0"
        case S_IFLNK:
            var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = buf.withUnsafeMutableBufferPointer { p -> Int in
                guard let base = p.baseAddress else { return -1 }
                return readlinkat(dirfd, name, base, p.count)
            }
            guard n >= 0 else { throw RktError.errno("cannot read link", rel) }
            header += String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) + "\0"
        default: break
        }
        h.update(data: Array(header.utf8))
        if type == S_IFREG {
            let fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
            guard fd >= 0 else { throw RktError.errno("cannot open", rel) }
            defer { close(fd) }
            try hashXattrs(fd: fd, rel: rel, into: &h)
            var buf = [UInt8](repeating: 0, count: 1 << 18)
            while true {
                let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw RktError.errno("cannot read", rel)
                }
                if n == 0 { break }
                buf.withUnsafeBytes { h.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            }
        } else if type == S_IFDIR {
            let sub = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard sub >= 0 else { throw RktError.errno("cannot open directory", rel) }
            defer { close(sub) }
            for child in try FileSystem.listDirectory(fd: sub, what: rel).sorted() {
                try hashEntry(dirfd: sub, name: child, rel: "\(rel)/\(child)", into: &h, size: &size)
            }
        }
    }

    /// Only the xattrs extraction keeps (`user.*`, `security.capability`), sorted by name.
    private static func hashXattrs(fd: Int32, rel: String, into h: inout SHA512Digest) throws {
        let len = rkt_flistxattr(fd, nil, 0)
        guard len > 0 else { return }
        var names = [CChar](repeating: 0, count: len)
        let got = names.withUnsafeMutableBufferPointer { rkt_flistxattr(fd, $0.baseAddress, len) }
        guard got > 0 else { return }
        let list = names[0..<got].split(separator: 0).map { String(decoding: $0.map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        for n in list.sorted() where n.hasPrefix("user.") || n.hasPrefix("security.capability") {
            let vlen = rkt_fgetxattr(fd, n, nil, 0)
            guard vlen >= 0 else { continue }
            var v = [UInt8](repeating: 0, count: vlen)
            let vg = v.withUnsafeMutableBytes { rkt_fgetxattr(fd, n, $0.baseAddress, vlen) }
            guard vg >= 0 else { continue }
            h.update(data: Array("xattr\0\(n)\0".utf8) + v[0..<vg])
        }
    }
}
