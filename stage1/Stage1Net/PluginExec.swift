import CShim
import Glibc
import RktCommon
import RktOS

/// Runs a CNI plugin or iptables through RktOS's `Subprocess` (posix_spawn; every other fd is
/// closed in the child, so the pod lock fd never reaches a plugin), with `input` on stdin.
enum PluginExec {
    struct Output {
        var status: Int32
        var stdout: [UInt8]
    }

    /// The host's `iptables`-family tool `name`, from the usual sbin and bin directories.
    static func hostTool(_ name: String) throws -> String {
        let dirs = ["/usr/sbin", "/sbin", "/usr/bin"]
        guard let path = dirs.map({ $0 + "/" + name }).first(where: { access($0, X_OK) == 0 }) else {
            throw RktError("\(name) not found (install the iptables package)")
        }
        return path
    }

    /// The PATH given to host tools.
    static let hostPath = "PATH=/usr/sbin:/usr/bin:/sbin:/bin"

    /// CNI configurations are a few KiB, far below the 64 KiB pipe buffer, so stdin is written
    /// completely before the child starts; larger input is refused rather than risking a deadlock.
    static func run(_ path: String, argv: [String], env: [String], input: [UInt8] = [], quiet: Bool = false) throws -> Output {
        guard input.count < 60_000 else { throw RktError("input for \(path) is too large (\(input.count) bytes)") }
        var stdinPipe: [Int32] = [-1, -1]
        guard rkt_pipe_cloexec(&stdinPipe) == 0 else { throw RktError.errno("pipe", "stdin of \(path)") }
        defer { FileIO.close(stdinPipe[0]) }
        do { try FileIO.writeAll(fd: stdinPipe[1], input, what: "stdin of \(path)") } catch {
            FileIO.close(stdinPipe[1])
            throw error
        }
        FileIO.close(stdinPipe[1])
        var proc = Subprocess(path: path, argv: argv, env: env)
        proc.fds[0] = stdinPipe[0]
        // Teardown is best-effort and idempotent: "no such chain" from a second run is expected.
        let devNull = quiet ? Glibc.open("/dev/null", O_WRONLY | O_CLOEXEC) : -1
        defer { if devNull >= 0 { FileIO.close(devNull) } }
        if devNull >= 0 { proc.fds[2] = devNull }
        let (status, out) = try proc.runCapturingOutput()
        return Output(status: status.code, stdout: out)
    }
}
