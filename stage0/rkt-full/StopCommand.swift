import ArgumentParser
import RktCommon
import Stage0
import Stage0Core

/// `rkt stop UUID…`: runs the stage1 stop entrypoint of running pods (rkt: rkt/stop.go).
struct StopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stop", abstract: "Stop a pod")
    @OptionGroup var globals: GlobalOptions

    @Option(name: .customLong("uuid-file"), help: "read pod UUID from file instead of argument")
    var uuidFile = ""

    /// UUIDs, plus `--force[=bool]` (a Go boolean ArgumentParser cannot take as `--force=true`).
    @Argument(parsing: .allUnrecognized, help: "UUID")
    var rest: [String] = []

    func run() throws {
        let scanned = try PodCommandSupport.scanFlags(rest, known: ["--force"])
        guard let force = PodCommandSupport.parseBool(scanned.flags["--force"] ?? "false") else {
            throw ValidationError("invalid argument for --force")
        }
        let context = try globals.context("stop")
        let say = { (line: String) in PodCommandSupport.stderr("stop", line) }
        var failures = 0
        var uuids: [String] = []
        switch (scanned.positional.isEmpty, uuidFile.isEmpty) {
        case (true, false):
            // rkt exits 1 here, not 254 (rkt-architecture.md §10).
            do { uuids = [try PodCommandSupport.readUUIDFile(uuidFile)] } catch {
                throw RktError("unable to resolve UUID from file", cause: error, exitCode: 1)
            }
        case (false, true):
            uuids = scanned.positional
        default:
            throw ValidationError("stop requires UUIDs or --uuid-file")
        }
        for u in uuids {
            let pod: Pod
            do { pod = try Pod.load(dataDir: context.dataDir, uuidPrefix: u) } catch {
                context.printError(RktError("cannot get pod", cause: error))
                failures += 1
                continue
            }
            if pod.state.isAfterRun {
                PodCommandSupport.stdout("pod \"\(pod.uuid)\" is already stopped\n")
                continue
            }
            guard pod.state == .running else {
                say("pod \"\(pod.uuid)\" is not running")
                failures += 1
                continue
            }
            do {
                try pod.stop(force: force)
                PodCommandSupport.stdout("\"\(pod.uuid)\"\n")
            } catch {
                context.printError(RktError("error stopping \"\(pod.uuid)\"", cause: error))
                failures += 1
            }
        }
        if failures > 0 { throw RktError("failed to stop \(failures) pod(s)") }
    }
}
