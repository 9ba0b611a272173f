import Glibc
import RktCommon
import RktOS

/// One app ready to start: its spawn request (compiled seccomp, masks, creds) and event handlers.
public struct PlannedApp: Sendable {
    public var name: String
    public var request: SpawnRequest
    public var env: [String]
    public var preStart: [String]?
    public var postStop: [String]?
    /// `<pod>/logs/<app>.log` fd when stdout/stderr is `log`, or -1.
    public var logFD: Int32 = -1
    /// stdin, stdout, stderr modes.
    public var stdio: [StdioMode] = [.null, .console, .console]
}

/// Turns a RuntimeApp into a `SpawnRequest` for pod-init (paths as seen after the pivot).
public enum AppLauncher {
    /// `seccompDir`: where the stage1 image keeps its precompiled filters (`SeccompPrecompiled`),
    /// nil to compile every filter.
    public static func plan(app: RuntimeAppSpec, hostRootfs: String, podDir: String, options o: RunOptions,
                            cgroupProcs: [Int32], seccompDir: String? = nil) throws -> PlannedApp {
        guard let exec0 = app.app.exec.first else { throw RktError("app \(app.name) has an empty exec") }
        let env = AppEnvironment.build(app: app.name, env: app.app.environment)
        let creds = try AppEnvironment.credentials(
            rootfs: hostRootfs, user: app.app.user, group: app.app.group, supplementary: app.app.supplementaryGIDs,
            idShift: InitCommand.shiftedRoot(o.privateUsers))
        let security = try AppSecurity.plan(
            isolators: app.app.isolators, uid: creds.uid,
            disableCapabilities: o.disableCapabilities, disableSeccomp: o.disableSeccomp)
        let path = try AppEnvironment.resolveExec(exec0, rootfs: hostRootfs, env: env)
        var req = SpawnRequest(path: path, argv: app.app.exec, env: env)
        req.root = "/" + Stage1Path.appRootfs(app.name)
        req.cwd = app.app.workingDirectory.flatMap { $0.isEmpty ? nil : $0 } ?? "/"
        req.credentials = creds
        req.capabilities = CapabilityMasks(bounding: try security.capabilities.map(Capabilities.mask) ?? Capabilities.allMask)
        req.noNewPrivileges = security.noNewPrivileges
        if let f = security.seccomp { req.seccompBPF = try SeccompPrecompiled.program(f, dir: seccompDir) }
        req.cgroupProcsFDs = cgroupProcs
        req.oomScoreAdj = try CgroupLimits.plan(app.app.isolators).oomScoreAdj
        var planned = PlannedApp(name: app.name, request: req, env: env,
                                 preStart: app.eventHandler(EventHandler.preStart), postStop: app.eventHandler(EventHandler.postStop))
        // --interactive: the app shares rkt's terminal and foreground process group (no new
        // session, so the caller's shell keeps its controlling terminal afterwards).
        planned.stdio = [
            StdioMode.of(app.annotation(RktAnnotation.stdin), default: o.interactive ? .interactive : .null),
            StdioMode.of(app.annotation(RktAnnotation.stdout), default: .console),
            StdioMode.of(app.annotation(RktAnnotation.stderr), default: .console),
        ]
        // `--stdout/--stderr=log`: keep a copy of the app's output in <pod>/logs/<app>.log.
        if planned.stdio[1] == .log || planned.stdio[2] == .log {
            let dir = PathUtil.join(podDir, PodFile.logsDir)
            try FileSystem.mkdirAll(dir, mode: 0o750)  // init made it already in a user namespace
            planned.logFD = try FileIO.open(PathUtil.join(dir, app.name + ".log"), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, mode: 0o640)
        }
        return planned
    }
}
