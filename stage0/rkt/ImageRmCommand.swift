import ArgumentParser
import Stage0

struct ImageRmCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove one or more images with the given IDs or image names from the local store")
    func run() throws { throw ValidationError("not implemented yet") }
}
