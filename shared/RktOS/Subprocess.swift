import CShim
import Glibc
import RktCommon

/// How a child ended. `code` maps a signal to 128+signal, as rkt and shells do.
public enum ExitStatus: Sendable, Equatable {
    case exited(Int32)
    case signaled(Int32)

    public init(waitStatus: Int32) {
        if rkt_wifsignaled(waitStatus) != 0 {
            self = .signaled(rkt_wtermsig(waitStatus))
        } else {
            self = .exited(rkt_wexitstatus(waitStatus))
        }
    }

    public var code: Int32 {
        switch self {
        case .exited(let c): return c
        case .signaled(let s): return 128 + s
        }
    }
}

/// A helper child started with `posix_spawn` (CNI plugins, gpg, stage1 gc/stop entrypoints):
/// no namespaces, chroot or credentials; those go through `rkt_spawn` instead.
public struct Subprocess {
    public var path: String
    public var argv: [String]
    public var env: [String]
    /// Working directory of the child (`posix_spawn_file_actions_addchdir_np`).
    public var cwd: String?
    /// Child fd ← parent fd. Unmapped 0/1/2 are inherited; every other fd is closed in the child.
    public var fds: [Int32: Int32] = [:]
    /// Put the child in its own process group.
    public var newProcessGroup = false

    public init(path: String, argv: [String], env: [String] = Environment.current(), cwd: String? = nil) {
        self.path = path
        self.argv = argv
        self.env = env
        self.cwd = cwd
    }

    /// Starts the child and returns its pid.
    public func spawn() throws -> pid_t {
        var fa = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&fa)
        defer { posix_spawn_file_actions_destroy(&fa) }
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }

        // Two passes so a mapping like 3←4, 4←3 cannot clobber a source before it is used.
        let high: Int32 = 1000
        for (i, (_, parent)) in fds.sorted(by: { $0.key < $1.key }).enumerated() {
            posix_spawn_file_actions_adddup2(&fa, parent, high + Int32(i))
        }
        for (i, (child, _)) in fds.sorted(by: { $0.key < $1.key }).enumerated() {
            posix_spawn_file_actions_adddup2(&fa, high + Int32(i), child)
        }
        let maxChild = max(2, fds.keys.max() ?? 2)
        _ = rkt_spawn_file_actions_addclosefrom(&fa, maxChild + 1)
        if let cwd { _ = rkt_spawn_file_actions_addchdir(&fa, cwd) }

        var flags: Int32 = Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attr, &empty)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigdefault(&attr, &all)
        if newProcessGroup {
            flags |= Int32(POSIX_SPAWN_SETPGROUP)
            posix_spawnattr_setpgroup(&attr, 0)
        }
        posix_spawnattr_setflags(&attr, Int16(flags))

        var cArgv = argv.map { strdup($0) } + [nil]
        var cEnv = env.map { strdup($0) } + [nil]
        defer {
            for p in cArgv { free(p) }
            for p in cEnv { free(p) }
        }
        var pid: pid_t = 0
        let r = posix_spawn(&pid, path, &fa, &attr, &cArgv, &cEnv)
        if r != 0 { throw RktError.errno("spawn", path, r) }
        return pid
    }

    /// Waits for `pid`, retrying EINTR.
    public static func wait(_ pid: pid_t) throws -> ExitStatus {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno == EINTR { continue }
            throw RktError.errno("wait", "pid \(pid)")
        }
        return ExitStatus(waitStatus: status)
    }

    /// Spawns and waits.
    public func run() throws -> ExitStatus {
        try Subprocess.wait(try spawn())
    }

    /// Spawns with stdout (and stderr too when `mergeStderr`) captured, and waits.
    public func runCapturingOutput(mergeStderr: Bool = false) throws -> (status: ExitStatus, output: [UInt8]) {
        var p: [Int32] = [0, 0]
        if rkt_pipe_cloexec(&p) != 0 { throw RktError.errno("pipe") }
        var child = self
        child.fds[1] = p[1]
        if mergeStderr { child.fds[2] = p[1] }
        let pid: pid_t
        do {
            pid = try child.spawn()
        } catch {
            FileIO.close(p[0])
            FileIO.close(p[1])
            throw error
        }
        FileIO.close(p[1])
        defer { FileIO.close(p[0]) }
        let out = try FileIO.readAll(fd: p[0], what: "output of \(path)")
        return (try Subprocess.wait(pid), out)
    }
}
