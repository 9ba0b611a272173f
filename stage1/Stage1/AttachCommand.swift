import CShim
import Glibc
import RktCommon
import RktOS

/// `/attach --action=<list|auto-attach|custom-attach> --app=<name> [--tty-in --tty-out --stdin
/// --stdout --stderr =<bool>]` (cwd = pod dir; rkt-architecture.md §9): connects the caller's
/// stdio to the app's attach sockets under `<stage1 rootfs>/rkt/iottymux/<app>/`, which pod-init
/// serves. The sockets are reached through the host path, so no namespace is joined.
public enum AttachCommand {
    public static let endpointNames = ["tty-in", "tty-out", "stdin", "stdout", "stderr"]

    public static func main(_ args: [String]) -> Int32 {
        do { return try run(args) } catch let e as RktError {
            Log.error(e)
            return e.exitCode
        } catch {
            Log.error(RktError("attach", cause: error))
            return ExitCode.failure
        }
    }

    static func run(_ args: [String]) throws -> Int32 {
        var action = "auto-attach"
        var app = ""
        var wanted: Set<String> = []
        for a in args {
            let kv = a.drop { $0 == "-" }.split(separator: "=", maxSplits: 1).map(String.init)
            guard a.hasPrefix("-"), let key = kv.first else {
                throw RktError("attach: unexpected argument \(a)", exitCode: ExitCode.usage)
            }
            let value = kv.count > 1 ? kv[1] : "true"
            switch key {
            case "action": action = value
            case "app": app = value
            case "debug": Log.debug = value == "true"
            case _ where endpointNames.contains(key): if value == "true" { wanted.insert(key) }
            default: throw RktError("flag provided but not defined: \(a)", exitCode: ExitCode.usage)
            }
        }
        guard !app.isEmpty else { throw RktError("attach: --app is required", exitCode: ExitCode.usage) }
        let podDir = try InitCommand.currentDirectory()
        let dir = PathUtil.join(PathUtil.join(podDir, PodFile.stage1Rootfs), AttachEndpoint.directory(app))
        let available = ((try? FileIO.readString(PathUtil.join(dir, AttachEndpoint.endpointsFile))) ?? "")
            .split(separator: "\n").map(String.init)
        guard !available.isEmpty else {
            throw RktError("app \(app) has no attachable endpoints (run it with --stdin, --stdout or --stderr set to tty or stream)")
        }
        switch action {
        case "list":
            Log.writeStdout(available.map { $0 + "\n" }.joined())
            return ExitCode.success
        case "auto-attach": wanted = Set(available)
        case "custom-attach":
            for w in wanted.sorted() where !available.contains(w) {
                throw RktError("endpoint \(w) is not available for app \(app) (it has: \(available.joined(separator: ", ")))")
            }
        default: throw RktError("attach: unknown action \(action)", exitCode: ExitCode.usage)
        }
        guard !wanted.isEmpty else { throw RktError("attach: no endpoint selected", exitCode: ExitCode.usage) }
        // sun_path holds 108 bytes; pod paths are longer, so connect relative to the directory.
        guard chdir(dir) == 0 else { throw RktError.errno("chdir", dir) }
        // The app may exit (and pod-init close the sockets) while we write: EPIPE, not death.
        signal(SIGPIPE, SIG_IGN)
        var session = try AttachSession(wanted: wanted)
        return try session.run()
    }
}

/// One attach: local stdin → the app's input socket, its output sockets → local stdout/stderr,
/// until the app's side closes (or, when only sending, local stdin ends).
struct AttachSession {
    struct Link {
        var fd: Int32
        var output: Int32?   // local fd receiving what the socket sends, or nil to discard it
    }
    var links: [Link] = []
    var input: Int32 = -1    // socket local stdin is copied to
    var rawSaved: [UInt8]?

    init(wanted: Set<String>) throws {
        if wanted.contains("tty-in") || wanted.contains("tty-out") {
            let fd = try Self.connect("tty")
            links.append(Link(fd: fd, output: wanted.contains("tty-out") ? 1 : nil))
            if wanted.contains("tty-in") { input = fd }
        }
        for (name, out) in [("stdout", Int32(1)), ("stderr", Int32(2))] where wanted.contains(name) {
            links.append(Link(fd: try Self.connect(name), output: out))
        }
        if wanted.contains("stdin") {
            let fd = try Self.connect("stdin")
            links.append(Link(fd: fd, output: nil))
            input = fd
        }
        // Typed keys go to the app's terminal unchanged (its line discipline echoes them).
        if wanted.contains("tty-in") && isatty(0) == 1 {
            var saved = [UInt8](repeating: 0, count: 256)
            if saved.withUnsafeMutableBytes({ rkt_tty_make_raw(0, $0.baseAddress, $0.count) }) == 0 { rawSaved = saved }
        }
    }

    static func connect(_ name: String) throws -> Int32 {
        let fd = rkt_unix_connect(AttachEndpoint.socket(name))
        guard fd >= 0 else { throw RktError.errno("connect", AttachEndpoint.socket(name)) }
        return fd
    }

    mutating func run() throws -> Int32 {
        defer {
            if let saved = rawSaved { _ = saved.withUnsafeBytes { rkt_tty_restore(0, $0.baseAddress) } }
            for l in links { FileIO.close(l.fd) }
        }
        var stdinOpen = input >= 0
        var buf = [UInt8](repeating: 0, count: 16384)
        while true {
            let receiving = links.contains { $0.output != nil }
            if !receiving && !stdinOpen { return ExitCode.success }
            var fds = links.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
            if stdinOpen { fds.append(pollfd(fd: 0, events: Int16(POLLIN), revents: 0)) }
            if poll(&fds, nfds_t(fds.count), -1) < 0 {
                if errno == EINTR { continue }
                throw RktError.errno("poll")
            }
            for f in fds where f.revents != 0 {
                let n = buf.withUnsafeMutableBytes { read(f.fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if f.fd == 0 {
                    if n <= 0 {
                        // Local input ended: tell the app's side, keep receiving its output.
                        stdinOpen = false
                        shutdown(input, Int32(SHUT_WR))
                    } else {
                        // EPIPE: the app's side closed under us, which ends the attach as well.
                        do { try FileIO.writeAll(fd: input, Array(buf[0..<n]), what: "attached input") } catch {
                            return ExitCode.success
                        }
                    }
                    continue
                }
                guard let i = links.firstIndex(where: { $0.fd == f.fd }) else { continue }
                if n <= 0 {
                    // pod-init closed this socket: the app exited (or we shut our input side).
                    // Output still queued on the other sockets is read before we finish, which
                    // happens once nothing is left to receive and nothing to send.
                    let closed = links.remove(at: i)
                    if closed.fd == input {
                        input = -1
                        stdinOpen = false
                    }
                    FileIO.close(closed.fd)
                    continue
                }
                if let out = links[i].output { try FileIO.writeAll(fd: out, Array(buf[0..<n]), what: "attached output") }
            }
        }
    }
}
