import ArgumentParser
import RktCommon
import Foundation
import Stage0
import Stage0Core

/// `rkt image export IMAGE OUT.aci`: the stored (uncompressed) ACI, byte for byte.
struct ImageExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Export a stored image to an ACI file",
        discussion: "IMAGE should be a string referencing an image: either an ID or an image name.\n\nNote that images must be fetched prior to running export and that this command always returns uncompressed ACIs")
    @OptionGroup var globals: GlobalOptions

    @Flag(help: "overwrite output ACI")
    var overwrite = false

    @Argument(help: "image ID or name") var image: String
    @Argument(help: "output ACI file") var output: String

    func run() throws {
        let context = try globals.context("export")
        let store = try ImageStore(dataDir: context.dataDir)
        let key = try store.key(forImage: image)
        if !overwrite && FileManager.default.fileExists(atPath: output) {
            throw RktError("output ACI file exists (try --overwrite)")
        }
        try store.export(key: key, to: output, overwrite: overwrite)
    }
}
