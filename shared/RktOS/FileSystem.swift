import CShim
import Glibc
import RktCommon

/// The parts of `stat(2)` callers need, decoded once.
public struct FileStat: Sendable, Equatable {
    public var mode: mode_t
    public var uid: uid_t
    public var gid: gid_t
    public var size: Int64
    public var dev: UInt64
    public var ino: UInt64
    public var nlink: UInt64
    public var mtime: (sec: Int, nsec: Int)
    public var ctime: (sec: Int, nsec: Int)

    public init(_ st: stat) {
        mode = st.st_mode
        uid = st.st_uid
        gid = st.st_gid
        size = Int64(st.st_size)
        dev = UInt64(st.st_dev)
        ino = UInt64(st.st_ino)
        nlink = UInt64(st.st_nlink)
        mtime = (Int(st.st_mtim.tv_sec), Int(st.st_mtim.tv_nsec))
        ctime = (Int(st.st_ctim.tv_sec), Int(st.st_ctim.tv_nsec))
    }

    public var isDirectory: Bool { (mode & S_IFMT) == S_IFDIR }
    public var isRegular: Bool { (mode & S_IFMT) == S_IFREG }
    public var isSymlink: Bool { (mode & S_IFMT) == S_IFLNK }
    /// Permission bits including setuid/setgid/sticky.
    public var permissions: mode_t { mode & 0o7777 }

    public static func == (a: FileStat, b: FileStat) -> Bool {
        a.mode == b.mode && a.uid == b.uid && a.gid == b.gid && a.size == b.size && a.dev == b.dev
            && a.ino == b.ino && a.mtime == b.mtime && a.ctime == b.ctime
    }
}

/// Directory and metadata operations. Paths are host paths; for paths inside an image rootfs
/// resolve them first with `SecurePath`.
public enum FileSystem {
    public static func stat(_ path: String) throws -> FileStat {
        var st = Glibc.stat()
        if sysStat(path, &st) != 0 { throw RktError.errno("stat", path) }
        return FileStat(st)
    }

    public static func lstat(_ path: String) throws -> FileStat {
        var st = Glibc.stat()
        if sysLstat(path, &st) != 0 { throw RktError.errno("lstat", path) }
        return FileStat(st)
    }

    /// nil when the path does not exist (follows symlinks); other errors throw.
    public static func statIfExists(_ path: String) throws -> FileStat? {
        var st = Glibc.stat()
        if sysStat(path, &st) != 0 {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw RktError.errno("stat", path)
        }
        return FileStat(st)
    }

    /// nil when the path does not exist (does not follow a final symlink).
    public static func lstatIfExists(_ path: String) throws -> FileStat? {
        var st = Glibc.stat()
        if sysLstat(path, &st) != 0 {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw RktError.errno("lstat", path)
        }
        return FileStat(st)
    }

    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    public static func isDirectory(_ path: String) -> Bool {
        (try? stat(path))?.isDirectory ?? false
    }

    public static func mkdir(_ path: String, mode: mode_t = 0o755) throws {
        if Glibc.mkdir(path, mode) != 0 { throw RktError.errno("mkdir", path) }
    }

    /// `mkdir -p`: creates every missing parent; an existing directory is fine.
    public static func mkdirAll(_ path: String, mode: mode_t = 0o755) throws {
        let cleaned = PathUtil.clean(path)
        if let st = try statIfExists(cleaned) {
            if st.isDirectory { return }
            throw RktError("mkdir \(cleaned)", causes: [RktError.strerror(ENOTDIR)])
        }
        let parent = PathUtil.dirname(cleaned)
        if parent != cleaned && parent != "." { try mkdirAll(parent, mode: mode) }
        if Glibc.mkdir(cleaned, mode) != 0 && errno != EEXIST { throw RktError.errno("mkdir", cleaned) }
    }

    /// Names in a directory, without `.` and `..`, in the order the kernel returns them.
    public static func listDirectory(_ path: String) throws -> [String] {
        let fd = try FileIO.open(path, O_RDONLY | O_DIRECTORY)
        return try listDirectory(fd: fd, what: path, consuming: true)
    }

    /// Names in the directory open at `fd` (which stays open and is read from its start).
    public static func listDirectory(fd: Int32, what: String) throws -> [String] {
        try listDirectory(fd: fd, what: what, consuming: false)
    }

