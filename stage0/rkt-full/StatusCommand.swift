#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Foundation
import RktCommon
import Stage0
import Stage0Core

/// `rkt status UUID`: the pod's state as `key=value` lines or api/v1 JSON (rkt: rkt/status.go).
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Check the status of a rkt pod")
    @OptionGroup var globals: GlobalOptions

    @Option(name: .customLong("uuid-file"), help: "read pod UUID from file instead of argument")
    var uuidFile = ""

    @Option(help: "choose the output format, allowed format includes 'json', 'json-pretty'. If empty, then the result is printed as key value pairs")
    var format = ""

    /// The UUID, plus `--wait[=bool|duration]` and `--wait-ready[=…]`, which take an optional
    /// value as cobra's NoOptDefVal flags do.
    @Argument(parsing: .allUnrecognized, help: "UUID")
    var rest: [String] = []

    func run() throws {
        let scanned = try PodCommandSupport.scanFlags(rest, known: ["--wait", "--wait-ready"])
        let wait = try PodCommandSupport.parseWait(scanned.flags["--wait"] ?? "false")
        let waitReady = try PodCommandSupport.parseWait(scanned.flags["--wait-ready"] ?? "false")
        let fmt = try OutputFormat(parsing: format)
        let context = try globals.context("status")
        let uuid: String
        switch (scanned.positional.count, uuidFile.isEmpty) {
        case (0, false):
            // rkt exits 1 here, not 254 (rkt-architecture.md §10).
            do { uuid = try PodCommandSupport.readUUIDFile(uuidFile) } catch {
                throw RktError("unable to read UUID from file", cause: error, exitCode: 1)
            }
        case (1, true):
            uuid = scanned.positional[0]
        default:
            throw ValidationError("status requires exactly one UUID or --uuid-file")
        }
        var pod: Pod
        do { pod = try Pod.load(dataDir: context.dataDir, uuidPrefix: uuid) } catch {
            throw RktError("problem retrieving pod", cause: error)
        }
        if waitReady != 0 {
            do { try poll(timeout: waitReady) { pod.isSupervisorReady() } } catch {
                throw RktError("error waiting for pod readiness", cause: error)
            }
        }
        if wait != 0 {
            let full = pod.uuid
            do {
                try poll(timeout: wait) {
                    // Re-probe from disk: the pod moves between directories as it finishes.
                    guard let p = try? Pod.open(dataDir: context.dataDir, uuid: full) else { return true }
                    pod = p
                    return PodStatusReport.isFinished(p.state) || p.state == .prepared
                }
            } catch {
                throw RktError("error waiting for pod to finish", cause: error)
            }
        }
        let summary = PodSummary(pod: pod, imageNames: false, exitCodes: true)
        PodCommandSupport.stdout(PodStatusReport.render(summary, format: fmt))
    }

    /// Polls every 100 ms until `done`, or fails after `timeout` seconds (nil: no limit).
    func poll(timeout: Double?, _ done: () -> Bool) throws {
        let deadline = timeout.map { Date().addingTimeInterval($0) }
        while !done() {
            if let deadline, Date() >= deadline { throw RktError("context deadline exceeded") }
            usleep(100_000)
        }
    }
}
