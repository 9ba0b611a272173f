import CShim
import Glibc
import RktCommon
import RktOS

/// pod-init's process supervision (replacing systemd + reaper.sh of rkt's nspawn stage1):
/// start every app, reap every child (we are pid 1), write `rkt/status/<app>`, and decide the pod
/// exit status: 0 when all apps succeed, else the status of the first failing app, after which
/// the others get SIGTERM and, `killTimeoutMillis` later, SIGKILL.
public final class Supervisor {
    public static let killTimeoutMillis = 10_000
    let apps: [PlannedApp]
    let interactive: Bool
    var running: [pid_t: String] = [:]
    var podStatus: Int32?
    var killDeadline: Int?
    /// Set once `stop` (SIGTERM/SIGINT/SIGHUP to pod-init) asked the pod to end: apps dying of our
    /// SIGTERM/SIGKILL then are an orderly shutdown, not a failure.
    var stopRequested = false
    /// Log tees: pipe read end → (app, log fd).
    var tees: [(read: Int32, log: Int32)] = []

    public init(apps: [PlannedApp], interactive: Bool) {
        self.apps = apps
        self.interactive = interactive
    }

    public func run() throws -> Int32 {
        let devNull = try FileIO.open("/dev/null", O_RDWR | O_CLOEXEC)
        for app in apps {
            if let pre = app.preStart, !pre.isEmpty {
                let status = runHandler(app, pre, devNull)
                if status != 0 {
                    fail(app.name, status)
                    break
                }
            }
            var req = app.request
            var stdin: Int32 = interactive ? 0 : devNull
            var out: Int32 = 1
            var err: Int32 = 2
            var writeEnd: Int32 = -1
            if app.logFD >= 0 {
                var p: [Int32] = [-1, -1]
                if rkt_pipe_cloexec(&p) == 0 {
                    _ = fcntl(p[0], F_SETFL, O_NONBLOCK)
                    tees.append((p[0], app.logFD))
                    writeEnd = p[1]
                    out = p[1]
                    err = p[1]
                }
            }
            // --interactive: the app shares rkt's terminal and foreground process group (no new
            // session, so the caller's shell keeps its controlling terminal afterwards).
            if !interactive { stdin = devNull }
            req.fds = [stdin, out, err]
            do {
                try FileIO.writeFile("/" + Stage1Path.appEnv(app.name), AppEnvironment.file(app.env))
                let pid = try Spawn.run(req)
                running[pid] = app.name
            } catch {
                Log.error(RktError("cannot start app \(app.name)", cause: error))
                writeStatus(app.name, ExitCode.failure)
                fail(app.name, ExitCode.failure)
            }
            if writeEnd >= 0 { FileIO.close(writeEnd) }
            if podStatus != nil { break }
        }
        try? FileSystem.symlink(target: "ready", at: "/" + Stage1Path.supervisorStatus)
        while !running.isEmpty {
            reap()
            if running.isEmpty { break }
            pumpLogs()
            var timeout: Int? = tees.isEmpty ? nil : 100
            if let d = killDeadline {
                let left = max(0, d - Signals.nowMillis())
                timeout = min(timeout ?? left, left)
                if left == 0 {
                    for pid in running.keys { kill(pid, SIGKILL) }
                    killDeadline = nil
                    continue
                }
            }
            if let sig = Signals.wait(timeoutMillis: timeout), sig != SIGCHLD {
                // stop/Ctrl-C: ask every app to exit, then force it.
                stopRequested = true
                stopAll()
            }
        }
        pumpLogs()
        return podStatus ?? 0
    }

    /// Reaps every exited child (apps and orphans re-parented to us).
    func reap() {
        while true {
            var status: Int32 = 0
            let pid = waitpid(-1, &status, WNOHANG)
            if pid <= 0 { return }
            guard let name = running.removeValue(forKey: pid) else { continue }
            let code = Spawn.exitStatus(status)
            writeStatus(name, code)
            if let app = apps.first(where: { $0.name == name }), let post = app.postStop, !post.isEmpty {
                _ = runHandler(app, post, -1)
            }
            let killedByUs = stopRequested && (code == 128 + SIGTERM || code == 128 + SIGKILL)
            if code != 0 && !killedByUs { fail(name, code) }
        }
    }

    /// The first failure decides the pod status and stops the rest.
    func fail(_ app: String, _ code: Int32) {
        guard podStatus == nil else { return }
        podStatus = code
        stopAll()
    }

    func stopAll() {
        for pid in running.keys { kill(pid, SIGTERM) }
        if killDeadline == nil { killDeadline = Signals.nowMillis() + Supervisor.killTimeoutMillis }
    }

    func writeStatus(_ app: String, _ code: Int32) {
        try? FileIO.writeFileAtomic("/" + Stage1Path.appStatus(app), String(code))
    }

    /// Runs a pre-start/post-stop handler with the app's settings and waits for it.
    func runHandler(_ app: PlannedApp, _ argv: [String], _ devNull: Int32) -> Int32 {
        var req = app.request
        req.argv = argv
        req.fds = [devNull >= 0 ? devNull : 0, 1, 2]
        req.cgroupProcsFDs = []
        do {
            req.path = try AppEnvironment.resolveExec(argv[0], rootfs: req.root ?? "/", env: app.env)
            let pid = try Spawn.run(req)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            return Spawn.exitStatus(status)
        } catch {
            Log.error(RktError("cannot run event handler of app \(app.name)", cause: error))
            return ExitCode.failure
        }
    }

    /// Copies pending app output to the console and the app's log file.
    func pumpLogs() {
        var buf = [UInt8](repeating: 0, count: 65536)
        for t in tees {
            while true {
                let n = buf.withUnsafeMutableBytes { read(t.read, $0.baseAddress, $0.count) }
                if n <= 0 { break }
                _ = buf.withUnsafeBytes { write(1, $0.baseAddress, n) }
                _ = buf.withUnsafeBytes { write(t.log, $0.baseAddress, n) }
            }
        }
    }
}
