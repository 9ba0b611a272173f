#if canImport(Glibc)
import Glibc
#endif
import RktCommon
import RktOS

/// Running stage1 entrypoints that need no namespaces (gc, stop): `posix_spawn` with the pod
/// directory as cwd, stderr passed through.
public enum PodEntrypoint {
    /// Runs `argv[0]` and returns its exit status; throws when it cannot start.
    @discardableResult
    public static func run(argv: [String], cwd: String, stdoutToNull: Bool) throws -> Int32 {
        guard let path = argv.first else { throw RktError("empty entrypoint command") }
        var sp = Subprocess(path: path, argv: argv, env: Environment.current(), cwd: cwd)
        var devnull: Int32 = -1
        if stdoutToNull {
            devnull = Glibc.open("/dev/null", O_WRONLY | O_CLOEXEC)
            if devnull >= 0 { sp.fds[1] = devnull }
        }
        defer { if devnull >= 0 { Glibc.close(devnull) } }
        let status = try sp.run()
        return status.code
    }
}
