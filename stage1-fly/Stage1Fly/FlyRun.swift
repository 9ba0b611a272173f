import Glibc
import RktCommon
import RktOS

/// The fly `run` entrypoint (rkt: stage1_fly/run/main.go). No namespaces and no fork: it mounts
/// in the caller's mount namespace, then chroots, drops to the app's credentials and execs the
/// app, which inherits the pod lock fd and with it keeps the pod "running".
public enum FlyRun {
    static let flavor = "fly"

    /// Runs the entrypoint; returns only on failure (2 for flag errors, 254 otherwise).
    public static func main(_ args: [String], program: String = "run") -> Int32 {
        let parsed: Stage1RunArgs
        do {
            parsed = try Stage1RunArgs(parsing: args, undeclared: Stage1RunArgs.flyUndeclared)
        } catch let e as RktError {
            // Go's flag package: the error, then the usage, on stderr.
            let usage = Stage1RunArgs.flagSet(undeclared: Stage1RunArgs.flyUndeclared).usage(program: program)
            FlyLog.stderr(e.exitCode == 0 ? usage : "\(e.message)\n\(usage)")
            return e.exitCode
        } catch {
            return ExitCode.usage
        }
        // These flags exist for the stage1 interface but fly cannot honour them.
        if parsed.mdsToken != nil { FlyLog.stdout("Warning: -mds-token not supported; ignoring\n") }
        if parsed.hostname != nil { FlyLog.stdout("Warning: -hostname not supported; ignoring\n") }
        let log = FlyLog(prefix: "run", debug: parsed.debug)
        do {
            try run(parsed, log: log)
        } catch let e as FlyFailure {
            e.report(log)
        } catch {
            log.print("run failed", error)
        }
        return ExitCode.failure
    }

    static func run(_ args: Stage1RunArgs, log: FlyLog) throws {
        guard (try? PodUUID(args.uuid)) != nil else { throw FlyFailure("UUID is missing or malformed") }
        let podDir = try FlyFailure.wrap("can't load pod") { try ProcessOps.getcwd() }
        let pod = try FlyFailure.wrap("can't load pod") { try FlyPod.load(dir: podDir) }

        guard pod.manifest.apps.count == 1 else {
            throw FlyFailure("flavor \"\(flavor)\" only supports 1 application per Pod for now")
        }
        let ra = pod.manifest.apps[0]
        guard let app = pod.effectiveApp(ra), !app.exec.isEmpty else {
            throw FlyFailure("image \"\(pod.imageName(ra.name))\" has an empty \"exec\" (try --exec=BINARY)")
        }
        let lockFD = try FlyFailure.wrap("can't get rkt lock fd") { try lockFDFromEnvironment() }

        let workDir = (app.workingDirectory ?? "").isEmpty ? "/" : (app.workingDirectory ?? "/")
        let envVars = FlyEnvironment.build(app)
        let env = envVars.map { "\($0.name)=\($0.value)" }
        let rootfs = pod.appRootfs(ra.name)

        let volumeMounts = try FlyFailure.wrap("can't evaluate mounts") {
            try FlyMountPlan.volumes(app: ra, imageApp: pod.images[ra.name]?.app, volumes: pod.manifest.volumes,
                                     rootfs: rootfs, podDir: podDir, hostMounts: { try MountInfo.read().map(\.mountPoint) })
        }
        var mounts = FlyMountPlan.base(rootfs: rootfs) + volumeMounts
        mounts += FlyMountPlan.dns(args.dnsConfMode, rootfs: rootfs, stage1Rootfs: pod.stage1Rootfs)
        if args.dnsConfMode.resolv == "stage0" {
            try FlyFailure.wrap("can't copy /etc/resolv.conf") { try copyResolv(pod: pod, rootfs: rootfs) }
        }
        if args.dnsConfMode.hosts == "default" { writeStubHosts(rootfs: rootfs) }

        let mounter = FlyMounter(log: log)
        for v in FlyMountPlan.emptyVolumes(pod.manifest.volumes, podDir: podDir) {
            try FlyFailure.wrap(nil) { try mounter.prepare(v) }
        }
        for m in mounts {
            try FlyFailure.wrap(nil) { try mounter.perform(m) }
        }

        // stage1 interface: the pod leader's pid; fly-internal: the pgid, for `stop`.
        try FlyFailure.wrap(nil) { try FileIO.writeFileAtomic(PathUtil.join(podDir, PodFile.pid), "\(ProcessOps.pid)", durable: false) }
        try FlyFailure.wrap(nil) {
            try FileIO.writeFileAtomic(PathUtil.join(podDir, PodFile.pgid), "\(ProcessOps.processGroup)", durable: false)
        }
        try FlyFailure.wrap("failed to write env file") { try Environment.writeEnvFile(pod.envFile(ra.name), envVars) }

        let creds = try FlyFailure.wrap("failed to lookup process credentials") {
            try FlyCredentials.lookup(app: app, rootfs: rootfs)
        }
        let execPath = try FlyFailure.wrap("can't execute \"\(app.exec[0])\"") {
            try Exec.lookPath(app.exec[0], pathVar: Environment.value("PATH", in: env), root: rootfs)
        }

        log.diag("chroot to \"\(rootfs)\"")
        try FlyFailure.wrap("can't chroot") { try ProcessOps.chroot(rootfs) }
        try FlyFailure.wrap("can't change to working directory \"\(workDir)\"") { try ProcessOps.chdir(workDir) }
        log.diag("setting credentials: uid=\(creds.uid), gid=\(creds.gid)")
        try FlyFailure.wrap("can't set process credentials") { try creds.apply() }
        // The app inherits the lock: the pod stays "running" exactly as long as the app lives.
        try FlyFailure.wrap("unable to clear FD_CLOEXEC on pod lock") { try FileIO.clearCloseOnExec(lockFD) }

        log.diag("execing \(app.exec) in \"\(rootfs)\"")
        try FlyFailure.wrap("can't execute \"\(app.exec[0])\"") {
            try Exec.execve(execPath, argv: app.exec, env: env)
        }
    }

