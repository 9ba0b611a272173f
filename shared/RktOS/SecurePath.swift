import CShim
import Glibc
import RktCommon

/// Path resolution inside an image rootfs: symlinks are followed as if `root` were `/`,
/// `..` is clamped at the root, and nothing ever resolves to a host path outside it
/// (rkt: stage1/init/common EvaluateSymlinksInsideApp, cyphar/filepath-securejoin).
public enum SecurePath {
    /// Maximum symlinks followed in one resolution, as Linux's ELOOP limit for openat2.
    static let maxSymlinks = 255

    /// The in-root absolute path (`/dir2/foo`) that `path` names inside `root`. Missing
    /// components are allowed and kept lexically (callers create them).
    public static func resolve(root: String, path: String) throws -> String {
        var remaining = components(path)
        var current: [String] = []
        var links = 0
        while !remaining.isEmpty {
            let comp = remaining.removeFirst()
            if comp == "." { continue }
            if comp == ".." {
                if !current.isEmpty { current.removeLast() }
                continue
            }
            let candidate = current + [comp]
            let host = hostPath(root: root, inRoot: candidate)
            var st = stat()
            if lstat(host, &st) != 0 {
                if errno == ENOENT || errno == ENOTDIR {
                    current = candidate
                    continue
                }
                throw RktError.errno("lstat", host)
            }
            guard (st.st_mode & S_IFMT) == S_IFLNK else {
                current = candidate
                continue
            }
            links += 1
            if links > maxSymlinks {
                throw RktError("evaluate \(path) in \(root)", causes: [RktError.strerror(ELOOP)])
            }
            let target = try FileSystem.readlink(host)
            if target.hasPrefix("/") { current = [] }
            remaining = components(target) + remaining
        }
        return "/" + current.joined(separator: "/")
    }

    /// `root` joined with the resolved in-root path: the host path to act on.
    public static func hostPath(root: String, path: String) throws -> String {
        PathUtil.join(root, try resolve(root: root, path: path))
    }

    /// Opens `path` inside `root` with `openat2(RESOLVE_IN_ROOT)`, or, on kernels without it,
    /// by resolving first and opening the final component with `O_NOFOLLOW`.
    public static func open(root: String, path: String, _ flags: Int32, mode: mode_t = 0o644) throws -> Int32 {
        let rootfd = try FileIO.open(root, O_RDONLY | O_DIRECTORY)
        defer { FileIO.close(rootfd) }
        // openat2 rejects a mode unless the file may be created.
        let how = (flags & O_CREAT) != 0 ? UInt64(mode) : 0
        let fd = rkt_openat2(rootfd, path, UInt64(UInt32(bitPattern: flags | O_CLOEXEC)), how,
                             RKT_RESOLVE_IN_ROOT | RKT_RESOLVE_NO_MAGICLINKS)
        if fd >= 0 { return fd }
        if errno != ENOSYS && errno != EPERM {
            throw RktError.errno("open", PathUtil.join(root, path))
        }
        let resolved = try hostPath(root: root, path: path)
        return try FileIO.open(resolved, flags | O_NOFOLLOW, mode: mode)
    }

    /// Reads a whole file inside `root` (for example the image's `/etc/passwd`).
    public static func readFile(root: String, path: String) throws -> [UInt8] {
        let fd = try open(root: root, path: path, O_RDONLY)
        defer { FileIO.close(fd) }
        return try FileIO.readAll(fd: fd, what: PathUtil.join(root, path))
    }

    private static func components(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    private static func hostPath(root: String, inRoot: [String]) -> String {
        ([root] + inRoot).joined(separator: "/")
    }
}
