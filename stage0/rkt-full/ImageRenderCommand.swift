import ArgumentParser
import RktCommon
import Stage0
import Stage0Core

/// `rkt image render IMAGE DIR`: the image with its dependencies layered, as a pod would see it.
struct ImageRenderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render", abstract: "Render a stored image to a directory with all its dependencies",
        discussion: "IMAGE should be a string referencing an image: either a ID or an image name.\n\nThis differs from extract in that the rendered image is in the state the app would see when running in rkt, dependencies and all.")
    @OptionGroup var globals: GlobalOptions
    @Flag(name: .customLong("rootfs-only"), help: "render rootfs only") var rootfsOnly = false
    @Flag(help: "overwrite output directory") var overwrite = false
    @Argument(help: "image ID or name") var image: String
    @Argument(help: "output directory") var output: String

    func run() throws {
        let context = try globals.context("render")
        let store = try ImageStore(dataDir: context.dataDir)
        let key = try store.key(forImage: image)
        let dir = try ImageOutputDir.check(output, overwrite: overwrite)
        try store.renderTo(key: key, dir: dir, rootfsOnly: rootfsOnly, overwrite: overwrite)
    }
}
