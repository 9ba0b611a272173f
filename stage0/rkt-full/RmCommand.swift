import ArgumentParser
import RktCommon
import Stage0
import Stage0Core

/// `rkt rm UUID…`: removes pods that are not running right away (rkt: rkt/rm.go).
struct RmCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove all files and resources associated with an exited pod")
    @OptionGroup var globals: GlobalOptions

    @Option(name: .customLong("uuid-file"), help: "read pod UUID from file instead of argument")
    var uuidFile = ""

    @Argument(help: "UUID")
    var uuids: [String] = []

    func run() throws {
        try PodCommandSupport.ensureSuperuser()
        let context = try globals.context("rm")
        var failed = false
        var names: [String] = []
        switch (uuids.isEmpty, uuidFile.isEmpty) {
        case (true, false):
            do { names = [try PodCommandSupport.readUUIDFile(uuidFile)] } catch {
                throw RktError("unable to resolve UUID from file", cause: error)
            }
        case (false, true):
            names = uuids
        default:
            throw ValidationError("rm requires UUIDs or --uuid-file")
        }
        var remover = PodRemover(dataDir: context.dataDir)
        remover.debug = context.debug
        remover.localConfigDir = context.localConfigDir
        remover.stderr = { PodCommandSupport.stderr("rm", $0) }
        for name in names {
            let pod: Pod
            do { pod = try Pod.load(dataDir: context.dataDir, uuidPrefix: name) } catch {
                context.printError(RktError("unable to resolve UUID", cause: error))
                failed = true
                continue
            }
            if remover.remove(pod) {
                PodCommandSupport.stdout("\"\(pod.uuid)\"\n")
            } else {
                failed = true
            }
        }
        if failed { throw RktError("failed to remove one or more pods") }
    }
}
