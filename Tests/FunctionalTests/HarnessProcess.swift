import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What a finished command left behind. `output` is stdout followed by stderr, the closest thing
/// to rkt's merged-pty matching that keeps the two streams apart for tests that care.
struct CommandResult: Sendable, CustomStringConvertible {
    var exit: Int32
    var stdout: String
    var stderr: String
    /// True when the harness had to kill the process because it outlived its timeout.
    var timedOut: Bool = false

    var output: String { stdout + stderr }

    var description: String {
        "exit \(exit)\(timedOut ? " (timed out)" : "")\n--- stdout\n\(stdout)--- stderr\n\(stderr)"
    }
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// A child started with `posix_spawn` in its own process group, its stdout and stderr going to
/// files (no pipes: nothing can deadlock on a full pipe while the test waits).
final class SpawnedProcess: @unchecked Sendable {
    let pid: pid_t
    let stdoutPath: String
    let stderrPath: String
    private let lock = NSLock()
    private var status: Int32?

    fileprivate init(pid: pid_t, stdoutPath: String, stderrPath: String) {
        self.pid = pid
        self.stdoutPath = stdoutPath
        self.stderrPath = stderrPath
    }

    var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }
    var output: String { stdout + stderr }

    /// Non-blocking: the exit status if the child has ended (and reaps it).
    var exitStatus: Int32? {
        lock.lock(); defer { lock.unlock() }
        if let status { return status }
        var raw: Int32 = 0
        let r = waitpid(pid, &raw, WNOHANG)
        guard r == pid else { return nil }
        let s = decodeWaitStatus(raw)
        status = s
        return s
    }

    var isRunning: Bool { exitStatus == nil }

    /// Signals the child's whole process group (rkt, stage1 and the app share it unless they
    /// moved themselves); falls back to the pid alone.
    func kill(_ signal: Int32 = SIGKILL) {
        guard isRunning else { return }
        if Glibc.kill(-pid, signal) != 0 { _ = Glibc.kill(pid, signal) }
    }

    /// Waits up to `timeout` seconds; on timeout kills the group and reports `timedOut`.
    @discardableResult
    func wait(timeout: Double = 120) -> CommandResult {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let s = exitStatus { return CommandResult(exit: s, stdout: stdout, stderr: stderr) }
            usleep(5_000)
        }
        kill(SIGKILL)
        var s: Int32 = -1
        while true {
            if let st = exitStatus { s = st; break }
            usleep(5_000)
        }
        return CommandResult(exit: s, stdout: stdout, stderr: stderr, timedOut: true)
    }

    /// Polls stdout+stderr until `text` appears; false on timeout or if the child exited first
    /// without printing it.
    func waitForOutput(_ text: String, timeout: Double = 60) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if output.contains(text) { return true }
            if !isRunning { return output.contains(text) }
            usleep(20_000)
        }
        return false
    }
}

/// glibc's POSIX_SPAWN_SETSID (a _GNU_SOURCE constant Swift's Glibc module does not export).
let posixSpawnSetsid: Int16 = 0x80

func decodeWaitStatus(_ raw: Int32) -> Int32 {
    // WIFEXITED / WEXITSTATUS / WTERMSIG are macros Swift cannot import.
    let sig = raw & 0x7f
    if sig == 0 { return (raw >> 8) & 0xff }
    return 128 + sig
}

