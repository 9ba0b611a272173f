import ArgumentParser
import RktCommon
import Stage0
import Stage0Core

/// `rkt enter [--app=NAME] UUID [CMD [ARGS…]]`: execs the stage1 enter entrypoint
/// (rkt: rkt/enter.go, stage0/enter.go).
struct EnterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "enter", abstract: "Enter the namespaces of an app within a rkt pod")
    @OptionGroup var globals: GlobalOptions

    @Option(help: "name of the app to enter within the specified pod")
    var app = ""

    @Argument(help: "UUID")
    var uuid: String

    @Argument(parsing: .captureForPassthrough, help: "command to run (default /bin/sh)")
    var command: [String] = []

    /// rkt 1.30 assumed /bin/bash; issue #4 asks for /bin/sh, which every busybox image has.
    static let defaultCommand = "/bin/sh"

    func run() throws {
        try PodCommandSupport.ensureSuperuser()
        let context = try globals.context("enter")
        let pod: Pod
        do { pod = try Pod.load(dataDir: context.dataDir, uuidPrefix: uuid) } catch {
            throw RktError("problem retrieving pod", cause: error)
        }
        guard pod.state == .running else { throw RktError("pod \"\(pod.uuid)\" isn't currently running") }
        let pid1: Int32
        do { pid1 = try pod.pid() } catch {
            throw RktError("unable to determine the pid for pod \"\(pod.uuid)\"", cause: error)
        }
        let appName: String
        do {
            appName = try pod.enterAppName(requested: app) { names in
                PodCommandSupport.stderr("enter", "pod contains multiple apps:")
                for n in names { PodCommandSupport.stderr("enter", "\t\(n)") }
            }
        } catch {
            throw RktError("unable to determine app name", cause: error)
        }
        var cmd = command.first == "--" ? Array(command.dropFirst()) : command
        if cmd.isEmpty {
            PodCommandSupport.stderr("enter", "no command specified, assuming \"\(Self.defaultCommand)\"")
            cmd = [Self.defaultCommand]
        }
        do {
            let argv = try pod.enterArgv(pid1: pid1, app: appName, command: cmd)
            try pod.execEnter(argv: argv)
        } catch {
            throw RktError("enter failed", cause: error)
        }
    }
}
