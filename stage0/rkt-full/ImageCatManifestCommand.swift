import ArgumentParser
import RktCommon
import RktJSON
import Stage0
import Stage0Core

/// `rkt image cat-manifest IMAGE`: the stored image manifest as JSON.
struct ImageCatManifestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cat-manifest", abstract: "Inspect and print the image manifest",
        discussion: "IMAGE should be a string referencing an image; either a ID or an image name.")
    @OptionGroup var globals: GlobalOptions

    @Flag(name: .customLong("pretty-print"), inversion: .prefixedNo, help: "apply indent to format the output")
    var prettyPrint = true

    @Argument(help: "image ID or name")
    var image: String

    func run() throws {
        let context = try globals.context("cat-manifest")
        let store = try ImageStore(dataDir: context.dataDir)
        let key = try store.key(forImage: image)
        let bytes: [UInt8]
        do { bytes = try store.manifestBytes(key: key) } catch {
            throw RktError("cannot get image manifest", cause: error)
        }
        let value: JSONValue
        do { value = try parseJSON(bytes) } catch {
            throw RktError("cannot read the image manifest", cause: error)
        }
        print(JSONOutput.render(value, pretty: prettyPrint))
    }
}
