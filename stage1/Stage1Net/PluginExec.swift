import CShim
import Glibc
import RktCommon
import RktOS

/// Runs a helper program with `posix_spawn` (no namespaces, so no clone/exec shim is needed):
/// `input` on stdin, stdout captured, stderr passed through. Used for CNI plugins and iptables.
/// Every descriptor we create is CLOEXEC, so the pod lock fd never reaches a plugin.
enum PluginExec {
    struct Output {
        var status: Int32
        var stdout: [UInt8]
    }

    static func run(_ path: String, argv: [String], env: [String], input: [UInt8] = []) throws -> Output {
        var inPipe: [Int32] = [-1, -1]
        var outPipe: [Int32] = [-1, -1]
        guard rkt_pipe_cloexec(&inPipe) == 0 else { throw RktError.errno("pipe") }
        guard rkt_pipe_cloexec(&outPipe) == 0 else {
            close(inPipe[0]); close(inPipe[1])
            throw RktError.errno("pipe")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)

        var pid: pid_t = 0
        let rc = withCStrings(argv) { cargv in
            withCStrings(env) { cenv in posix_spawn(&pid, path, &actions, nil, cargv, cenv) }
        }
        close(inPipe[0])
        close(outPipe[1])
        guard rc == 0 else {
            close(inPipe[1]); close(outPipe[0])
            throw RktError.errno("spawn", path, rc)
        }
        // Plugin configs are small (a few KiB), far below the pipe buffer, so writing all of
        // stdin before reading stdout cannot deadlock.
        _ = try? FileIO.writeAll(fd: inPipe[1], input, what: "stdin of \(path)")
        close(inPipe[1])
        let out = (try? FileIO.readAll(fd: outPipe[0], what: "stdout of \(path)")) ?? []
        close(outPipe[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw RktError.errno("waitpid", path) }
        }
        return Output(status: Spawn.exitStatus(status), stdout: out)
    }

    private static func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
        var ptrs: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
        ptrs.append(nil)
        defer { for p in ptrs { free(p) } }
        return ptrs.withUnsafeBufferPointer { buf in
            // Never empty: the array always ends with the nil terminator.
            guard let base = buf.baseAddress else { preconditionFailure("empty argv buffer") }
            return body(base)
        }
    }
}
