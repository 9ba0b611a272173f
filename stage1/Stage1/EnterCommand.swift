import CShim
import Glibc
import RktCommon
import RktOS

/// `/enter --pid=<pod pid 1> --appname=<app> -- cmd args…` (rkt-architecture.md §3.3). Joins the
/// pod's user, ipc, uts, net, pid and mnt namespaces, chroots into the app rootfs with the app's
/// environment (`rkt/env/<app>`, keeping TERM) and exits with the command's status.
public enum EnterCommand {
    public static let defaultCommand = ["/bin/sh"]

    public static func main(_ args: [String]) -> Int32 {
        do { return try run(args) } catch let e as RktError {
            Log.error(e)
            return e.exitCode
        } catch {
            Log.error(RktError("enter", cause: error))
            return ExitCode.failure
        }
    }

    static func run(_ args: [String]) throws -> Int32 {
        var pid: pid_t?
        var appName: String?
        var command: [String] = []
        var i = 0
        while i < args.count {
            let a = args[i]
            i += 1
            if a == "--" { command = Array(args[i...]); break }
            if let v = flagValue(a, "pid") { pid = pid_t(v) } else if let v = flagValue(a, "appname") { appName = v } else if a.hasPrefix("-") {
                throw RktError("flag provided but not defined: \(a)", exitCode: ExitCode.usage)
            } else { command = Array(args[(i - 1)...]); break }
        }
        guard let pid, pid > 0 else { throw RktError("enter: --pid is required", exitCode: ExitCode.usage) }
        let podDir = try InitCommand.currentDirectory()
        let s1 = PathUtil.join(podDir, PodFile.stage1Rootfs)
        let app = try appName ?? singleApp(s1)
        if command.isEmpty { command = defaultCommand }

        var env: [String] = []
        if let text = try? FileIO.readString(PathUtil.join(s1, Stage1Path.appEnv(app))) {
            env = AppEnvironment.parseFile(text)
        }
        if let term = getenv("TERM") { env.append("TERM=" + String(cString: term)) }
        let hostRootfs = PathUtil.join(s1, Stage1Path.appRootfs(app))
        let path = try AppEnvironment.resolveExec(command[0], rootfs: hostRootfs, env: env)

        // The pid namespace only applies to children, so we join it here, before the clone; the
        // others are joined by the child (user first) so its own view changes, not ours.
        var fds = try Namespace.openForEnter(pid: pid, kinds: [.user, .ipc, .uts, .net, .pid, .mnt])
        defer { for fd in fds { FileIO.close(fd) } }
        if Namespace.pid.differs(pid: pid) {
            let pidFD = try Namespace.pid.open(pid: pid)
            defer { FileIO.close(pidFD) }
            guard rkt_setns(pidFD, Namespace.pid.cloneFlag) == 0 else { throw RktError.errno("setns pid namespace of", String(pid)) }
        }
        let pidNS = try? FileSystem.stat(Namespace.pid.path(pid: pid))
        fds = try fds.filter { fd in
            var st = stat()
            guard fstat(fd, &st) == 0 else { throw RktError.errno("fstat namespace fd") }
            return !(pidNS.map { UInt64(st.st_ino) == $0.ino } ?? false)
        }

        var req = SpawnRequest(path: path, argv: command, env: env)
        req.namespaceFDs = fds
        req.root = "/" + Stage1Path.appRootfs(app)
        req.cwd = "/"
        req.parentDeathSignal = SIGKILL
        // In a --private-users pod host root is unmapped: become the namespace's root, or exec
        // would drop every capability.
        if Namespace.user.differs(pid: pid) { req.credentials = Credentials(uid: 0, gid: 0) }
        let child: pid_t
        do { child = try Spawn.run(req) } catch { throw RktError("cannot enter app \(app)", cause: error) }
        return try Spawn.wait(child)
    }

    static func flagValue(_ arg: String, _ name: String) -> String? {
        for prefix in ["--\(name)=", "-\(name)="] where arg.hasPrefix(prefix) { return String(arg.dropFirst(prefix.count)) }
        return nil
    }

    /// The only app of the pod, from `rkt/env`.
    static func singleApp(_ s1: String) throws -> String {
        let names = (try? FileSystem.listDirectory(PathUtil.join(s1, Stage1Path.env))) ?? []
        let apps = names.filter { $0 != "keep_env" }
        guard apps.count == 1, let only = apps.first else {
            throw RktError("enter: --appname is required for pods with \(apps.count) apps", exitCode: ExitCode.usage)
        }
        return only
    }
}
