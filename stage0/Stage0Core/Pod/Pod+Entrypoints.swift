#if canImport(Glibc)
import Glibc
#endif
import RktCommon
import RktOS

/// stop and enter (rkt-architecture.md §3.3; rkt: stage0/stop.go, stage0/enter.go).
extension Pod {
    /// Runs the stop entrypoint `[<stop-ep>, --force?, <uuid>]` with cwd = the pod directory,
    /// stdout and stderr passed through. Throws when it fails or exits non-zero.
    public func stop(force: Bool) throws {
        let ep: String
        do {
            ep = try stage1().entrypoint(Stage1Annotation.stop)
        } catch {
            throw RktError("rkt stop not implemented for pod's stage1", cause: error)
        }
        var argv = [ep]
        if force { argv.append("--force") }
        argv.append(uuid)
        let code = try PodEntrypoint.run(argv: argv, cwd: path, stdoutToNull: false)
        if code != 0 { throw RktError("stop entrypoint \(ep)", causes: ["exit status \(code)"]) }
    }

    /// The app `rkt enter` goes into: `--app`, else the only app. With several apps the names
    /// go to `listApps` and an error asks for `--app`.
    public func enterAppName(requested: String?, command: String = "enter", listApps: ([String]) -> Void) throws -> String {
        if let requested, !requested.isEmpty { return requested }
        let apps: [PodManifestSummary.App]
        do { apps = try manifest().apps } catch { throw RktError("error reading pod manifest", cause: error) }
        switch apps.count {
        case 0: throw RktError("pod contains zero apps")
        case 1: return apps[0].name
        default:
            listApps(apps.map(\.name))
            throw RktError("specify app using \"rkt \(command) --app= ...\"")
        }
    }

    /// `[<tree-store stage1 rootfs>/<enter-ep>, --pid=<pid1>, --appname=<app>, --, cmd…]`.
    public func enterArgv(pid1: Int32, app: String, command: [String]) throws -> [String] {
        let ep: String
        do {
            ep = try stage1FromTreeStore().entrypoint(Stage1Annotation.enter)
        } catch {
            throw RktError("error determining 'enter' entrypoint", cause: error)
        }
        return [ep, "--pid=\(pid1)", "--appname=\(app)", "--"] + command
    }

    /// chdir to the pod directory and exec the enter entrypoint (does not return on success).
    public func execEnter(argv: [String]) throws -> Never {
        guard chdir(path) == 0 else { throw RktError.errno("cannot change directory to pod", path) }
        do {
            try Exec.execve(argv[0], argv: argv, env: Environment.current())
        } catch {
            throw RktError("error execing enter", cause: error)
        }
    }
}

/// attach (rkt-architecture.md §9; rkt: rkt/attach.go).
extension Pod {
    /// Maps `rkt attach --mode` to the attach entrypoint's flags: `list`, `auto`, or a comma
    /// list of `tty`, `tty-in`, `tty-out`, `stdin`, `stdout`, `stderr` (tty and streams don't mix).
    public static func attachFlags(mode: String) throws -> [String] {
        switch mode {
        case "list": return ["--action=list"]
        case "auto": return ["--action=auto-attach"]
        default: break
        }
        var set: Set<String> = []
        for part in mode.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
            switch part {
            case "tty": set.formUnion(["tty-in", "tty-out"])
            case "tty-in", "tty-out", "stdin", "stdout", "stderr": set.insert(part)
            default: throw RktError("unknown attach mode \"\(part)\" (valid: list, auto, tty, tty-in, tty-out, stdin, stdout, stderr)")
            }
        }
        if set.contains(where: { $0.hasPrefix("tty") }) && set.contains(where: { !$0.hasPrefix("tty") }) {
            throw RktError("attach mode \"\(mode)\" mixes tty and stream endpoints")
        }
        return ["--action=custom-attach"] + ["tty-in", "tty-out", "stdin", "stdout", "stderr"].map { "--\($0)=\(set.contains($0))" }
    }

    /// `[<tree-store stage1 rootfs>/<attach-ep>, --action=…, --app=<app>, --debug=<b>, …]`.
    public func attachArgv(app: String, mode: String, debug: Bool) throws -> [String] {
        let flags = try Pod.attachFlags(mode: mode)
        let ep: String
        do {
            ep = try stage1FromTreeStore().entrypoint(Stage1Annotation.attach)
        } catch {
            throw RktError("error determining 'attach' entrypoint", cause: error)
        }
        return [ep, flags[0], "--app=\(app)", "--debug=\(debug)"] + flags.dropFirst()
    }
}
