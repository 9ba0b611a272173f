import ArgumentParser
import RktCommon
import Stage0
import Stage0Core

/// `rkt image rm IMAGE…`: remove images by ID prefix or name, without checking pod usage.
struct ImageRmCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm", abstract: "Remove one or more images with the given IDs or image names from the local store",
        discussion: "Unlike image gc, image rm allows users to remove specific images.")
    @OptionGroup var globals: GlobalOptions

    @Argument(help: "image IDs or names") var images: [String] = []

    func run() throws {
        let context = try globals.context("rm")
        guard !images.isEmpty else { throw RktError("must provide at least one image ID") }
        let store = try ImageStore(dataDir: context.dataDir)
        try ImageRemoval(context: context, store: store).remove(images)
    }
}