/// Starts `path` with exactly `args` (argv[0] = path) and `environment` as the whole envp.
/// stdin comes from `stdinPath` (or /dev/null); stdout/stderr go to the two files.
/// `pty` is the slave side to use for all three fds instead, with a new session, so the child
/// gets it as controlling terminal.
func spawnProcess(
    _ path: String, _ args: [String], environment: [String: String],
    stdinPath: String?, stdoutPath: String, stderrPath: String, cwd: String? = nil, ptySlave: String? = nil
) throws -> SpawnedProcess {
    var fa = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&fa)
    defer { posix_spawn_file_actions_destroy(&fa) }
    var attr = posix_spawnattr_t()
    posix_spawnattr_init(&attr)
    defer { posix_spawnattr_destroy(&attr) }

    var flags = Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
    if ptySlave != nil {
        flags |= posixSpawnSetsid
    } else {
        flags |= Int16(POSIX_SPAWN_SETPGROUP)
        posix_spawnattr_setpgroup(&attr, 0)
    }
    posix_spawnattr_setflags(&attr, flags)
    var empty = sigset_t()
    sigemptyset(&empty)
    posix_spawnattr_setsigmask(&attr, &empty)
    var dflt = sigset_t()
    sigemptyset(&dflt)
    for s in [SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGCHLD, SIGQUIT] { sigaddset(&dflt, s) }
    posix_spawnattr_setsigdefault(&attr, &dflt)

    if let slave = ptySlave {
        // Opened after setsid, without O_NOCTTY: becomes the controlling terminal.
        posix_spawn_file_actions_addopen(&fa, 0, slave, O_RDWR, 0)
        posix_spawn_file_actions_adddup2(&fa, 0, 1)
        posix_spawn_file_actions_adddup2(&fa, 0, 2)
    } else {
        posix_spawn_file_actions_addopen(&fa, 0, stdinPath ?? "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&fa, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&fa, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    }
    // posix_spawn_file_actions_addchdir_np is not visible to Swift: coreutils `env -C` does it.
    let (exe, argList) = cwd.map { ("/usr/bin/env", ["-C", $0, path] + args) } ?? (path, args)

    let argv = ([exe] + argList).map { strdup($0) } + [nil]
    let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
        argv.forEach { free($0) }
        envp.forEach { free($0) }
    }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, exe, &fa, &attr, argv, envp)
    guard rc == 0 else {
        throw HarnessError("spawn \(path): \(String(cString: strerror(rc)))")
    }
    return SpawnedProcess(pid: pid, stdoutPath: stdoutPath, stderrPath: stderrPath)
}

/// Runs a host command to completion (for setup and host-side checks, e.g. `ip`, `tar`, `gcc`).
/// Output files live in a private temp dir that is removed afterwards.
@discardableResult
func runCommand(
    _ path: String, _ args: [String], stdin: String? = nil,
    environment: [String: String] = ProcessInfo.processInfo.environment, cwd: String? = nil,
    timeout: Double = 300
) throws -> CommandResult {
    let dir = try makeTempDir(prefix: "rkt-cmd")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    var stdinPath: String?
    if let stdin {
        stdinPath = dir + "/stdin"
        try stdin.write(toFile: dir + "/stdin", atomically: false, encoding: .utf8)
    }
    let p = try spawnProcess(
        path, args, environment: environment, stdinPath: stdinPath,
        stdoutPath: dir + "/stdout", stderrPath: dir + "/stderr", cwd: cwd)
    return p.wait(timeout: timeout)
}

/// `runCommand` that throws with the command's output when it does not exit 0.
@discardableResult
func mustRun(_ path: String, _ args: [String], cwd: String? = nil, timeout: Double = 300) throws -> CommandResult {
    let r = try runCommand(path, args, cwd: cwd, timeout: timeout)
    guard r.exit == 0 else {
        throw HarnessError("\(path) \(args.joined(separator: " ")) failed: \(r)")
    }
    return r
}

func makeTempDir(prefix: String) throws -> String {
    let base = ProcessInfo.processInfo.environment["RKT_TEST_TMPDIR"] ?? NSTemporaryDirectory()
    var template = Array(((base.hasSuffix("/") ? base : base + "/") + prefix + ".XXXXXX").utf8CString)
    let made = template.withUnsafeMutableBufferPointer { buf -> String? in
        guard let p = buf.baseAddress, mkdtemp(p) != nil else { return nil }
        return String(cString: p)
    }
    guard let path = made else { throw HarnessError("mkdtemp under \(base): \(String(cString: strerror(errno)))") }
    // chmod so that a test's non-root child (uid 65534 tests) can traverse it.
    chmod(path, 0o755)
    return path
}
