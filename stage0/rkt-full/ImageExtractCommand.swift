import ArgumentParser
import Foundation
import RktCommon
import Stage0
import Stage0Core

/// `rkt image extract IMAGE DIR`: the image alone (no dependencies), plain files, no overlay.
struct ImageExtractCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extract", abstract: "Extract a stored image to a directory",
        discussion: "IMAGE should be a string referencing an image: either a ID or an image name.\n\nNote that in order to make cleaning up easy (just rm -rf), extract does not use overlayfs or any other mechanism.")
    @OptionGroup var globals: GlobalOptions
    @Flag(name: .customLong("rootfs-only"), help: "extract rootfs only") var rootfsOnly = false
    @Flag(help: "overwrite output directory") var overwrite = false
    @Argument(help: "image ID or name") var image: String
    @Argument(help: "output directory") var output: String

    func run() throws {
        let context = try globals.context("extract")
        let store = try ImageStore(dataDir: context.dataDir)
        let key = try store.key(forImage: image)
        let dir = try ImageOutputDir.check(output, overwrite: overwrite)
        try store.extract(key: key, to: dir, rootfsOnly: rootfsOnly, overwrite: overwrite)
    }
}

/// rkt's checks on an extract/render target: absolute, not `/`, and `--overwrite` if it exists.
enum ImageOutputDir {
    static func check(_ path: String, overwrite: Bool) throws -> String {
        let abs = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        let dir = (abs as NSString).standardizingPath
        if FileManager.default.fileExists(atPath: dir) {
            guard overwrite else { throw RktError("output directory exists (try --overwrite)") }
            guard dir != "/" else { throw RktError("this would delete your root filesystem. Refusing.") }
        }
        return dir
    }
}