    /// Lists the directory open at `fd`. With `consuming`, `fd` is closed afterwards.
    static func listDirectory(fd: Int32, what: String, consuming: Bool) throws -> [String] {
        let owned = consuming ? fd : dup(fd)
        if owned < 0 { throw RktError.errno("dup", what) }
        guard let dir = fdopendir(owned) else {
            let err = errno
            FileIO.close(owned)
            throw RktError.errno("opendir", what, err)
        }
        defer { closedir(dir) }
        // A dup shares the offset; start at the beginning whatever the caller did before.
        rewinddir(dir)
        var names: [String] = []
        while true {
            errno = 0
            guard let ent = readdir(dir) else {
                if errno != 0 { throw RktError.errno("readdir", what) }
                break
            }
            let name = withUnsafePointer(to: &ent.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    public static func symlink(target: String, at path: String) throws {
        if Glibc.symlink(target, path) != 0 { throw RktError.errno("symlink", path) }
    }

    /// A second name for the regular file `src` (link(2)); a copy when the two are on different
    /// filesystems or the link is refused. An existing `dst` is replaced, as a copy would
    /// overwrite it. Only for files nobody rewrites in place: a write through one name is seen
    /// through the other.
    public static func linkOrCopy(from src: String, to dst: String) throws {
        if Glibc.link(src, dst) == 0 { return }
        if errno == EEXIST {
            try removeIfExists(dst)
            if Glibc.link(src, dst) == 0 { return }
        }
        guard errno == EXDEV || errno == EPERM || errno == EMLINK else { throw RktError.errno("link", dst) }
        try copyRegularFile(from: src, to: dst)
    }

    /// realpath(3): absolute, with every symlink, `.` and `..` resolved; nil when `path` does
    /// not exist (or cannot be resolved).
    public static func realPath(_ path: String) -> String? {
        guard let resolved = Glibc.realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// `path` made absolute against the working directory and cleaned lexically (Go's
    /// `filepath.Abs`); no symlink is resolved.
    public static func absolutePath(_ path: String) -> String {
        if path.hasPrefix("/") { return PathUtil.clean(path) }
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buf, buf.count) != nil else { return PathUtil.clean(path) }
        return PathUtil.join(String(cString: buf), path)
    }

    /// `path` absolute with its symlinks resolved when it exists, else absolute and cleaned
    /// lexically (Go's `filepath.EvalSymlinks`, falling back to `filepath.Abs`).
    public static func canonicalPath(_ path: String) -> String {
        realPath(path) ?? absolutePath(path)
    }

    public static func readlink(_ path: String) throws -> String {
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = Glibc.readlink(path, &buf, buf.count - 1)
        if n < 0 { throw RktError.errno("readlink", path) }
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public static func rename(_ from: String, _ to: String) throws {
        if Glibc.rename(from, to) != 0 { throw RktError.errno("rename", "\(from) to \(to)") }
    }

    /// Removes a file or empty directory; a missing path is not an error.
    public static func removeIfExists(_ path: String) throws {
        if Glibc.remove(path) != 0 && errno != ENOENT { throw RktError.errno("remove", path) }
    }

    /// Creates an empty file if missing (without truncating an existing one).
    public static func touch(_ path: String, mode: mode_t = 0o644) throws {
        let fd = try FileIO.open(path, O_WRONLY | O_CREAT, mode: mode)
        FileIO.close(fd)
    }

    public static func chmod(_ path: String, _ mode: mode_t) throws {
        if Glibc.chmod(path, mode) != 0 { throw RktError.errno("chmod", path) }
    }

    public static func chown(_ path: String, uid: uid_t, gid: gid_t) throws {
        if Glibc.chown(path, uid, gid) != 0 { throw RktError.errno("chown", path) }
    }

    public static func lchown(_ path: String, uid: uid_t, gid: gid_t) throws {
        if Glibc.lchown(path, uid, gid) != 0 { throw RktError.errno("lchown", path) }
    }

    /// Copies a regular file's content and permission bits (rkt: fileutil.CopyRegularFile).
    public static func copyRegularFile(from src: String, to dst: String) throws {
        let st = try stat(src)
        guard st.isRegular else { throw RktError("cannot copy \(src)", causes: ["not a regular file"]) }
        try FileIO.writeFile(dst, try FileIO.readFile(src), mode: st.permissions)
        try chmod(dst, st.permissions)
    }
}

// File-scope so `stat` names the libc function, not `FileSystem.stat` or the struct.
private func sysStat(_ path: String, _ st: inout stat) -> Int32 { stat(path, &st) }
private func sysLstat(_ path: String, _ st: inout stat) -> Int32 { lstat(path, &st) }
