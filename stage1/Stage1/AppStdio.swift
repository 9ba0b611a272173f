import CShim
import Glibc
import RktCommon
import RktOS

/// The `--stdin/--stdout/--stderr` modes of one app (app annotations `coreos.com/rkt/stage2/…`,
/// rkt-architecture.md §9). Without an annotation, stdin is `/dev/null` (rkt's terminal with
/// `--interactive`) and stdout/stderr are rkt's own (`console`).
public enum StdioMode: String, Sendable {
    case null, tty, stream, log, interactive, console

    public static func of(_ annotation: String?, default d: StdioMode) -> StdioMode {
        annotation.flatMap(StdioMode.init(rawValue:)) ?? d
    }
}

/// Where the attach endpoints of an app live, relative to the stage1 rootfs: rkt's
/// `/rkt/iottymux/<app>/`, one unix socket per endpoint (`sock-tty`, `sock-stdin`, …) and an
/// `endpoints` file listing them. Stream sockets carry one direction each; `sock-tty` both.
public enum AttachEndpoint {
    public static func directory(_ app: String) -> String { "\(Stage1Path.iottymux)/\(app)" }
    public static func socket(_ name: String) -> String { "sock-\(name)" }
    public static let endpointsFile = "endpoints"
}

/// pod-init's side of the apps' stdio: the fds each app is started with, and the multiplexer
/// that copies app output to rkt's console, the pod's log files and attached clients, and
/// attached input to the apps. Everything runs in pod-init's one thread, driven by `poll`.
public final class PodStdio {
    /// An fd pod-init reads app output (or a pty) from.
    struct Source {
        var fd: Int32
        var app: String
        var console: Int32?
        var log: Int32?
        /// Endpoint whose clients receive this output.
        var endpoint: String?
    }

    /// A listening attach socket and its clients.
    struct Endpoint {
        var key: String          // "<app>/<name>"
        var app: String
        var path: String
        var listener: Int32
        var clients: [Int32] = []
        /// Where client input goes (a stdin pipe or a pty master), or -1 for output-only endpoints.
        var input: Int32
    }

    let signalFD: Int32
    var sources: [Source] = []
    var endpoints: [Endpoint] = []
    /// fds pod-init keeps only for an app's lifetime (stdin pipe write ends, pty masters).
    var owned: [String: [Int32]] = [:]

    public init(signals: [Int32]) throws {
        // A client that hangs up mid-write must cost an EPIPE, not pod-init (and with it the pod).
        // Apps get default dispositions back in rkt_spawn.
        signal(SIGPIPE, SIG_IGN)
        let fd = signals.withUnsafeBufferPointer { rkt_signalfd($0.baseAddress, Int32($0.count)) }
        guard fd >= 0 else { throw RktError.errno("signalfd") }
        signalFD = fd
    }

    /// The fds an app starts with (0, 1, 2) plus the fds to close in pod-init once it started.
    public struct AppFDs {
        public var fds: [Int32]
        public var closeAfterSpawn: [Int32]
        public var tty: Bool
        public var stdinIsTTY: Bool
    }

