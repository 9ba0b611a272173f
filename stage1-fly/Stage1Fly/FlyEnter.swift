import RktCommon
import RktOS

/// The fly `enter` entrypoint (rkt: stage1_fly/enter/main.go): chroot into the app's root as
/// seen through `/proc/<pid>/root`, take the app's credentials and environment, exec.
public enum FlyEnter {
    public static let defaultCommand = ["/bin/sh"]

    public static func main(_ args: [String]) -> Int32 {
        let (args, exit) = FlyLog.parseArgs { try Stage1EnterArgs(parsing: args) }
        guard let parsed = args else { return exit }
        let log = FlyLog(prefix: "fly-enter", debug: parsed.debug)
        do {
            try enter(parsed, log: log)
        } catch let e as FlyFailure {
            e.report(log)
        } catch {
            log.print("enter failed", error)
        }
        return ExitCode.failure
    }

    /// The enter environment: the app's env file, then the caller's `TERM` (default `vt100`),
    /// as rkt's enterexec does, so interactive shells keep working.
    public static func environment(envFile: [String], callerTerm: String?) -> [String] {
        Environment.setting("TERM", callerTerm ?? "vt100", in: envFile)
    }

    static func enter(_ args: Stage1EnterArgs, log: FlyLog) throws {
        let root = try FlyFailure.wrap("Failed to get pod root") { try FileSystem.readlink("/proc/\(args.pid)/root") }
        let podDir = try FlyFailure.wrap("Failed to get cwd") { try ProcessOps.getcwd() }
        let pod = try FlyFailure.wrap("Failed to load pod manifest") { try FlyPod.load(dir: podDir) }
        guard pod.manifest.apps.count == 1 else {
            throw FlyFailure("Failed to get app", cause: RktError("flavor \"fly\" only supports 1 application per Pod for now"))
        }
        let ra = pod.manifest.apps[0]
        guard let app = pod.effectiveApp(ra) else {
            throw FlyFailure("failed to lookup process credentials", cause: RktError("app \(ra.name) has no app section"))
        }
        let creds = try FlyFailure.wrap("failed to lookup process credentials") {
            try FlyCredentials.lookup(app: app, rootfs: root)
        }
        let appName = args.appName.isEmpty ? ra.name : args.appName
        let fileEnv = try FlyFailure.wrap("Failed to read app env") { try Environment.readEnvFile(pod.envFile(appName)) }
        let env = environment(envFile: fileEnv, callerTerm: Environment.get("TERM"))

        try FlyFailure.wrap("Failed to change to new root") { try ProcessOps.chdir(root) }
        try FlyFailure.wrap("Failed to chroot") { try ProcessOps.chroot(root) }
        log.diag("setting credentials: uid=\(creds.uid), gid=\(creds.gid), groups=\(creds.groups)")
        try FlyFailure.wrap("can't set process credentials") { try creds.apply() }

        let command = args.command.isEmpty ? defaultCommand : args.command
        log.diag("PID: \(args.pid)")
        log.diag("APP: \(appName)")
        log.diag("ARGS: \(command)")
        let path = try FlyFailure.wrap("exec failed") {
            try Exec.lookPath(command[0], pathVar: Environment.value("PATH", in: env), root: "/")
        }
        try FlyFailure.wrap("exec failed") { try Exec.execve(path, argv: command, env: env) }
    }
}
