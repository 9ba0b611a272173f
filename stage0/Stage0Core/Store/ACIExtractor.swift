#if canImport(Glibc)
import Glibc
#endif
import CShim
import RktCommon
import RktOS

/// Extracts tar entries under a root directory fd so that nothing can land outside it
/// (appc-docker-cni.md §1.4). Every parent is resolved with
/// `openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)`, so `..`, absolute symlinks and symlinks
/// planted earlier in the same archive all resolve inside the root, as in rkt's chroot helper;
/// the final component is created with *at calls that never follow it.
package final class ACIExtractor {
    private let rootFD: Int32
    private let overwrite: Bool
    private let idShift: Int64
    private var cached: (path: String, fd: Int32)?
    /// Directory times are applied last, because creating children changes them.
    private var dirTimes: [(path: String, times: [timespec])] = []

    /// `rootFD` stays owned by the caller. `idShift` moves ownership into a user-namespace range.
    package init(rootFD: Int32, overwrite: Bool, idShift: Int64 = 0) {
        self.rootFD = rootFD
        self.overwrite = overwrite
        self.idShift = idShift
    }

    deinit { dropCache() }

    private func dropCache() {
        if let c = cached { close(c.fd) }
        cached = nil
    }

    private static func split(_ rel: String) -> (parent: String, leaf: String) {
        guard let slash = rel.lastIndex(of: "/") else { return (".", rel) }
        return (String(rel[..<slash]), String(rel[rel.index(after: slash)...]))
    }

    private func openInRoot(_ rel: String) -> Int32 {
        if rel == "." { return fcntl(rootFD, F_DUPFD_CLOEXEC, 0) }
        return rkt_openat2(rootFD, rel, UInt64(O_RDONLY | O_DIRECTORY | O_CLOEXEC), 0, RKT_RESOLVE_IN_ROOT | RKT_RESOLVE_NO_MAGICLINKS)
    }

    /// Opens directory `rel` inside the root, creating missing components with mode 0755.
    private func openDir(_ rel: String) throws -> Int32 {
        let fd = openInRoot(rel)
        if fd >= 0 { return fd }
        guard errno == ENOENT, rel != "." else { throw RktError.errno("cannot open directory", rel) }
        let (parent, leaf) = ACIExtractor.split(rel)
        let pfd = try openDir(parent)
        defer { close(pfd) }
        if mkdirat(pfd, leaf, 0o755) == 0 {
            _ = fchmodat(pfd, leaf, 0o755, 0)
        } else if errno != EEXIST {
            throw RktError.errno("cannot create directory", rel)
        }
        let again = openInRoot(rel)
        guard again >= 0 else { throw RktError.errno("cannot open directory", rel) }
        return again
    }

    /// The parent directory fd of the last entries, reused while entries share a directory.
    private func parentFD(_ parent: String) throws -> Int32 {
        if let c = cached, c.path == parent { return c.fd }
        dropCache()
        let fd = try openDir(parent)
        cached = (parent, fd)
        return fd
    }

    private func ids(_ e: TarEntry) -> (uid_t, gid_t) {
        (uid_t(truncatingIfNeeded: e.uid + idShift), gid_t(truncatingIfNeeded: e.gid + idShift))
    }

    private static func allowedXattr(_ name: String) -> Bool {
        name.hasPrefix("user.") || name.hasPrefix("security.capability")
    }

    /// Extracts one entry at `rel` ("." is the root itself). `linkTarget` is the root-relative
    /// target of a hardlink entry. Regular-file data is pulled from `stream`.
    package func extract(_ e: TarEntry, at rel: String, linkTarget: String?, stream: TarStream) throws {
        do {
            try extractEntry(e, at: rel, linkTarget: linkTarget, stream: stream)
        } catch {
            throw RktError("cannot extract \(rel)", cause: error)
        }
    }

    private func extractEntry(_ e: TarEntry, at rel: String, linkTarget: String?, stream: TarStream) throws {
        let (uid, gid) = ids(e)
        if rel == "." {
            guard e.type == S_IFDIR else { throw RktError("root of the image is not a directory") }
            if fchown(rootFD, uid, gid) != 0 { throw RktError.errno("chown", rel) }
            if fchmod(rootFD, e.perm) != 0 { throw RktError.errno("chmod", rel) }
            dirTimes.append((rel, [e.atime, e.mtime]))
            return
        }
        let (parent, leaf) = ACIExtractor.split(rel)
        let pfd = try parentFD(parent)

        // A regular file is created with O_EXCL, which fails on anything already there (a
        // dangling symlink included), so the common case needs no lookup; the replace rules below
        // run only when the create finds something. Other entries are rare: check first.
        var preCreated: Int32 = -1
        if e.type == S_IFREG, linkTarget == nil {
            preCreated = openat(pfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            if preCreated < 0, errno != EEXIST { throw RktError.errno("create", rel) }
        }
        if preCreated < 0 {
            var st = stat()
            if fstatat(pfd, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0 {
                let existingDir = (st.st_mode & S_IFMT) == S_IFDIR
                if !(existingDir && e.type == S_IFDIR && linkTarget == nil) {
                    guard overwrite else { throw RktError("cannot create \(rel)", causes: ["file exists"]) }
                    // Replace, never follow: a symlink to a directory is removed, not written through.
                    try FileSystem.removeTree(at: pfd, leaf, what: rel)
                }
            }
        }

        if let linkTarget {
            let (tp, tl) = ACIExtractor.split(linkTarget)
            let tfd = try openDir(tp)
            defer { close(tfd) }
            if linkat(tfd, tl, pfd, leaf, 0) != 0 { throw RktError.errno("link \(linkTarget) to", rel) }
            return
        }

        let times = [e.atime, e.mtime]
        switch e.type {
        case S_IFREG:
            let fd = preCreated >= 0 ? preCreated : openat(pfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw RktError.errno("create", rel) }
            defer { close(fd) }
            var end: Int64 = 0
            try stream.readBlocks { chunk, offset in
                end = max(end, offset + Int64(chunk.count))
                var done = 0
                while done < chunk.count {
                    let n = pwrite(fd, chunk.baseAddress.map { $0 + done }, chunk.count - done, off_t(offset) + off_t(done))
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw RktError.errno("write", rel)
                    }
                    done += n
                }
            }
            // Only a sparse file ending in a hole is shorter than its size after the writes.
            if end < e.size, ftruncate(fd, off_t(e.size)) != 0 { throw RktError.errno("truncate", rel) }
            // chown clears setuid bits and file capabilities: chown, then chmod, then xattrs.
            if fchown(fd, uid, gid) != 0 { throw RktError.errno("chown", rel) }
            if fchmod(fd, e.perm) != 0 { throw RktError.errno("chmod", rel) }
            for x in e.xattrs where ACIExtractor.allowedXattr(x.name) {
                let rc = x.value.withUnsafeBytes { rkt_fsetxattr(fd, x.name, $0.baseAddress, $0.count, 0) }
                if rc != 0 { throw RktError.errno("set xattr \(x.name) on", rel) }
            }
            if futimens(fd, times) != 0 { throw RktError.errno("set times of", rel) }
        case S_IFDIR:
            if mkdirat(pfd, leaf, 0o700) != 0, errno != EEXIST { throw RktError.errno("mkdir", rel) }
            let fd = openat(pfd, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard fd >= 0 else { throw RktError.errno("open directory", rel) }
            defer { close(fd) }
            if fchown(fd, uid, gid) != 0 { throw RktError.errno("chown", rel) }
            if fchmod(fd, e.perm) != 0 { throw RktError.errno("chmod", rel) }
            dirTimes.append((rel, times))
        case S_IFLNK:
            guard let target = e.symlink else { throw RktError("symlink \(rel) has no target") }
            // The target is stored verbatim: it only resolves at run time, inside the rootfs.
            if symlinkat(target, pfd, leaf) != 0 { throw RktError.errno("symlink", rel) }
            if fchownat(pfd, leaf, uid, gid, AT_SYMLINK_NOFOLLOW) != 0 { throw RktError.errno("chown", rel) }
            _ = utimensat(pfd, leaf, times, AT_SYMLINK_NOFOLLOW)
        case S_IFCHR, S_IFBLK, S_IFIFO:
            let dev = e.type == S_IFIFO ? 0 : ACIExtractor.makedev(e.devMajor, e.devMinor)
            if mknodat(pfd, leaf, e.type | e.perm, dev) != 0 {
                if errno == EPERM, idShift != 0 {
                    throw RktError("image contains device node \(rel); not allowed with user namespaces")
                }
                throw RktError.errno("mknod", rel)
            }
            if fchownat(pfd, leaf, uid, gid, AT_SYMLINK_NOFOLLOW) != 0 { throw RktError.errno("chown", rel) }
            if fchmodat(pfd, leaf, e.perm, 0) != 0 { throw RktError.errno("chmod", rel) }
            _ = utimensat(pfd, leaf, times, AT_SYMLINK_NOFOLLOW)
        default:
            throw RktError("unsupported type")
        }
    }

    package static func makedev(_ major: UInt32, _ minor: UInt32) -> dev_t {
        let ma = UInt64(major), mi = UInt64(minor)
        return dev_t(((ma & 0xffff_f000) << 32) | ((ma & 0xfff) << 8) | ((mi & 0xffff_ff00) << 12) | (mi & 0xff))
    }

    /// Applies directory times, deepest first, once every entry is in place.
    package func finish() throws {
        dropCache()
        for d in dirTimes.reversed() {
            let fd = openInRoot(d.path)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            if futimens(fd, d.times) != 0 { throw RktError.errno("set times of", d.path) }
        }
        dirTimes.removeAll()
    }
}

/// Which part of an ACI an extraction writes.
package enum ACIExtractScope {
    /// `manifest` and `rootfs/…` as in the archive.
    case whole
    /// Only `rootfs/…`, with the `rootfs/` prefix stripped.
    case rootfsOnly
}

extension ACIExtractor {
    /// Streams every entry of `stream` through the extractor. `include` sees the root-relative
    /// path and may drop entries (path whitelists).
    package func extractAll(_ stream: TarStream, scope: ACIExtractScope, include: ((String, TarEntry) -> Bool)? = nil) throws {
        func map(_ raw: String) throws -> String? {
            guard let clean = ACIPath.clean(raw) else { throw RktError("unsafe file path in archive: \(raw)") }
            if clean == "." { return nil }
            switch scope {
            case .whole:
                guard clean == "manifest" || ACIPath.rootfsRelative(clean) != nil else {
                    throw RktError("unrecognized file path in layout: \(clean)")
                }
                return clean
            case .rootfsOnly:
                return ACIPath.rootfsRelative(clean)
            }
        }
        while let e = try stream.next() {
            guard let rel = try map(e.path) else { continue }
            if let include, !include(rel, e) { continue }
            var target: String? = nil
            if let link = e.hardlink {
                guard let t = try map(link), t != ".", ACIPath.clean(link)?.hasPrefix("rootfs/") == true else {
                    throw RktError("invalid hardlink \(e.path) -> \(link)")
                }
                target = t
            }
            try extract(e, at: rel, linkTarget: target, stream: stream)
        }
        try finish()
    }
}