    /// `RKT_LOCK_FD`, checked to be an open fd.
    static func lockFDFromEnvironment() throws -> Int32 {
        guard let v = Environment.get(Stage1Env.lockFD) else {
            throw RktError("\(Stage1Env.lockFD) environment variable is not set")
        }
        guard let fd = Int32(v), fd >= 0 else { throw RktError("invalid \(Stage1Env.lockFD) \"\(v)\"") }
        _ = try FileIO.isCloseOnExec(fd)
        return fd
    }

    /// resolv mode `stage0`: copy `etc/rkt-resolv.conf` written by stage0 into the app.
    static func copyResolv(pod: FlyPod, rootfs: String) throws {
        let src = PathUtil.join(pod.stage1Rootfs, Stage1Path.resolvConf)
        guard try FileSystem.statIfExists(src) != nil else { return }
        let dst = try SecurePath.hostPath(root: rootfs, path: "/etc/resolv.conf")
        try FileSystem.mkdirAll(PathUtil.dirname(dst))
        try FileSystem.copyRegularFile(from: src, to: dst)
    }

    /// hosts mode `default`: a stub `/etc/hosts` when the image has none. Like rkt, a failure
    /// here (no `/etc` in the image) is not an error.
    static func writeStubHosts(rootfs: String) {
        guard let path = try? SecurePath.hostPath(root: rootfs, path: "/etc/hosts"),
              (try? FileSystem.lstatIfExists(path)) == .some(nil) else { return }
        try? FileIO.writeFile(path, "127.0.0.1 localhost localdomain\n", mode: 0o644)
    }
}

/// A failure with rkt's log message: `message: cause` (or just `message` when it stands alone).
struct FlyFailure: Error {
    var message: String?
    var cause: (any Error)?

    init(_ message: String) {
        self.message = message
    }

    init(_ message: String?, cause: any Error) {
        self.message = message
        self.cause = cause
    }

    /// Runs `body`, turning its error into a failure logged as `message: error`, or as the
    /// error alone when `message` is nil.
    static func wrap<T>(_ message: String?, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let f as FlyFailure {
            throw f
        } catch {
            throw FlyFailure(message, cause: error)
        }
    }

    func report(_ log: FlyLog) {
        switch (message, cause) {
        case let (m?, c?): log.print(m, c)
        case let (m?, nil): log.print(m)
        case let (nil, c?):
            if let e = c as? RktError { log.print(log.debug ? e.debugChain : e.description) } else { log.print("\(c)") }
        case (nil, nil): log.print("failed")
        }
    }
}
