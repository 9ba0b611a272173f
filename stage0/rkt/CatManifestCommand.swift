import ArgumentParser
import Stage0

struct CatManifestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cat-manifest", abstract: "Inspect and print the pod manifest")
    func run() throws { throw ValidationError("not implemented yet") }
}
