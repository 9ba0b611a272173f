import ArgumentParser
import RktCommon
import RktJSON
import Stage0
import Stage0Core

/// `rkt cat-manifest UUID`: the pod manifest (rkt: rkt/cat_manifest.go).
struct CatManifestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cat-manifest", abstract: "Inspect and print the pod manifest")
    @OptionGroup var globals: GlobalOptions

    @Flag(name: .customLong("pretty-print"), inversion: .prefixedNo, help: "apply indent to format the output")
    var prettyPrint = true

    @Option(name: .customLong("uuid-file"), help: "read pod UUID from file instead of argument")
    var uuidFile = ""

    @Argument(help: "UUID")
    var uuids: [String] = []

    func run() throws {
        let context = try globals.context("cat-manifest")
        let uuid: String
        switch (uuids.count, uuidFile.isEmpty) {
        case (0, false):
            do { uuid = try PodCommandSupport.readUUIDFile(uuidFile) } catch {
                throw RktError("unable to read UUID from file", cause: error)
            }
        case (1, true):
            uuid = uuids[0]
        default:
            throw ValidationError("cat-manifest requires exactly one UUID or --uuid-file")
        }
        let pod: Pod
        do { pod = try Pod.load(dataDir: context.dataDir, uuidPrefix: uuid) } catch {
            throw RktError("problem retrieving pod", cause: error)
        }
        let value: JSONValue
        do { value = try parseJSON(try pod.manifestBytes()) } catch {
            throw RktError("cannot read the pod manifest", cause: error)
        }
        PodCommandSupport.stdout(JSONOutput.render(value, pretty: prettyPrint) + "\n")
    }
}
