import CShim
import Glibc
import RktCommon

extension FileSystem {
    /// `rm -rf` that never follows symlinks and never crosses into another mount: a mounted
    /// file or directory below `path` stops the removal with `EBUSY` instead of wiping the host
    /// data behind it (a pod whose volumes were not unmounted yet). A missing path is success.
    public static func removeTree(_ path: String) throws {
        guard let st = try lstatIfExists(path) else { return }
        if !st.isDirectory {
            if unlink(path) != 0 && errno != ENOENT { throw RktError.errno("remove", path) }
            return
        }
        let fd = try FileIO.open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
        do {
            defer { FileIO.close(fd) }
            let top = mountIdentity(fd, "", emptyPath: true)
            try removeContents(dirfd: fd, path: path, mount: top)
        }
        if rmdir(path) != 0 && errno != ENOENT { throw RktError.errno("remove", path) }
    }

    /// `removeTree` for the entry `name` of the directory open at `dirfd`, resolved without
    /// following a symlink at any level (image trees: a whiteout or an overwritten directory may
    /// sit next to symlinks pointing anywhere on the host). `what` names it in errors. A missing
    /// entry is success.
    public static func removeTree(at dirfd: Int32, _ name: String, what: String) throws {
        var st = Glibc.stat()
        if fstatat(dirfd, name, &st, RKT_AT_SYMLINK_NOFOLLOW) != 0 {
            if errno == ENOENT { return }
            throw RktError.errno("lstat", what)
        }
        guard (st.st_mode & S_IFMT) == S_IFDIR else {
            if unlinkat(dirfd, name, 0) != 0 && errno != ENOENT { throw RktError.errno("remove", what) }
            return
        }
        let sub = try FileIO.openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
        do {
            defer { FileIO.close(sub) }
            try removeContents(dirfd: sub, path: what, mount: mountIdentity(sub, "", emptyPath: true))
        }
        if unlinkat(dirfd, name, RKT_AT_REMOVEDIR) != 0 && errno != ENOENT { throw RktError.errno("remove", what) }
    }

    /// Mount ID via statx, or the device number on kernels without `STATX_MNT_ID`.
    private static func mountIdentity(_ dirfd: Int32, _ name: String, emptyPath: Bool) -> UInt64 {
        var id: UInt64 = 0
        let flags = RKT_AT_SYMLINK_NOFOLLOW | (emptyPath ? RKT_AT_EMPTY_PATH : 0)
        if rkt_mount_id(dirfd, name, flags, &id) == 0 { return id }
        var st = Glibc.stat()
        if fstatat(dirfd, name, &st, flags) == 0 { return UInt64(st.st_dev) | (1 << 63) }
        return 0
    }

    private static func removeContents(dirfd: Int32, path: String, mount: UInt64) throws {
        for name in try listDirectory(fd: dirfd, what: path, consuming: false) {
            let child = PathUtil.join(path, name)
            var st = Glibc.stat()
            if fstatat(dirfd, name, &st, RKT_AT_SYMLINK_NOFOLLOW) != 0 {
                if errno == ENOENT { continue }
                throw RktError.errno("lstat", child)
            }
            let isSymlink = (st.st_mode & S_IFMT) == S_IFLNK
            if !isSymlink && mountIdentity(dirfd, name, emptyPath: false) != mount {
                throw RktError("remove \(child)", causes: ["mount point still mounted: " + RktError.strerror(EBUSY)])
            }
            if (st.st_mode & S_IFMT) == S_IFDIR {
                let sub = try FileIO.openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
                do {
                    defer { FileIO.close(sub) }
                    try removeContents(dirfd: sub, path: child, mount: mount)
                }
                if unlinkat(dirfd, name, RKT_AT_REMOVEDIR) != 0 && errno != ENOENT {
                    throw RktError.errno("remove", child)
                }
            } else if unlinkat(dirfd, name, 0) != 0 && errno != ENOENT {
                throw RktError.errno("remove", child)
            }
        }
    }
}
