import ArgumentParser
import RktCommon
import Stage0
import Stage0Core

/// `rkt attach [--app=NAME] [--mode=MODE] UUID`: connects the terminal to an app started with
/// `--stdin/--stdout/--stderr` set to `tty` or `stream` by exec'ing the stage1 attach entrypoint
/// (rkt: rkt/attach.go). rkt hid it behind RKT_EXPERIMENT_ATTACH; here it is always on.
struct AttachCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "attach", abstract: "Attach to an app running within a rkt pod")
    @OptionGroup var globals: GlobalOptions

    @Option(help: "name of the app to attach to within the specified pod")
    var app = ""

    @Option(help: "attaching mode: list, auto, tty, tty-in, tty-out, or a comma list of stdin, stdout, stderr")
    var mode = "auto"

    @Argument(help: "UUID")
    var uuid: String

    func run() throws {
        try PodCommandSupport.ensureSuperuser()
        let context = try globals.context("attach")
        let pod: Pod
        do { pod = try Pod.load(dataDir: context.dataDir, uuidPrefix: uuid) } catch {
            throw RktError("problem retrieving pod", cause: error)
        }
        guard pod.state == .running else { throw RktError("pod \"\(pod.uuid)\" isn't currently running") }
        let appName: String
        do {
            appName = try pod.enterAppName(requested: app, command: "attach") { names in
                PodCommandSupport.stderr("attach", "pod contains multiple apps:")
                for n in names { PodCommandSupport.stderr("attach", "\t\(n)") }
            }
        } catch {
            throw RktError("unable to determine app name", cause: error)
        }
        let argv = try pod.attachArgv(app: appName, mode: mode, debug: context.debug)
        do { try pod.execEnter(argv: argv) } catch { throw RktError("attach failed", cause: error) }
    }
}