    /// Sets up an app's stdio. `devNull` is pod-init's `/dev/null`; `logFD` the app's log file
    /// (or -1); `ptmx` the app's devpts `ptmx`, as seen by pod-init.
    public func setUp(app: String, modes: [StdioMode], logFD: Int32, ptmx: String, devNull: Int32) throws -> AppFDs {
        var out = AppFDs(fds: [devNull, 1, 2], closeAfterSpawn: [], tty: false, stdinIsTTY: false)
        let dir = "/" + AttachEndpoint.directory(app)
        var endpointNames: [String] = []

        // One pty for every stream in tty mode (rkt: the app's TTYPath).
        if modes.contains(.tty) {
            var master: Int32 = -1
            var slave: Int32 = -1
            guard rkt_open_pty(ptmx, &master, &slave) == 0 else { throw RktError.errno("open pty", ptmx) }
            _ = fcntl(master, F_SETFL, O_NONBLOCK)
            owned[app, default: []].append(master)
            out.closeAfterSpawn.append(slave)
            out.tty = true
            out.stdinIsTTY = modes[0] == .tty
            for i in 0..<3 where modes[i] == .tty { out.fds[i] = slave }
            try makeDirectory(dir)
            try listen(app: app, name: "tty", dir: dir, input: modes[0] == .tty ? master : -1)
            sources.append(Source(fd: master, app: app, endpoint: "\(app)/tty"))
            if modes[0] == .tty { endpointNames.append("tty-in") }
            if modes[1] == .tty || modes[2] == .tty { endpointNames.append("tty-out") }
        }

        // A log pipe shared by stdout and stderr keeps their order in the log.
        var logWrite: Int32 = -1
        if modes[1] == .log || modes[2] == .log {
            let (r, w) = try pipe()
            sources.append(Source(fd: r, app: app, console: 1, log: logFD >= 0 ? logFD : nil))
            logWrite = w
            out.closeAfterSpawn.append(w)
        }

        for (i, mode) in modes.enumerated() where mode != .tty {
            switch mode {
            case .null: out.fds[i] = devNull
            case .interactive: out.fds[i] = Int32(i)
            case .console: out.fds[i] = i == 0 ? devNull : Int32(i)
            case .log: out.fds[i] = i == 0 ? devNull : logWrite
            case .stream:
                let name = ["stdin", "stdout", "stderr"][i]
                let (r, w) = try pipe()
                try makeDirectory(dir)
                if i == 0 {
                    out.fds[0] = r
                    out.closeAfterSpawn.append(r)
                    _ = fcntl(w, F_SETFL, O_NONBLOCK)
                    owned[app, default: []].append(w)
                    try listen(app: app, name: name, dir: dir, input: w)
                } else {
                    out.fds[i] = w
                    out.closeAfterSpawn.append(w)
                    try listen(app: app, name: name, dir: dir, input: -1)
                    sources.append(Source(fd: r, app: app, endpoint: "\(app)/\(name)"))
                }
                endpointNames.append(name)
            case .tty: break
            }
        }
        if !endpointNames.isEmpty {
            try FileIO.writeFile(PathUtil.join(dir, AttachEndpoint.endpointsFile), endpointNames.joined(separator: "\n") + "\n")
        }
        return out
    }

    /// Waits up to `timeoutMillis` (nil: forever) for I/O or a signal, moves the data that is
    /// ready and returns the signals that arrived.
    /// `beforeBlocking` runs right before the poll, after everything else of this call.
    public func wait(timeoutMillis: Int?, beforeBlocking: () -> Void = {}) -> (signals: [Int32], timedOut: Bool) {
        var fds = [pollfd(fd: signalFD, events: Int16(POLLIN), revents: 0)]
        for s in sources { fds.append(pollfd(fd: s.fd, events: Int16(POLLIN), revents: 0)) }
        for e in endpoints {
            fds.append(pollfd(fd: e.listener, events: Int16(POLLIN), revents: 0))
            for c in e.clients { fds.append(pollfd(fd: c, events: Int16(POLLIN), revents: 0)) }
        }
        beforeBlocking()
        let n = poll(&fds, nfds_t(fds.count), Int32(timeoutMillis ?? -1))
        if n <= 0 { return ([], n == 0) }
        let ready = Set(fds.filter { $0.revents != 0 }.map(\.fd))
        acceptClients(ready)
        forwardInput(ready)
        for i in sources.indices where ready.contains(sources[i].fd) { drain(i) }
        sources.removeAll { $0.fd < 0 }
        return (readSignals(ready.contains(signalFD)), false)
    }

    /// Copies what is left of every output (after the apps exited, or before pod-init exits).
    public func flush() {
        for i in sources.indices { drain(i) }
        sources.removeAll { $0.fd < 0 }
    }

    /// An app exited: its remaining output is delivered, then its sockets, clients and pipes
    /// are closed, so attached clients see the end of the stream.
    public func appExited(_ app: String) {
        for i in sources.indices where sources[i].app == app { drain(i) }
        for s in sources where s.app == app && s.fd >= 0 { FileIO.close(s.fd) }
        sources.removeAll { $0.app == app || $0.fd < 0 }
        for e in endpoints where e.app == app {
            for c in e.clients { FileIO.close(c) }
            FileIO.close(e.listener)
            unlink(e.path)
        }
        endpoints.removeAll { $0.app == app }
        for fd in owned.removeValue(forKey: app) ?? [] { FileIO.close(fd) }
    }

    // MARK: - internals

    func pipe() throws -> (Int32, Int32) {
        var p: [Int32] = [-1, -1]
        guard rkt_pipe_cloexec(&p) == 0 else { throw RktError.errno("pipe", "app stdio") }
        _ = fcntl(p[0], F_SETFL, O_NONBLOCK)
        return (p[0], p[1])
    }

