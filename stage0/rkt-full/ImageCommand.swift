import ArgumentParser
import Stage0
import Stage0Core

/// `rkt image …`: operate on the local image store. Each subcommand lives in Image<Verb>Command.swift.
struct ImageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image", abstract: "Operate on image(s) in the local store",
        subcommands: [
            ImageListCommand.self, ImageCatManifestCommand.self, ImageExportCommand.self,
            ImageExtractCommand.self, ImageRenderCommand.self, ImageRmCommand.self,
            ImageGCCommand.self, ImageVerifyCommand.self, FetchCommand.self,
        ])
}
