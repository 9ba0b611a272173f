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
    /// After this long without I/O or signals, pod-init hands its memory back again.
    public static let quietMillis = 5_000
    let apps: [PlannedApp]
    let interactive: Bool
    var running: [pid_t: String] = [:]
    var podStatus: Int32?
    var killDeadline: Int?
    /// Set once `stop` (SIGTERM/SIGINT/SIGHUP to pod-init) asked the pod to end: apps dying of our
    /// SIGTERM/SIGKILL then are an orderly shutdown, not a failure.
    var stopRequested = false
    /// The apps' stdio: console, log files and attach endpoints.
    var stdio: PodStdio?

    public init(apps: [PlannedApp], interactive: Bool) {
        self.apps = apps
        self.interactive = interactive
    }

    public func run() throws -> Int32 {
        let devNull = try FileIO.open("/dev/null", O_RDWR | O_CLOEXEC)
        let io = try PodStdio(signals: Signals.handled)
        stdio = io
        for app in apps {
            if let pre = app.preStart, !pre.isEmpty {
                let status = runHandler(app, pre, devNull)
                if status != 0 {
                    fail(app.name, status)
                    break
                }
            }
            var req = app.request
            var closeAfterSpawn: [Int32] = []
            do {
                let ptmx = "/" + Stage1Path.appRootfs(app.name) + "/dev/pts/ptmx"
                let fds = try io.setUp(app: app.name, modes: app.stdio, logFD: app.logFD, ptmx: ptmx, devNull: devNull)
                closeAfterSpawn = fds.closeAfterSpawn
                req.fds = fds.fds
                // A tty app leads its own session with the pty as controlling terminal.
                req.newSession = fds.tty
                req.controllingTTY = fds.stdinIsTTY
                try FileIO.writeFile("/" + Stage1Path.appEnv(app.name), AppEnvironment.file(app.env))
                let pid = try Spawn.run(req)
                running[pid] = app.name
            } catch {
                Log.error(RktError("cannot start app \(app.name)", cause: error))
                io.appExited(app.name)
                writeStatus(app.name, ExitCode.failure)
                fail(app.name, ExitCode.failure)
            }
            for fd in closeAfterSpawn { FileIO.close(fd) }
            if podStatus != nil { break }
        }
        try? FileSystem.symlink(target: "ready", at: "/" + Stage1Path.supervisorStatus)
        // Every app started: from here on pod-init only waits and copies I/O. Memory is handed
        // back right before poll blocks, so that only the code of the last few steps is resident
        // while the pod idles: first once the pod has settled (a short-lived pod exits before,
        // without paying for it), then after any activity once the pod has been quiet again.
        var releaseBeforeBlocking = false
        var quietTimeout: Int? = IdleMemory.settleMillis
        while !running.isEmpty {
            reap()
            if running.isEmpty { break }
            var timeout: Int?
            if let d = killDeadline {
                let left = max(0, d - Signals.nowMillis())
                timeout = left
                if left == 0 {
                    for pid in running.keys { kill(pid, SIGKILL) }
                    killDeadline = nil
                    continue
                }
            } else {
                timeout = quietTimeout
            }
            let woke = io.wait(timeoutMillis: timeout) { IdleMemory.release(ifDue: &releaseBeforeBlocking) }
            if woke.timedOut {
                if quietTimeout != nil && killDeadline == nil { releaseBeforeBlocking = true; quietTimeout = nil }
            } else if quietTimeout != IdleMemory.settleMillis {
                // Activity after a release: release again once quiet. (Activity while settling
                // keeps the short timeout.)
                quietTimeout = Supervisor.quietMillis
            }
            if woke.signals.contains(where: { $0 != SIGCHLD }) {
                // stop/Ctrl-C: ask every app to exit, then force it.
                stopRequested = true
                stopAll()
            }
        }
        io.flush()
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
            stdio?.appExited(name)
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
        try? FileIO.writeFileAtomic("/" + Stage1Path.appStatus(app), String(code), durable: false)
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
}
