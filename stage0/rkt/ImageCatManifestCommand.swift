import ArgumentParser
import Stage0

struct ImageCatManifestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cat-manifest", abstract: "Inspect and print the image manifest")
    func run() throws { throw ValidationError("not implemented yet") }
}
