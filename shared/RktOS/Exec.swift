import Glibc
import RktCommon

/// `execve` with an explicit argv and envp, and PATH lookup inside a rootfs.
public enum Exec {
    /// Replaces the process image. stdout/stderr are flushed first because buffered output
    /// would be lost. Only returns by throwing.
    public static func execve(_ path: String, argv: [String], env: [String]) throws -> Never {
        fflush(nil)
        var cArgv = argv.map { strdup($0) } + [nil]
        var cEnv = env.map { strdup($0) } + [nil]
        _ = Glibc.execve(path, &cArgv, &cEnv)
        let err = errno
        for p in cArgv { free(p) }
        for p in cEnv { free(p) }
        throw RktError.errno("execve", path, err)
    }

    /// Finds `name` the way Go's `exec.LookPath` would inside `root`: a name containing `/` is
    /// used as is; otherwise each directory of `pathVar` is tried for an executable regular
    /// file. Returns the in-root path (`/usr/bin/busybox`).
    public static func lookPath(_ name: String, pathVar: String?, root: String) throws -> String {
        if name.contains("/") { return name }
        let dirs = (pathVar ?? "").split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        for dir in dirs {
            let candidate = PathUtil.join(dir.isEmpty ? "." : dir, name)
            guard candidate.hasPrefix("/") else { continue }
            guard let host = try? SecurePath.hostPath(root: root, path: candidate),
                  let st = try? FileSystem.stat(host), st.isRegular, st.mode & 0o111 != 0 else { continue }
            return candidate
        }
        throw RktError("cannot find \"\(name)\" in PATH \(pathVar ?? "") of \(root)",
                       causes: [RktError.strerror(ENOENT)])
    }
}