    func makeDirectory(_ dir: String) throws {
        if !FileSystem.exists(dir) { try FileSystem.mkdirAll(dir, mode: 0o700) }
    }

    func listen(app: String, name: String, dir: String, input: Int32) throws {
        let path = PathUtil.join(dir, AttachEndpoint.socket(name))
        let fd = rkt_unix_listen(path)
        guard fd >= 0 else { throw RktError.errno("listen", path) }
        _ = fcntl(fd, F_SETFL, O_NONBLOCK)
        endpoints.append(Endpoint(key: "\(app)/\(name)", app: app, path: path, listener: fd, input: input))
    }

    func acceptClients(_ ready: Set<Int32>) {
        for i in endpoints.indices where ready.contains(endpoints[i].listener) {
            while true {
                let c = accept(endpoints[i].listener, nil, nil)
                if c < 0 { break }
                _ = rkt_set_cloexec(c, 1)
                _ = fcntl(c, F_SETFL, O_NONBLOCK)
                endpoints[i].clients.append(c)
            }
        }
    }

    /// Client input goes to the app; a client that hangs up is dropped (the app's stdin stays
    /// open, so another `rkt attach` can take over).
    func forwardInput(_ ready: Set<Int32>) {
        var buf = [UInt8](repeating: 0, count: 16384)
        for i in endpoints.indices {
            var gone: [Int32] = []
            for c in endpoints[i].clients where ready.contains(c) {
                let n = buf.withUnsafeMutableBytes { read(c, $0.baseAddress, $0.count) }
                if n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR) {
                    gone.append(c)
                } else if n > 0 && endpoints[i].input >= 0 {
                    // An app that does not read its input must not stall pod-init (and with it
                    // reaping and stop): what does not fit within a second is dropped.
                    writeAll(endpoints[i].input, buf, n, patienceMillis: 1000)
                }
            }
            for c in gone { FileIO.close(c) }
            endpoints[i].clients.removeAll { gone.contains($0) }
        }
    }

    /// Reads everything available from source `i` and hands it to its destinations; marks the
    /// source closed (fd -1) at end of file (EIO on a pty whose slave side is gone).
    func drain(_ i: Int) {
        var buf = [UInt8](repeating: 0, count: 65536)
        while sources[i].fd >= 0 {
            let n = buf.withUnsafeMutableBytes { read(sources[i].fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && errno == EAGAIN { return }
            if n <= 0 {
                FileIO.close(sources[i].fd)
                sources[i].fd = -1
                return
            }
            if let c = sources[i].console { writeAll(c, buf, n, patienceMillis: nil) }
            if let l = sources[i].log { writeAll(l, buf, n, patienceMillis: nil) }
            if let key = sources[i].endpoint, let e = endpoints.firstIndex(where: { $0.key == key }) {
                // Clients are nonblocking: a client that does not keep up loses output rather
                // than stalling the app.
                for c in endpoints[e].clients { _ = buf.withUnsafeBytes { write(c, $0.baseAddress, n) } }
            }
        }
    }

    /// Writes `count` bytes of `buf` to `fd`; on a nonblocking fd that is full it waits for room,
    /// at most `patienceMillis` in all (nil: as long as it takes), and drops the rest.
    func writeAll(_ fd: Int32, _ buf: [UInt8], _ count: Int, patienceMillis: Int?) {
        let deadline = patienceMillis.map { Signals.nowMillis() + $0 }
        var off = 0
        while off < count {
            let n = buf.withUnsafeBytes { write(fd, $0.baseAddress! + off, count - off) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && errno == EAGAIN {
                let left = deadline.map { $0 - Signals.nowMillis() } ?? 1000
                if left <= 0 { return }
                var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                _ = poll(&p, 1, Int32(left))
                continue
            }
            if n <= 0 { return }
            off += n
        }
    }

    func readSignals(_ ready: Bool) -> [Int32] {
        guard ready else { return [] }
        var out: [Int32] = []
        // struct signalfd_siginfo is 128 bytes and starts with ssi_signo (Glibc's Swift module
        // does not declare it).
        var info = [UInt8](repeating: 0, count: 128)
        while true {
            let n = info.withUnsafeMutableBytes { read(signalFD, $0.baseAddress, 128) }
            if n < 128 { return out }
            out.append(info.withUnsafeBytes { $0.load(as: Int32.self) })
        }
    }
}
